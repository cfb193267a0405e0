"""The Schichtbericht on paper: what happened in the shift, what is handed over, and the audit
chain's head hash as the shift's anchor outside the database (kod-admin audit verify
--expect-head). Printed by the shift lead from File → Schichtbericht (Ctrl+Shift+R) for a chosen shift."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from app.domain.shifts import Shift
from app.platform.formatting import format_datetime
from app.platform.i18n import tr
from app.services.shift_report import ShiftReport
from ui.asyncutil import spawn
from ui.dialogs.shift_choice import ShiftChoiceDialog
from ui.printing.dialogs import letterhead, preview
from ui.printing.document import PrintDocument

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def _none() -> list[tuple[str, ...]]:
    return [(tr("shift_report", "none"),)]


def shift_report_document(r: ShiftReport) -> PrintDocument:
    """The printable Schichtbericht of ``r``."""
    start = r.shift.start.astimezone().strftime("%Y-%m-%d_%H%M")
    doc = PrintDocument(
        tr("shift_report", "Shift report"), tr("shift_report", "Shift-report-%1", start)
    )
    doc.heading(tr("shift_report", "Shift report %1", r.shift.label()))
    doc.fields(
        [
            (tr("shift_report", "Made by"), r.made_by),
            (tr("shift_report", "Incidents"), str(r.incidents)),
            (tr("shift_report", "Emergencies (Notruf)"), str(len(r.emergencies))),
            (tr("shift_report", "Assaults on staff"), str(len(r.assaults))),
            (tr("shift_report", "Bodycam activations"), str(r.bodycam_activations)),
        ]
    )
    count = tr("shift_report", "Count")
    doc.heading(tr("shift_report", "Incidents by category"), 2)
    doc.table(
        [tr("shift_report", "Category"), count],
        [(k, str(n)) for k, n in r.by_category] or _none(),
        (80, 20),
    )
    doc.heading(tr("shift_report", "Incidents by Stadtteil"), 2)
    doc.table(
        [tr("shift_report", "Stadtteil"), count],
        [(k, str(n)) for k, n in r.by_stadtteil] or _none(),
        (80, 20),
    )
    doc.heading(tr("shift_report", "Units on duty"), 2)
    doc.table(
        [
            tr("shift_report", "Call sign"),
            tr("shift_report", "Crew"),
            tr("shift_report", "Incidents"),
        ],
        [(u.call_sign, ", ".join(u.crew), str(u.incidents)) for u in r.units] or _none(),
        (20, 65, 15),
    )
    incident_headers = [
        tr("shift_report", "No."),
        tr("shift_report", "Received"),
        tr("shift_report", "Category"),
        tr("shift_report", "Address"),
    ]
    for title, lines in (
        (tr("shift_report", "Notable events (priority 1)"), r.notable),
        (tr("shift_report", "Assaults on staff"), r.assaults),
        (tr("shift_report", "Open incidents handed over"), r.open_incidents),
    ):
        doc.heading(title, 2)
        doc.table(
            incident_headers,
            [(i.number, format_datetime(i.at), i.category, i.address) for i in lines] or _none(),
            (18, 18, 28, 36),
        )
    doc.heading(tr("shift_report", "Emergencies (Notruf)"), 2)
    doc.table(
        [
            tr("shift_report", "Raised"),
            tr("shift_report", "Unit"),
            tr("shift_report", "Acknowledged"),
        ],
        [
            (format_datetime(e.at), e.call_sign, format_datetime(e.acknowledged_at) or "–")
            for e in r.emergencies
        ]
        or _none(),
    )
    doc.heading(tr("shift_report", "Open tasks handed over"), 2)
    doc.table(
        [tr("shift_report", "No."), tr("shift_report", "Task"), tr("shift_report", "Due")],
        [(n, t, format_datetime(d) or "–") for n, t, d in r.open_tasks] or _none(),
        (18, 62, 20),
    )
    doc.heading(tr("shift_report", "Anchor of the audit log"), 2)
    doc.paragraph(
        tr(
            "shift_report",
            "Newest audit record when this report was made: %1. Keep this page: "
            "kod-admin audit verify --expect-head %1 shows that no record up to it was changed.",
            r.audit_head or "–",
        ),
        small=True,
    )
    doc.signatures([tr("shift_report", "Shift lead"), tr("shift_report", "Next shift")])
    return doc


def install(window: MainWindow) -> None:
    """File → Schichtbericht for roles that may print it (the shift lead): choose the shift
    (proposed: the one ending now), then the print preview."""
    ctx = window.ctx
    services = ctx.services

    async def show(shift: Shift) -> None:
        reports = services.shift_reports
        document = shift_report_document(await reports.build(ctx.actor, shift))
        window.print_preview = preview(window, document, await letterhead(services))

    async def choose() -> None:
        starts = await services.shift_reports.starts(ctx.actor)

        def chosen(shift: Shift) -> None:
            spawn(show(shift))

        dialog = ShiftChoiceDialog(starts, chosen, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        window.shift_choice = dialog
        dialog.open()

    window.commands.bind("report.shift", lambda: spawn(choose()))
