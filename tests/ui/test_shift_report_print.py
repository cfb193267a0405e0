"""The Schichtbericht on paper, as the shift lead prints it at the hand-over: counts of the
shift, units on duty, open items, and the audit head as the anchor; on both engines."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

from app.domain.dto import IncidentDraft
from app.platform.permissions import Role
from app.services import Services
from app.services.login import log_in
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from tests.ui.test_printing import PRINTED, pdf_text
from tests.ui.test_role_windows import Windows, windows  # noqa: F401 (fixture)
from ui.printing.render import Letterhead, write_pdf_async
from ui.printing.shift_report import shift_report_document


@pytest.mark.asyncio
async def test_the_printed_shift_report_has_the_counts_open_items_and_the_audit_anchor(
    services: Services, tmp_path: Path
) -> None:
    await services.users.add(ADMIN, "lead", "Lena Lead", Role.SHIFT_LEAD, "geheim123")
    await services.users.add(ADMIN, "dispo", "Dora Dispo", Role.DISPATCHER, "geheim123")
    lead = await log_in(services.db.target, "lead", "geheim123", workstation="ws")
    dispo = await log_in(services.db.target, "dispo", "geheim123", workstation="ws")
    try:
        made = await dispo.services.incidents.create(
            dispo.actor, IncidentDraft("noise", priority=2, address="Hauptstraße 1")
        )
        reports = lead.services.shift_reports
        report = await reports.build(lead.actor, await reports.current_shift(lead.actor))
    finally:
        await dispo.close()
        await lead.close()
    path = tmp_path / "schicht.pdf"
    pages = await write_pdf_async(
        shift_report_document(report), Letterhead("Stadt Leverkusen"), path, PRINTED
    )
    text = pdf_text(path)
    assert f"Schichtbericht {report.shift.label()}" in text
    assert "Lärm" in text and made.number in text  # by category, and handed over as open
    # The hash may wrap onto the next line of the page, and the PDF sets "ff" as a ligature:
    # compare without whitespace, ligatures resolved.
    flat = unicodedata.normalize("NFKC", "".join(text.split()))
    assert report.audit_head and report.audit_head in flat
    assert f"Seite 1 von {pages}" in text


@pytest.mark.asyncio
async def test_only_the_shift_lead_has_the_shift_report_in_the_file_menu(
    windows: Windows,  # noqa: F811
) -> None:
    lead = await windows.open(Role.SHIFT_LEAD)
    assert "report.shift" in [a.objectName() for a in lead.commands.menu("file").actions()]
    assert lead.commands.trigger("report.shift")
    # The shift ending now is proposed: confirming it opens the preview.
    await wait_until(lambda: lead.shift_choice is not None and lead.shift_choice.isVisible())
    assert isinstance(lead.shift_choice, QDialog)
    lead.shift_choice.accept()
    await wait_until(lambda: lead.print_preview is not None and lead.print_preview.isVisible())
    assert lead.print_preview is not None
    lead.print_preview.close()
    dispatcher = await windows.open(Role.DISPATCHER)
    assert dispatcher.commands.action("report.shift") is None
    await windows.close()
