"""The unit management pane as the shift lead uses it, in the whole window, on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PySide6.QtCore import QSettings, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.services import Services
from app.services.login import Session, log_in
from app.services.unit_admin import CrewMember, ManagedUnit
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from ui.asyncutil import pending_tasks
from ui.main_window import MainWindow
from ui.models.unit_admin import COL_CREW, COL_SERVICE, UnitAdminTableModel
from ui.models.work_table import alive
from ui.views.unit_admin import UnitAdminPane
from ui.widgets.readonly import looks_read_only
from ui.workstation_window import start_window


@dataclass
class LeadWindow:
    """The shift lead's window (own login), with KOD 11 and two field officers."""

    window: MainWindow
    pane: UnitAdminPane
    ids: dict[str, int]
    follower: Any
    session: Session

    async def close(self) -> None:
        """End the change feed and the login while the loop runs (each test does it)."""
        if self.follower is not None:
            await self.follower.stop()
            self.follower = None
        pane = self.pane
        await wait_until(lambda: (not alive(pane) or pane.idle()) and not pending_tasks())
        await self.session.close()


@pytest_asyncio.fixture
async def lead(services: Services, tmp_path: Path, qtbot: QtBot) -> AsyncIterator[LeadWindow]:
    """The shift lead's window on the unit management (Ctrl+7)."""
    await services.users.add(ADMIN, "lead", "Lena Lead", Role.SHIFT_LEAD, "geheim123")
    anna = await services.users.add(ADMIN, "anna.m", "Anna Meier", Role.FIELD_OFFICER, None)
    ben = await services.users.add(ADMIN, "ben.k", "Ben Kaya", Role.FIELD_OFFICER, None)
    unit = await services.units.create(ADMIN, "KOD 11")
    session: Session = await log_in(services.db.target, "lead", "geheim123", workstation="ws")
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window, follower = await start_window(session.services, session.actor, "Test", settings)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    pane = window.findChild(UnitAdminPane)
    assert pane is not None
    await wait_until(lambda: pane.model.rowCount() == 1 and pane.crew.count() == 2)
    assert window.commands.trigger("go.unit_admin")
    opened = LeadWindow(
        window, pane, {"anna": anna.id, "ben": ben.id, "unit": unit.id}, follower, session
    )
    yield opened
    if opened.follower is not None:
        await opened.close()


def _tick(pane: UnitAdminPane, user_id: int, on: bool = True) -> None:
    for r in range(pane.crew.count()):
        item = pane.crew.item(r)
        if item.data(Qt.ItemDataRole.UserRole) == user_id:
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            return
    raise AssertionError(f"person {user_id} not listed")


def test_the_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = UnitAdminTableModel()
    crew = (CrewMember(1, "anna.m", "Anna Meier", utcnow()),)
    model.set_units(
        [
            ManagedUnit(1, "KOD 11", "Streife", True, "2", crew, 1),
            ManagedUnit(2, "KOD 12", "Streife", False, "6", (), 3),
        ]
    )
    qtmodeltester.check(model)
    assert model.data(model.index(0, COL_CREW)) == "Einzelstreife: Anna Meier"
    assert model.data(model.index(1, COL_SERVICE)) == "außer Dienst"
    assert model.data(model.index(1, COL_CREW)) == "ohne Besatzung"
    assert model.row_of(2) == 1 and model.row_of(9) == -1


@pytest.mark.asyncio
async def test_a_taken_call_sign_is_refused_in_german_and_a_new_unit_gets_its_crew(
    lead: LeadWindow, qtbot: QtBot
) -> None:
    window, pane, ids = lead.window, lead.pane, lead.ids
    # The status is shown but cannot be changed here, and looks like it.
    assert looks_read_only(pane.status) and pane.status.isReadOnly()
    assert pane.new_action.isEnabled()
    pane.new_action.trigger()
    assert pane.editing is None and pane.call_sign.hasFocus()
    qtbot.keyClicks(pane.call_sign, "kod 11")
    _tick(pane, ids["anna"])
    _tick(pane, ids["ben"])
    assert pane.crew_summary.text().startswith("Doppelstreife: ")
    pane.save_action.trigger()
    await wait_until(lambda: "vergeben" in pane.message.text())
    assert pane.message.property("error") is True
    assert pane.call_sign.hasFocus() and pane.model.rowCount() == 1

    pane.call_sign.setText("KOD 12")
    pane.save_action.trigger()
    await wait_until(lambda: pane.message.text() == "KOD 12 angelegt.")
    assert pane.model.rowCount() == 2 and pane.selected() is not None
    created = pane.selected()
    assert created is not None and created.call_sign == "KOD 12"
    assert {m.username for m in created.crew} == {"anna.m", "ben.k"}
    # The unit board shows it with its crew (through the change feed).
    board = window.docks["units"].widget()
    await wait_until(
        lambda: (
            {"Anna Meier", "Ben Kaya"}
            == {m for u in board.model.units() if u.call_sign == "KOD 12" for m in u.members}
        )
    )
    await lead.close()


@pytest.mark.asyncio
async def test_a_unit_is_renamed_taken_out_of_service_and_back(
    lead: LeadWindow,
) -> None:
    window, pane, ids = lead.window, lead.pane, lead.ids
    assert pane.select_unit(ids["unit"])
    pane.call_sign.setText("KOD 15")
    pane.save_action.trigger()
    await wait_until(lambda: pane.message.text() == "KOD 15 gespeichert.")
    board = window.docks["units"].widget()
    await wait_until(lambda: [u.call_sign for u in board.model.units()] == ["KOD 15"])

    pane.service_action.trigger()
    await wait_until(lambda: "außer Dienst" in pane.message.text())
    assert pane.service_label.text() == "außer Dienst (bleibt erhalten)"
    assert pane.model.units()[0].active is False  # still listed: never deleted
    await wait_until(lambda: board.model.units() == [])
    pane.service_action.trigger()
    await wait_until(lambda: pane.message.text() == "KOD 15 ist wieder im Dienst.")
    await wait_until(lambda: [u.call_sign for u in board.model.units()] == ["KOD 15"])
    await lead.close()
