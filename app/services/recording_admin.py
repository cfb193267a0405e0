"""The services of bodycam holds, deletions, evidence export and the clip-access report.

Grouped so that the service graph (:class:`app.services.Services`) gains one field for them:
``services.recording_admin``. The evidence export needs the master key, which a workstation may
not have (a dispatcher's desk); it is opened only when an export starts, with the German
message of :meth:`~app.evidence.store.EvidenceStore.open` if it cannot be.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.evidence.config import EvidenceConfig, resolve_evidence_config
from app.evidence.storage import FolderStore
from app.evidence.store import EvidenceStore
from app.platform.database import Database
from app.services.recording_desk import RecordingDeskService
from app.services.recording_export import CustodyPdf, RecordingExportService
from app.services.recording_holds import HoldService
from app.services.recording_report import ClipAccessReport
from app.services.recording_retention import RetentionService


@dataclass
class RecordingAdmin:
    """Holds (two people), upcoming deletions, export and the data-protection report."""

    db: Database
    holds: HoldService
    retention: RetentionService
    desk: RecordingDeskService
    report: ClipAccessReport
    #: Where key, store and quarantine are; None: the configured places, read when needed.
    config: EvidenceConfig | None = None

    @classmethod
    def create(cls, db: Database, config: EvidenceConfig | None = None) -> RecordingAdmin:
        """The services over ``db`` (the deletion job removes files in the configured store)."""
        store_dir = (config or resolve_evidence_config()).store_dir
        retention = RetentionService(db, FolderStore(store_dir))
        return cls(
            db=db,
            holds=HoldService(db),
            retention=retention,
            desk=RecordingDeskService(db, retention),
            report=ClipAccessReport(db),
            config=config,
        )

    def exporter(self, custody_pdf: CustodyPdf) -> RecordingExportService:
        """An export service over the evidence store (ConfigError/StorageError, German, if the
        master key or the store cannot be used)."""
        store = EvidenceStore.open(self.config or resolve_evidence_config())
        return RecordingExportService(self.db, store, custody_pdf)
