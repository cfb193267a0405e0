"""Assigning a unit: proposals (available and nearest first), Enter assigns, unavailable units."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.domain.dto import IncidentDraft, UnitInfo, UnitProposal
from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.platform.uow import Actor
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from tests.ui.flows import KeyPad
from ui.context import UiContext
from ui.dialogs.assign_unit import AssignUnitDialog
from ui.models.unit_proposals import (
    COL_CALL_SIGN,
    COL_DISTANCE,
    COL_INCIDENT,
    COL_STATUS,
    AvailableRole,
    UnitIdRole,
    UnitProposalTableModel,
    format_distance,
)

LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD)
WIESDORF = (51.0325, 6.9870)


async def _setup(ctx: UiContext) -> tuple[int, dict[str, int]]:
    """An incident in Wiesdorf and four units: near, far, not available (6), busy elsewhere."""
    units = {}
    for call_sign, (dlat, dlon) in {
        "KOD 11": (0.005, 0.0),
        "KOD 12": (0.03, 0.02),
        "KOD 13": (0.001, 0.0),
        "KOD 14": (0.002, 0.001),
    }.items():
        info = await ctx.services.units.create(
            LEAD, call_sign, home=(WIESDORF[0] + dlat, WIESDORF[1] + dlon)
        )
        units[call_sign] = info.id
    await ctx.services.units.set_status(ctx.actor, units["KOD 13"], "6")
    other = await ctx.services.incidents.create(
        ctx.actor, IncidentDraft("noise", address="Elsewhere 1", lat=51.06, lon=7.0)
    )
    await ctx.services.incidents.assign_unit(ctx.actor, other.id, units["KOD 14"])
    incident = await ctx.services.incidents.create(
        ctx.actor,
        IncidentDraft("waste", address="Friedrich-Ebert-Platz 1", lat=WIESDORF[0], lon=WIESDORF[1]),
    )
    return incident.id, units


def _unit(call_sign: str, status: str, incident: str | None = None) -> UnitInfo:
    return UnitInfo(
        1 if call_sign.endswith("1") else 2,
        call_sign,
        "Streife",
        status,
        utcnow(),
        None,
        None,
        None,
        ("A. Muster",),
        7 if incident else None,
        incident,
        1,
    )


def test_model_passes_qtmodeltester_and_formats(qtmodeltester: ModelTester) -> None:
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))  # as the app
    model = UnitProposalTableModel()
    model.set_proposals(
        [
            UnitProposal(_unit("KOD 11", "2"), 1234.0, True),
            UnitProposal(_unit("KOD 12", "3", "E-2026-000007"), None, False),
        ]
    )
    qtmodeltester.check(model, force_py=True)
    assert model.data(model.index(0, COL_CALL_SIGN)) == "KOD 11"
    assert model.data(model.index(0, COL_DISTANCE)) == "1,2 km"
    assert model.data(model.index(1, COL_DISTANCE)) == "–"
    assert model.data(model.index(1, COL_INCIDENT)) == "E-2026-000007"
    assert model.data(model.index(0, COL_STATUS)).startswith("2 – ")
    assert model.data(model.index(0, 0), AvailableRole) is True
    assert model.data(model.index(1, 0), AvailableRole) is False
    assert model.row_of(2) == 1 and model.row_of(99) == -1
    assert format_distance(455.0) == "460 m"


async def _open(ctx: UiContext, qtbot: QtBot, incident_id: int) -> AssignUnitDialog:
    dialog = AssignUnitDialog(ctx, incident_id)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    await wait_until(lambda: dialog.loaded and dialog.isActiveWindow())
    return dialog


@pytest.mark.asyncio
async def test_nearest_available_unit_is_preselected_and_enter_assigns_it(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    incident_id, units = await _setup(ui_ctx)
    dialog = await _open(ui_ctx, qtbot, incident_id)
    order = [dialog.model.data(dialog.model.index(r, 0)) for r in range(dialog.model.rowCount())]
    # Available ones first, nearest first; then the unavailable ones (also nearest first).
    assert order == ["KOD 11", "KOD 12", "KOD 13", "KOD 14"]
    assert dialog.current_unit_id() == units["KOD 11"]
    assert "E-" in dialog.summary.text() and "Friedrich-Ebert-Platz 1" in dialog.summary.text()

    assigned = _record(dialog)
    KeyPad().key(Qt.Key.Key_Return)
    await wait_until(lambda: assigned)
    assert assigned == [(incident_id, units["KOD 11"])]
    assert dialog.result() == AssignUnitDialog.DialogCode.Accepted
    incident = await ui_ctx.services.incidents.get(ui_ctx.actor, incident_id)
    assert incident.status == "dispatched"
    # Alarmed for the incident; status 3 comes when the unit confirms.
    unit = await ui_ctx.services.units.get(ui_ctx.actor, units["KOD 11"])
    assert unit.incident_id == incident_id and unit.alarmed_at is not None


def _record(dialog: AssignUnitDialog) -> list[tuple[int, int]]:
    assigned: list[tuple[int, int]] = []
    dialog.assigned.connect(lambda incident, unit: assigned.append((incident, unit)))
    return assigned


def _mnemonic(box: QMessageBox, button: QMessageBox.StandardButton) -> Qt.Key:
    text = box.button(button).text()
    letter = text[text.index("&") + 1]
    return Qt.Key(ord(letter.upper()))


@pytest.mark.asyncio
async def test_unavailable_unit_asks_for_confirmation_by_keyboard(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    incident_id, units = await _setup(ui_ctx)
    dialog = await _open(ui_ctx, qtbot, incident_id)
    pad = KeyPad()
    pad.key(Qt.Key.Key_Down)
    pad.key(Qt.Key.Key_Down)  # KOD 13, status 6
    assert dialog.current_unit_id() == units["KOD 13"]
    pad.key(Qt.Key.Key_Return)
    await wait_until(lambda: dialog.confirm_box is not None and dialog.confirm_box.isActiveWindow())
    box = dialog.confirm_box
    assert box is not None and "KOD 13" in box.text()
    # The safe answer is the default: Enter says no, nothing is assigned, the list stays.
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    pad.key(Qt.Key.Key_Return)
    await wait_until(lambda: dialog.confirm_box is None)
    assert dialog.isVisible() and dialog.current_unit_id() == units["KOD 13"]
    assert (await ui_ctx.services.units.get(ui_ctx.actor, units["KOD 13"])).status == "6"

    # Again, and this time "Yes" by its mnemonic letter (J in German).
    pad.key(Qt.Key.Key_Return)
    await wait_until(lambda: dialog.confirm_box is not None and dialog.confirm_box.isActiveWindow())
    box = dialog.confirm_box
    assert box is not None
    assigned = _record(dialog)
    pad.key(_mnemonic(box, QMessageBox.StandardButton.Yes))
    await wait_until(lambda: assigned)
    forced = await ui_ctx.services.units.get(ui_ctx.actor, units["KOD 13"])
    assert forced.incident_id is not None and forced.alarmed_at is not None


@pytest.mark.asyncio
async def test_refused_assignment_is_shown_in_the_dialog(ui_ctx: UiContext, qtbot: QtBot) -> None:
    await ui_ctx.services.settings.set(ADMIN, "dispatch.assign_unavailable", "refuse")
    incident_id, units = await _setup(ui_ctx)
    dialog = await _open(ui_ctx, qtbot, incident_id)
    pad = KeyPad()
    for _ in range(3):
        pad.key(Qt.Key.Key_Down)  # KOD 14, busy with another incident
    assert dialog.current_unit_id() == units["KOD 14"]
    pad.key(Qt.Key.Key_Return)
    await wait_until(lambda: dialog.message.isVisible())
    assert "KOD 14" in dialog.message.text()
    assert dialog.confirm_box is None and dialog.isVisible()
    # Another unit can still be chosen.
    pad.key(Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert dialog.current_unit_id() == units["KOD 11"]
    assigned = _record(dialog)
    pad.key(Qt.Key.Key_Return)
    await wait_until(lambda: assigned)
    incident = await ui_ctx.services.incidents.get(ui_ctx.actor, incident_id)
    assert [a.unit_id for a in incident.active_assignments] == [units["KOD 11"]]


@pytest.mark.asyncio
async def test_status_changes_elsewhere_update_the_list_and_keep_the_choice(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    incident_id, units = await _setup(ui_ctx)
    dialog = await _open(ui_ctx, qtbot, incident_id)
    KeyPad().key(Qt.Key.Key_Down)
    assert dialog.current_unit_id() == units["KOD 12"]
    # Another workstation: KOD 11 goes off duty.
    await ui_ctx.services.units.set_status(ui_ctx.actor, units["KOD 11"], "6")

    def kod11_unavailable() -> bool:
        row = dialog.model.row_of(units["KOD 11"])
        return row >= 0 and dialog.model.data(dialog.model.index(row, 0), AvailableRole) is False

    await wait_until(kod11_unavailable)
    assert dialog.current_unit_id() == units["KOD 12"]
    assert dialog.model.data(dialog.model.index(0, 0), UnitIdRole) == units["KOD 12"]
    assert QApplication.activePopupWidget() is None
