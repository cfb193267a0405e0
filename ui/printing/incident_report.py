"""The Einsatzbericht on paper: one incident with its data, outcome, units and their status
times, the full journal, and what is linked to it (Meldung, Aufträge, offence cases, bodycam
recordings — the last two only for roles that may see them).

It names people, so it is the shift lead's (Incident → Einsatzbericht, Ctrl+Shift+I, for the
incident shown in the detail); the service checks the right to read the incident.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.codes import (
    category_label,
    outcome_label,
    priority_label,
    status_label,
    unit_status_display,
)
from app.domain.geo import format_coordinates
from app.platform.formatting import format_datetime
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.services.incident_report import IncidentReport
from ui.asyncutil import spawn
from ui.printing.dialogs import letterhead, preview
from ui.printing.document import PrintDocument

if TYPE_CHECKING:
    from ui.main_window import MainWindow
    from ui.views.incident_detail import IncidentDetailPane


def _none() -> list[tuple[str, ...]]:
    return [(tr("incident_report", "none"),)]


def incident_report_document(r: IncidentReport) -> PrintDocument:
    """The printable Einsatzbericht of ``r``."""
    i = r.incident
    doc = PrintDocument(
        tr("incident_report", "Incident report"),
        tr("incident_report", "Incident-report-%1", i.number),
    )
    doc.heading(tr("incident_report", "Incident report %1", i.number))
    place = ", ".join(p for p in (i.address, i.stadtteil or "") if p)
    where = format_coordinates(i.lat, i.lon) if i.lat is not None and i.lon is not None else ""
    doc.fields(
        [
            (tr("incident_report", "Category"), category_label(i.category)),
            (tr("incident_report", "Priority"), priority_label(i.priority)),
            (tr("incident_report", "Status"), status_label(i.status)),
            (tr("incident_report", "Place"), place),
            (tr("incident_report", "Coordinates"), where),
            (tr("incident_report", "Caller"), i.caller_name or ""),
            (tr("incident_report", "Caller's phone"), i.caller_phone or ""),
            (tr("incident_report", "Description"), i.description),
        ]
    )
    doc.heading(tr("incident_report", "Times"), 2)
    doc.fields(
        [
            (tr("incident_report", "Received"), format_datetime(i.created_at)),
            (tr("incident_report", "Dispatched"), format_datetime(i.dispatched_at)),
            (tr("incident_report", "First unit on scene"), format_datetime(i.on_scene_at)),
            (tr("incident_report", "Closed"), format_datetime(i.closed_at)),
        ]
    )
    doc.heading(tr("incident_report", "Outcome"), 2)
    doc.fields(
        [
            (tr("incident_report", "Outcome"), outcome_label(i.outcome) or "–"),
            (tr("incident_report", "Note on the outcome"), i.outcome_note or ""),
        ]
    )
    doc.heading(tr("incident_report", "Units"), 2)
    doc.table(
        [
            tr("incident_report", "Unit"),
            tr("incident_report", "Alarmed"),
            tr("incident_report", "Confirmed"),
            tr("incident_report", "On scene"),
            tr("incident_report", "Released"),
        ],
        [
            (
                a.call_sign,
                format_datetime(a.assigned_at),
                format_datetime(a.confirmed_at) or "–",
                format_datetime(a.on_scene_at) or "–",
                format_datetime(a.released_at) or "–",
            )
            for a in i.assignments
        ]
        or _none(),
        (16, 21, 21, 21, 21),
    )
    doc.heading(tr("incident_report", "Status times of the units"), 2)
    doc.table(
        [
            tr("incident_report", "Time"),
            tr("incident_report", "Unit"),
            tr("incident_report", "Status"),
        ],
        [
            (format_datetime(s.at), s.call_sign, unit_status_display(s.status))
            for s in r.status_steps
        ]
        or _none(),
        (28, 18, 54),
    )
    doc.heading(tr("incident_report", "Journal (Einsatztagebuch)"), 2)
    doc.table(
        [
            tr("incident_report", "Time"),
            tr("incident_report", "By"),
            tr("incident_report", "Entry"),
        ],
        [(format_datetime(j.created_at), j.username, j.text) for j in i.journal] or _none(),
        (26, 14, 60),
    )
    doc.heading(tr("incident_report", "Linked items"), 2)
    linked = [
        (tr("incident_report", "Report (Meldung)"), r.source_report or "–"),
        (
            tr("incident_report", "Tasks (Aufträge)"),
            "; ".join(f"{n} {t}" for n, t, _ in r.tasks) or "–",
        ),
    ]
    if r.offence_cases is not None:
        cases = "; ".join(n for n, _ in r.offence_cases) or "–"
        linked.append((tr("incident_report", "Offence cases"), cases))
    if r.recordings is not None:
        linked.append((tr("incident_report", "Bodycam recordings"), str(r.recordings)))
    doc.fields(linked)
    doc.paragraph(
        tr(
            "incident_report",
            "Made %1 by %2.",
            format_datetime(r.made_at),
            r.made_by,
        ),
        small=True,
    )
    doc.signatures([tr("incident_report", "Place, date"), tr("incident_report", "Shift lead")])
    return doc


def install(window: MainWindow, pane: IncidentDetailPane) -> None:
    """Incident → Einsatzbericht for the incident shown in the detail (shift lead)."""
    ctx = window.ctx
    if not ctx.can(Permission.SHIFT_REPORT):
        return
    services = ctx.services

    async def show() -> None:
        incident_id = pane.incident_id
        if incident_id is None:
            return
        report = await services.incident_reports.build(ctx.actor, incident_id)
        document = incident_report_document(report)
        window.print_preview = preview(window, document, await letterhead(services))

    window.commands.bind("report.incident", lambda: spawn(show()), pane.is_shown)
