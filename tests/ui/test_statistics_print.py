"""The statistics on paper and on screen, as a shift lead uses them: the PDF of a demo month
holds the counts a direct SQL count gives (read back with pdftotext), its pages render, the
dialog writes PDF and CSV with its progress bar, the Einsatzbericht of the shown incident, the
shift chosen for the Schichtbericht, and the live dashboard; on both engines."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.domain.codes import category_label
from app.domain.dto import IncidentDraft
from app.domain.periods import month
from app.platform.permissions import Role
from app.platform.timeutil import BERLIN
from app.platform.uow import Actor
from app.services import Services
from demodata.generate import generate_demo
from tests.ui.conftest import wait_until
from tests.ui.test_printing import PRINTED, page_images, pdf_text
from tests.ui.test_role_windows import Windows, windows  # noqa: F401 (fixture)
from ui.dialogs.shift_choice import ShiftChoiceDialog
from ui.dialogs.statistics import StatisticsDialog
from ui.printing.incident_report import incident_report_document
from ui.printing.render import Letterhead, write_pdf_async
from ui.printing.statistics import statistics_document
from ui.views.dashboard import DashboardPane

UNTIL = datetime(2026, 12, 1, 12, 0, tzinfo=BERLIN)
NOVEMBER = month(2026, 11)
LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD, "Lena Lead")


def _direct(services: Services, column: str) -> dict[str, int]:
    sqlite = services.db.target.is_sqlite
    bounds = {
        k: (v.astimezone(UTC).replace(tzinfo=None) if sqlite else v)
        for k, v in (("a", NOVEMBER.start), ("b", NOVEMBER.end))
    }
    engine = services.db.sync_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT {column}, count(*) FROM incident "
                    "WHERE created_at >= :a AND created_at < :b GROUP BY 1"
                ),
                bounds,
            ).all()
    finally:
        engine.dispose()
    return {str(k): int(n) for k, n in rows}


def _counts_in(text_: str, label: str) -> int:
    """The count printed right of ``label`` in its table (the first such line)."""
    match = re.search(rf"^.*?{re.escape(label)}.*?\s(\d+)\s*$", text_, re.MULTILINE)
    assert match, label
    return int(match.group(1))


@pytest.mark.asyncio
async def test_the_printed_statistics_of_a_month_equal_a_direct_sql_count(
    services: Services, tmp_path: Path
) -> None:
    await generate_demo(services, Actor.cli(), incidents=1500, seed=5, until=UNTIL)
    stats = await services.statistics.build(LEAD, NOVEMBER)
    path = tmp_path / "statistik.pdf"
    pages = await write_pdf_async(
        statistics_document(stats), Letterhead("Stadt Leverkusen"), path, PRINTED
    )
    # The PDF sets "ff", "fl" as ligatures: read them as letters.
    text_ = unicodedata.normalize("NFKC", pdf_text(path))
    assert "Statistik November 2026" in text_ and f"Seite {pages} von {pages}" in text_
    categories = _direct(services, "category")
    for code, n in categories.items():
        # A long label wraps in its table: its count stands on the line where it begins.
        assert _counts_in(text_, category_label(code)[:14]) == n, code
    stadtteile = _direct(services, "stadtteil")
    for name, n in stadtteile.items():
        assert _counts_in(text_, name) == n, name
    busiest = max(stadtteile, key=lambda k: stadtteile[k])
    assert stats.by_stadtteil[0] == (busiest, stadtteile[busiest])
    assert "Alarmierung bis Eintreffen" in text_ and "Einheitenstunden nach Status" in text_
    # Every page renders with its charts (the pages were also looked at while writing this).
    images = page_images(path)
    assert len(images) == pages == 3


@pytest.mark.asyncio
async def test_a_dispatcher_writes_the_statistics_as_pdf_and_csv_from_the_dialog(
    windows: Windows,  # noqa: F811
    services: Services,
    tmp_path: Path,
) -> None:
    await generate_demo(services, Actor.cli(), incidents=300, seed=5, until=UNTIL)
    window = await windows.open(Role.DISPATCHER)
    assert "report.statistics" in [a.objectName() for a in window.commands.menu("file").actions()]
    assert window.commands.trigger("report.statistics")
    dialog = window.statistics_dialog
    assert isinstance(dialog, StatisticsDialog) and dialog.isVisible()
    dialog.choose(NOVEMBER)
    await dialog.write_pdf(tmp_path / "nov.pdf")
    assert dialog.progress.value() == 100
    assert "Statistik November 2026" in pdf_text(tmp_path / "nov.pdf")
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    await dialog.write_csv(csv_dir)
    names = sorted(p.name for p in csv_dir.iterdir())
    assert "Statistik-2026-11-kategorien.csv" in names and len(names) == 7
    assert "7 Tabellen" in dialog.status.text()
    # No personal data in any table: no caller, no address of the demo data.
    every = "".join(p.read_text(encoding="utf-8-sig") for p in csv_dir.iterdir())
    assert "straße" not in every.lower()
    # The preview of the whole year (Qt's print preview; printing goes from there).
    dialog.by_year.setChecked(True)
    dialog.preview_button.click()
    await wait_until(lambda: dialog.preview is not None and dialog.preview.isVisible(), 15)
    assert dialog.preview is not None and "2026" in dialog.status.text()
    dialog.preview.close()
    # Only the figures, not the Einsatzbericht with names.
    assert window.commands.action("report.incident") is None
    dialog.close()
    await windows.close()


@pytest.mark.asyncio
async def test_the_shift_lead_prints_the_incident_report_and_a_chosen_shift(
    windows: Windows,  # noqa: F811
    services: Services,
    tmp_path: Path,
) -> None:
    lead = await windows.open(Role.SHIFT_LEAD)
    made = await lead.ctx.services.incidents.create(
        lead.ctx.actor,
        IncidentDraft("noise", priority=2, address="Hauptstraße 1", caller_name="Erika Muster"),
    )
    await lead.ctx.services.incidents.add_note(lead.ctx.actor, made.id, "Musik leiser gestellt.")
    report = await lead.ctx.services.incident_reports.build(lead.ctx.actor, made.id)
    path = tmp_path / "einsatz.pdf"
    await write_pdf_async(incident_report_document(report), Letterhead("Stadt"), path, PRINTED)
    paper = pdf_text(path)
    for expected in (f"Einsatzbericht {made.number}", "Erika Muster", "Musik leiser", "Lärm"):
        assert expected in paper
    detail: Any = lead.docks["detail"].widget()
    assert not lead.commands.trigger("report.incident")  # nothing shown yet
    detail.show_incident(made.id)
    await wait_until(lambda: detail.is_shown() and detail.incident_id == made.id)
    lead.commands.update()
    assert lead.commands.trigger("report.incident")
    await wait_until(lambda: lead.print_preview is not None and lead.print_preview.isVisible())
    assert lead.print_preview is not None
    assert lead.print_preview.windowTitle() == "Einsatzbericht"
    lead.print_preview.close()
    lead.print_preview = None

    assert lead.commands.trigger("report.shift")
    await wait_until(lambda: isinstance(lead.shift_choice, ShiftChoiceDialog))
    choice = lead.shift_choice
    assert isinstance(choice, ShiftChoiceDialog)
    assert choice.shift.count() == 3  # 06:00, 14:00, 22:00
    choice.shift.setCurrentIndex(0)
    chosen, day = choice.selected(), choice.day.date().toString("dd.MM.yyyy")
    assert chosen.label().startswith(f"{day} 06:00")
    choice.accept()
    await wait_until(lambda: lead.print_preview is not None and lead.print_preview.isVisible())
    lead.print_preview.close()  # type: ignore[union-attr]
    await windows.close()


@pytest.mark.asyncio
async def test_the_dashboard_follows_new_incidents_live(
    windows: Windows,  # noqa: F811
    services: Services,
) -> None:
    lead = await windows.open(Role.SHIFT_LEAD)
    assert "dashboard" in lead.docks
    pane = lead.docks["dashboard"].widget()
    assert isinstance(pane, DashboardPane)
    assert lead.commands.trigger("go.dashboard")
    await wait_until(lambda: pane.today is not None)
    before = pane.today.incidents if pane.today else 0
    dispatcher = await windows.open(Role.DISPATCHER)  # another workstation
    await dispatcher.ctx.services.incidents.create(
        dispatcher.ctx.actor, IncidentDraft("assault_staff", priority=1, address="Marktplatz 1")
    )
    await wait_until(
        lambda: pane.today is not None and pane.today.incidents == before + 1, timeout=15
    )
    assert pane.values[("today", "incidents")].text() == str(before + 1)
    assert pane.values[("today", "assaults")].text() == "1"
    # The clerk sees the figures too; the field officer's window has no dashboard.
    clerk = await windows.open(Role.CLERK)
    assert "dashboard" in clerk.docks
    await windows.close()
