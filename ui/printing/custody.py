"""The chain-of-custody PDF of an evidence export (Zugriffsprotokoll).

:func:`custody_document` lays out a :class:`~app.services.recording_export.CustodyReport`: the
recording (number, SHA-256, size, times, officer, camera, incident), the export (by whom, for
whom, why) and every audited access in order. :func:`custody_writer` is what the workstation
hands to :class:`~app.services.recording_export.RecordingExportService`.

Run as ``python -m ui.printing.custody REPORT.json OUT.pdf`` it renders a report written by
``kod-admin recordings export`` (which loads no Qt itself) with an offscreen Qt.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from app.platform.formatting import format_datetime
from app.platform.i18n import tr
from app.services.recording_export import CustodyReport
from ui.printing.document import PrintDocument
from ui.printing.render import Letterhead, write_pdf


def custody_document(report: CustodyReport) -> PrintDocument:
    """The protocol as a printable document."""
    doc = PrintDocument(
        title=tr("custody", "Chain of custody"),
        file_stem=f"Zugriffsprotokoll-Aufnahme-{report.recording_id}",
    )
    doc.heading(tr("custody", "Chain of custody of bodycam recording no. %1", report.recording_id))
    doc.fields(
        [
            (tr("custody", "SHA-256"), report.sha256),
            (tr("custody", "Size"), tr("custody", "%1 bytes", report.size_bytes)),
            (tr("custody", "Recorded"), format_datetime(report.started_at)),
            (tr("custody", "Until"), format_datetime(report.ended_at)),
            (tr("custody", "Officer"), report.officer),
            (tr("custody", "Camera"), report.device),
            (tr("custody", "Incident"), report.incident_number or ""),
        ]
    )
    doc.heading(tr("custody", "This export"), 2)
    doc.fields(
        [
            (tr("custody", "Exported by"), report.exported_by),
            (tr("custody", "Exported at"), format_datetime(report.exported_at)),
            (tr("custody", "Recipient"), report.recipient),
            (tr("custody", "Reason"), report.reason),
        ]
    )
    doc.heading(tr("custody", "Every access to the recording"), 2)
    doc.table(
        [
            tr("custody", "When"),
            tr("custody", "Who"),
            tr("custody", "What"),
            tr("custody", "Why / to whom"),
            tr("custody", "Workstation"),
        ],
        [
            (
                format_datetime(e.occurred_at),
                e.username,
                e.action_label,
                " / ".join(x for x in (e.reason, e.recipient) if x),
                e.workstation or "",
            )
            for e in report.entries
        ],
        widths=(17, 15, 25, 30, 13),
    )
    doc.paragraph(
        tr(
            "custody",
            "Taken from the tamper-evident audit log of the KOD-Leitstelle. The SHA-256 of the "
            "recording was computed at import and checked again for this export.",
        ),
        small=True,
    )
    return doc


def custody_writer(head: Letterhead) -> Callable[[CustodyReport, Path], None]:
    """A writer of the protocol PDF with ``head`` (runs in the export's worker thread)."""

    def write(report: CustodyReport, path: Path) -> None:
        write_pdf(custody_document(report), head, path)

    return write


def main(argv: list[str]) -> int:
    """Render ``argv[0]`` (the report as JSON, with its letterhead) to ``argv[1]``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    from ui.i18n import install_translations

    data = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    app = QGuiApplication.instance() or QGuiApplication(["kod-custody"])
    install_translations(app)
    head = Letterhead(**data["letterhead"])
    write_pdf(custody_document(CustodyReport.from_json(data["report"])), head, Path(argv[1]))
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
