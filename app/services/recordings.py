"""The bodycam recording services of one workstation, with the evidence store opened lazily.

Lists, incident links and bookmarks need only the database. Importing, opening and snapshots
need the evidence store (master key file and store folder, :mod:`app.evidence.config`): it is
opened on first use, so a workstation without a key starts normally and says in German what is
missing only when someone tries to import or watch a recording.
"""

from __future__ import annotations

from collections.abc import Callable

from app.evidence.config import EvidenceConfig, resolve_evidence_config
from app.evidence.store import EvidenceStore
from app.platform.database import Database
from app.platform.errors import ConfigError, KodError
from app.platform.i18n import tr
from app.services.recording_access import RecordingAccessService
from app.services.recording_import import RecordingImportService
from app.services.recording_links import RecordingLinkService
from app.services.recording_list import RecordingListService
from app.services.recording_marks import RecordingMarkService


class RecordingServices:
    """Import, access, lists, links and marks of recordings over one database."""

    def __init__(
        self, db: Database, config: Callable[[], EvidenceConfig] = resolve_evidence_config
    ) -> None:
        self._db = db
        self._config = config
        self._store: EvidenceStore | None = None
        self.lists = RecordingListService(db)
        self.links = RecordingLinkService(db)
        self.marks = RecordingMarkService(db, self.store)

    def config(self) -> EvidenceConfig:
        """Where the key, the store, the quarantine and the import folder are."""
        return self._config()

    def use_store(self, store: EvidenceStore) -> None:
        """Use ``store`` instead of opening the configured one (tools, demo, tests)."""
        self._store = store

    def store(self) -> EvidenceStore:
        """The evidence store; a German :class:`ConfigError` if it is not set up here."""
        if self._store is None:
            try:
                self._store = EvidenceStore.open(self._config())
            except KodError as exc:
                raise ConfigError(
                    tr(
                        "evidence",
                        "Bodycam recordings cannot be used on this workstation: %1 Please ask "
                        "the administration to set up the master key file "
                        "(KOD_RECORDING_KEY_FILE) and the recording store (KOD_RECORDING_STORE).",
                        exc.message,
                    )
                ) from exc
        return self._store

    def importer(self) -> RecordingImportService:
        """The import service (opens the store)."""
        return RecordingImportService(self._db, self.store())

    def access(self) -> RecordingAccessService:
        """The access service (opens the store)."""
        return RecordingAccessService(self._db, self.store())
