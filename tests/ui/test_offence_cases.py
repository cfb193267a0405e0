"""The offence cases as a clerk works them in the whole window: capture a parking case, give a
Verwarnung, see cases that run out soon; on both engines, logged in as themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PySide6.QtCore import QSettings
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.domain.dto import IncidentDraft
from app.domain.offences.cases import CaseDraft, CaseInfo, CaseStatus, PersonDraft
from app.domain.offences.limitation import Culpability
from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.services import Services
from app.services.login import Session, log_in
from db.models import OffenceCase
from resources.paths import resource_path
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from tests.ui.test_role_windows import in_front
from ui.asyncutil import pending_tasks
from ui.main_window import MainWindow
from ui.models.offence_cases import COL_DAYS, OffenceCaseTableModel
from ui.models.work_table import alive
from ui.views.incident_detail import IncidentDetailPane
from ui.views.offences.dialogs import CaptureCaseDialog, CautionDialog
from ui.views.offences.pane import OffenceCasePane
from ui.views.offences.printing import print_menu
from ui.views.offences.witness import WitnessDialog
from ui.workstation_window import start_window


@dataclass
class ClerkWindow:
    window: MainWindow
    pane: OffenceCasePane
    follower: Any
    session: Session

    async def close(self) -> None:
        if self.follower is not None:
            await self.follower.stop()
            self.follower = None
        pane = self.pane
        await wait_until(lambda: (not alive(pane) or pane.idle()) and not pending_tasks())
        await self.session.close()


async def open_window(services: Services, tmp_path: Path, qtbot: QtBot, role: Role) -> Any:
    await services.users.add(ADMIN, "sb", "Sina Sachbearbeitung", role, "geheim123")
    session = await log_in(services.db.target, "sb", "geheim123", workstation="ws")
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window, follower = await start_window(session.services, session.actor, "Test", settings)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    return window, follower, session


@pytest_asyncio.fixture
async def clerk(services: Services, tmp_path: Path, qtbot: QtBot) -> AsyncIterator[ClerkWindow]:
    seed = resource_path("data", "owi-catalogue-seed.csv").read_text(encoding="utf-8")
    await services.catalogue.import_csv(ADMIN, seed)
    window, follower, session = await open_window(services, tmp_path, qtbot, Role.CLERK)
    pane = window.findChild(OffenceCasePane)
    assert pane is not None
    opened = ClerkWindow(window, pane, follower, session)
    await wait_until(pane.idle)
    yield opened
    if opened.follower is not None:
        await opened.close()


def open_dialog(pane: OffenceCasePane, kind: type) -> Any:
    dialog = pane.dialog
    assert isinstance(dialog, kind) and dialog.isVisible()
    return dialog


@pytest.mark.asyncio
async def test_a_clerk_captures_a_parking_case_and_gives_a_verwarnung_by_keyboard(
    clerk: ClerkWindow, qtbot: QtBot
) -> None:
    window, pane = clerk.window, clerk.pane
    assert window.commands.trigger("go.offences")
    await wait_until(pane.table.hasFocus)
    assert window.commands.trigger("offences.new")
    dialog = open_dialog(pane, CaptureCaseDialog)
    await wait_until(dialog.catalogue.search.hasFocus)
    qtbot.keyClicks(dialog.catalogue.search, "141312")
    await wait_until(lambda: dialog.catalogue.results.count() == 1)
    assert "Parken im absoluten Haltverbot" in dialog.catalogue.results.item(0).text()
    qtbot.keyClicks(dialog.place, "Hauptstraße 12")
    qtbot.keyClicks(dialog.last_name, "Muster")
    qtbot.keyClicks(dialog.first_name, "Max")
    qtbot.keyClicks(dialog.birth_date, "31.02.1980")
    qtbot.keyClicks(dialog.address, "Wiesdorfer Platz 1, 51373 Leverkusen")
    dialog.try_submit()
    await wait_until(lambda: "TT.MM.JJJJ" in dialog.message.text())
    assert dialog.isVisible() and dialog.birth_date.hasFocus()
    assert dialog.last_name.text() == "Muster"  # nothing typed is lost
    dialog.birth_date.setText("17.05.1980")
    dialog.try_submit()
    await wait_until(lambda: pane.model.rowCount() == 1 and pane.selected() is not None)
    case = pane.selected()
    assert case is not None and case.status is CaseStatus.OPEN
    assert pane.fields["fine"].text() == "25,00 €"
    assert "§ 26 Abs. 3 StVG" in pane.fields["limitation"].text()
    await wait_until(lambda: pane.history.count() == 1)

    # Ctrl+Enter offers the steps the workflow allows; 1 = checked.
    menu = pane.show_step_menu()
    assert menu is not None
    enabled = [a.text() for a in menu.actions() if a.isEnabled()]
    assert enabled == ["&1 Geprüft", "&2 Verwarnung …", "&3 Zahlung eingegangen", "&6 Einstellen …"]
    menu.actions()[0].trigger()
    menu.close()
    await wait_until(lambda: (c := pane.selected()) is not None and c.status is CaseStatus.CHECKED)
    pane.step(CaseStatus.CAUTION)
    caution = open_dialog(pane, CautionDialog)
    assert caution.amount.value() == 25
    assert "eine Woche" in caution.period_hint.text()
    caution.try_submit()
    await wait_until(lambda: "Weigerungsrecht" in caution.message.text())
    caution.consent.setChecked(True)
    caution.try_submit()
    await wait_until(lambda: (c := pane.selected()) is not None and c.status is CaseStatus.CAUTION)
    assert pane.fields["status"].text() == "Verwarnung erteilt, Zahlung offen"
    await wait_until(lambda: pane.history.count() == 3)
    assert "Verwarnung erteilt" in pane.history.item(2).text()

    # Ctrl+P: the Bescheinigung of the Verwarnung in the print preview.
    menu = print_menu(pane)
    assert menu is not None
    actions = [a for a in menu.actions() if not a.isSeparator()]
    assert [a.isEnabled() for a in actions] == [True, True, True, False]  # not yet checked
    actions[0].trigger()
    menu.close()
    await wait_until(lambda: pane.preview_dialog is not None and pane.preview_dialog.isVisible())
    assert pane.preview_dialog is not None
    assert "Bescheinigung" in pane.preview_dialog.windowTitle()
    pane.preview_dialog.close()

    pane.witness_button.click()
    witness = open_dialog(pane, WitnessDialog)
    qtbot.keyClicks(witness.last_name, "Zeugin")
    qtbot.keyClicks(witness.address, "Platz 3, Leverkusen")
    qtbot.keyClicks(witness.statement, "Sah das Fahrzeug dort eine Stunde stehen.")
    witness.try_submit()
    await wait_until(lambda: pane.evidence.count() == 1)
    assert pane.evidence.item(0).text().startswith("Zeuge Zeugin: Sah das Fahrzeug")
    await clerk.close()


@pytest.mark.asyncio
async def test_a_case_near_its_limitation_is_marked_and_the_header_warns(
    clerk: ClerkWindow, services: Services
) -> None:
    pane = clerk.pane
    entry = (await services.catalogue.search(ADMIN, "141312"))[0]
    session = clerk.session
    await session.services.offences.capture(
        session.actor,
        CaseDraft(
            entry.id,
            "Parken im Haltverbot",
            utcnow() - timedelta(days=85),
            "Kölner Straße 1",
            Culpability.NEGLIGENCE,
            PersonDraft("Muster", "Erika", date(1970, 1, 1), "Weg 1, 51379 Leverkusen"),
        ),
    )
    # Captured elsewhere: the change feed brings it to the list.
    await wait_until(lambda: pane.model.rowCount() == 1)
    assert pane.warning.isVisible()
    assert pane.warning.text().startswith("1 Fall verjährt bald")
    days = int(pane.model.data(pane.model.index(0, COL_DAYS)) or -1)
    assert 0 <= days <= 14
    await clerk.close()


def test_the_case_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = OffenceCaseTableModel()
    today = date(2026, 5, 1)
    person = PersonDraft("Muster", "Max", None, "Weg 1")

    def case(n: int, last: date) -> CaseInfo:
        return CaseInfo(
            n,
            f"OWi-2026-{n:06d}",
            CaseStatus.OPEN,
            1,
            "PARK_141312",
            1,
            "Parken",
            "§ 12 StVO",
            "x",
            utcnow(),
            "Ort",
            None,
            None,
            Culpability.NEGLIGENCE,
            "caution",
            2500,
            None,
            None,
            None,
            last,
            "§ 26 Abs. 3 StVG (3 Monate)",
            person,
            None,
            None,
            1,
        )

    model.set_cases(
        [case(1, today + timedelta(days=2)), case(2, today - timedelta(days=1))], today, 14
    )
    qtmodeltester.check(model)
    assert model.data(model.index(0, COL_DAYS)) == "2"
    assert model.data(model.index(1, COL_DAYS)) == "verjährt"
    assert len(model.running_out()) == 2


@pytest.mark.asyncio
async def test_a_dispatcher_records_a_parking_verwarnung_from_the_incident_of_a_call(
    services: Services, tmp_path: Path, qtbot: QtBot
) -> None:
    seed = resource_path("data", "owi-catalogue-seed.csv").read_text(encoding="utf-8")
    await services.catalogue.import_csv(ADMIN, seed)
    window, follower, session = await open_window(services, tmp_path, qtbot, Role.DISPATCHER)
    incident = await session.services.incidents.create(
        session.actor, IncidentDraft("parking", address="Hauptstraße 12", lat=51.07, lon=7.0)
    )
    detail = window.docks["detail"].widget()
    assert isinstance(detail, IncidentDetailPane)
    await wait_until(lambda: window.queue.select_incident(incident.id))
    await wait_until(lambda: detail.detail is not None and detail.detail.id == incident.id)
    pane = window.findChild(OffenceCasePane)
    assert pane is not None and "offences" not in in_front(window)
    assert window.commands.trigger("offences.new")
    dialog = open_dialog(pane, CaptureCaseDialog)
    assert dialog.link_incident.isChecked() and incident.number in dialog.link_incident.text()
    assert dialog.place.text() == "Hauptstraße 12"
    qtbot.keyClicks(dialog.catalogue.search, "141312")
    await wait_until(lambda: dialog.catalogue.results.count() == 1)
    qtbot.keyClicks(dialog.last_name, "Muster")
    qtbot.keyClicks(dialog.address, "Wiesdorfer Platz 1, 51373 Leverkusen")
    dialog.caution_button.click()
    await wait_until(lambda: isinstance(pane.dialog, CautionDialog) and pane.dialog.isVisible())
    caution = pane.dialog
    assert isinstance(caution, CautionDialog) and caution.amount.value() == 25
    caution.consent.setChecked(True)
    caution.at_once.setChecked(True)
    caution.try_submit()
    await wait_until(lambda: not alive(caution))
    async with services.db.read() as s:
        stored = (await s.execute(select(OffenceCase.status, OffenceCase.incident_id))).all()
    assert [tuple(r) for r in stored] == [("paid", incident.id)]
    # Paid at once: closed, so off the list of running cases.
    assert await session.services.offences.by_days_left(session.actor) == []
    assert window.commands.trigger("go.offences")
    await follower.stop()
    await wait_until(lambda: pane.idle() and not pending_tasks())
    await session.close()
