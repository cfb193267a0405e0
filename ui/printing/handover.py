"""The hand-over to the Bußgeldstelle as files: the XML (or CSV) and one Anzeige PDF per case.

The pane that hands cases over calls :func:`write_handover` with a folder; the export and each
printed Anzeige are audited by the services. Files appear complete or not at all: each is
written under a temporary name and renamed when done.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from app.platform.errors import KodError
from app.platform.uow import Actor
from app.services import Services
from app.services.offence_export import Document, ExportFormat
from ui.printing.dialogs import letterhead
from ui.printing.offence_documents import offence_document
from ui.printing.render import write_pdf_async


@dataclass(frozen=True)
class HandoverFiles:
    """What :func:`write_handover` wrote."""

    data_file: Path
    reports: tuple[Path, ...]


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")


def _cannot_write(path: Path, exc: OSError) -> KodError:
    return KodError(
        QCoreApplication.translate("Handover", "%1 cannot be written (%2).")
        .replace("%1", str(path))
        .replace("%2", exc.strerror or "")
    )


async def write_handover(
    services: Services,
    actor: Actor,
    case_ids: list[int],
    folder: Path,
    fmt: ExportFormat = ExportFormat.XML,
) -> HandoverFiles:
    """Write the hand-over file of ``case_ids`` and the Anzeige of each case into ``folder``."""
    ids = list(dict.fromkeys(case_ids))
    export = await services.offence_export.export(actor, ids, fmt)
    head = await letterhead(services)
    data_file = folder / export.file_name
    written: list[Path] = []
    try:
        partial = _partial(data_file)
        try:
            partial.write_bytes(export.data)
            partial.replace(data_file)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise _cannot_write(data_file, exc) from exc
        written.append(data_file)
        for case_id in ids:
            doc = await offence_document(services, actor, case_id, Document.COMPLAINT)
            target = folder / f"{doc.file_stem}.pdf"
            partial = _partial(target)
            try:
                await write_pdf_async(doc, head, partial)
                partial.replace(target)
            except OSError as exc:
                partial.unlink(missing_ok=True)
                raise _cannot_write(target, exc) from exc
            written.append(target)
    except KodError:
        for path in written:  # no half hand-over: a failed one leaves nothing behind
            path.unlink(missing_ok=True)
        raise
    return HandoverFiles(data_file, tuple(written[1:]))
