"""Call-taking: the keyboard-only flow from a new call to a dispatched unit, and its details."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.codes import category_label
from app.domain.dto import IncidentQuery
from app.domain.geo import format_coordinates, stadtteil_for
from app.platform.errors import DatabaseUnavailable
from tests.conftest import ADMIN
from tests.ui.conftest import make_incidents
from tests.ui.flows import (
    KeyPad,
    build_window,
    call_to_dispatch,
    category_prefix,
    load_demo,
)
from tests.ui.waiting import wait_until as wait_for
from ui.context import UiContext
from ui.dialogs.call_taking import CallTakingDialog, best_category

KEY_PRESS_GOAL = 15


@pytest.mark.asyncio
async def test_keyboard_only_call_to_dispatch_within_15_key_presses(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot
) -> None:
    await load_demo(ui_ctx.services, ADMIN)
    window, actions = build_window(ui_ctx, ui_settings)
    qtbot.addWidget(window)
    selected: list[int] = []
    window.queue.incidentSelected.connect(selected.append)

    result = await call_to_dispatch(window, actions)

    print("keys:", " ".join(result.keys), "=", result.presses)
    assert result.presses <= KEY_PRESS_GOAL
    incident = await ui_ctx.services.incidents.get(ui_ctx.actor, result.incident_id)
    assert incident.status == "dispatched"
    assert incident.category == "noise"
    assert incident.priority == 2  # the category's default
    assert incident.address == result.address and incident.address.startswith("Hauptstraße 5,")
    assert incident.lat is not None and incident.stadtteil
    assert [a.unit_id for a in incident.active_assignments] == [result.unit_id]
    unit = await ui_ctx.services.units.get(ui_ctx.actor, result.unit_id)
    assert unit.incident_id == result.incident_id and unit.alarmed_at is not None
    assert category_label("noise") in incident.journal[0].text
    # The queue selected the new incident once the live update brought it.
    await wait_for(lambda: result.incident_id in selected)


# -- details of the form -------------------------------------------------------------------------

WIESDORF = (51.0325, 6.9870)


async def _gazetteer(ctx: UiContext, tmp_path: Path) -> None:
    """A small imported gazetteer: Ahornweg 1–12 in Wiesdorf, Birkenweg 1–3 in Opladen."""
    lines = ["street,house_number,postcode,lat,lon"]
    for n in range(1, 13):
        lines.append(f"Ahornweg,{n},51373,{WIESDORF[0] + n * 0.0001},{WIESDORF[1]}")
    for n in range(1, 4):
        lines.append(f"Birkenweg,{n},51379,{51.0668 + n * 0.0001},{7.0060}")
    path = tmp_path / "gaz.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = await ctx.services.gazetteer.import_csv(ADMIN, path)
    assert summary.inserted == 15


async def _dialog(ctx: UiContext, qtbot: QtBot) -> CallTakingDialog:
    dialog = CallTakingDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.start()
    await wait_for(lambda: dialog.isActiveWindow() and dialog.category.lineEdit().hasFocus())
    return dialog


async def _count(ctx: UiContext) -> int:
    return await ctx.services.incidents.count(ctx.actor, IncidentQuery())


def test_best_category_matches_labels_by_substring_without_umlauts() -> None:
    labels = {"noise": "Lärm", "dog": "Hund (freilaufend)", "waste": "Wilder Müll"}
    assert best_category("lär", labels) == "noise"
    assert best_category("LAR", labels) == "noise"
    assert best_category("müll", labels) == "waste"
    assert best_category("frei", labels) == "dog"  # a word inside the label
    assert best_category("ll", labels) == "waste"  # anywhere in the label
    assert best_category("xyz", labels) is None
    assert best_category("  ", labels) is None


@pytest.mark.asyncio
async def test_category_type_ahead_sets_default_priority_unless_changed_by_hand(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    dialog = await _dialog(ui_ctx, qtbot)
    pad = KeyPad()
    pad.type(category_prefix("noise"))
    assert dialog.category.completer().popup().isVisible()
    pad.key(Qt.Key.Key_Tab)
    assert dialog.address.hasFocus()
    assert dialog.category_code() == "noise"
    assert dialog.category.currentText() == category_label("noise")
    assert dialog.priority.currentData() == 2

    # Back to the category: another one brings its own default priority.
    pad.key(Qt.Key.Key_Backtab, name="Shift+Tab")
    dialog.category.lineEdit().selectAll()
    pad.type(category_label("assault_staff")[:4])
    pad.key(Qt.Key.Key_Tab)
    assert dialog.category_code() == "assault_staff" and dialog.priority.currentData() == 1

    # The dispatcher sets priority 3 by hand (Alt+P, then "3"): a new category keeps it.
    pad.key(Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier, name="Alt+P")
    assert dialog.priority.hasFocus()
    pad.type("3")
    assert dialog.priority.currentData() == 3
    dialog.category.setFocus()
    dialog.category.lineEdit().selectAll()
    pad.type(category_prefix("waste"))
    pad.key(Qt.Key.Key_Tab)
    assert dialog.category_code() == "waste" and dialog.priority.currentData() == 3


@pytest.mark.asyncio
async def test_tab_order_is_the_order_of_a_call(ui_ctx: UiContext, qtbot: QtBot) -> None:
    dialog = await _dialog(ui_ctx, qtbot)
    order = []
    for _ in range(6):
        order.append(QApplication.focusWidget())
        KeyPad().key(Qt.Key.Key_Tab)
    assert order == [
        dialog.category,
        dialog.address,
        dialog.caller_name,
        dialog.caller_phone,
        dialog.description,
        dialog.priority,
    ]
    assert QApplication.focusWidget() is dialog.save_button


@pytest.mark.asyncio
async def test_address_completion_sets_coordinates_and_stadtteil(
    ui_ctx: UiContext, qtbot: QtBot, tmp_path: Path
) -> None:
    await _gazetteer(ui_ctx, tmp_path)
    dialog = await _dialog(ui_ctx, qtbot)
    dialog.address.setFocus()
    pad = KeyPad()
    pad.type("ahorn 1")
    popup = dialog.address_completer.popup()
    await wait_for(lambda: dialog.suggestions_ready() and popup.isVisible())
    labels = [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())]
    assert labels[0].startswith("Ahornweg 1, 51373 Leverkusen")
    assert [label.split(",")[0] for label in labels[:4]] == [
        "Ahornweg 1",
        "Ahornweg 10",
        "Ahornweg 11",
        "Ahornweg 12",
    ]
    pad.key(Qt.Key.Key_Down)
    pad.key(Qt.Key.Key_Down)
    pad.key(Qt.Key.Key_Return)
    chosen = dialog.chosen_address
    assert chosen is not None and chosen.house_number == "10"
    assert dialog.address.text() == chosen.label
    assert not popup.isVisible()
    expected = stadtteil_for(chosen.lat, chosen.lon)
    assert expected and dialog.stadtteil.text() == expected
    assert dialog.coordinates.text() == format_coordinates(chosen.lat, chosen.lon)
    assert dialog.coordinates.text().endswith("° O")  # German: Ost

    # Editing the text again drops the coordinates (the place is no longer known).
    pad.key(Qt.Key.Key_Backspace)
    assert dialog.chosen_address is None and dialog.stadtteil.text() == "–"

    # Enter without choosing keeps the free text; the incident is saved without coordinates.
    dialog.address.clear()
    pad.type("Parkplatz am Bahnhof")
    await wait_for(lambda: dialog.suggestions_ready())
    pad.key(Qt.Key.Key_Return)
    assert dialog.address.text() == "Parkplatz am Bahnhof" and dialog.chosen_address is None
    dialog.category.setEditText(category_label("parking"))
    created = _created(dialog)
    pad.key(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier, name="Ctrl+Enter")
    await wait_for(lambda: created)
    incident = await ui_ctx.services.incidents.get(ui_ctx.actor, created[0])
    assert incident.address == "Parkplatz am Bahnhof" and incident.lat is None
    assert incident.category == "parking" and incident.priority == 3


def _created(dialog: CallTakingDialog) -> list[int]:
    created: list[int] = []
    dialog.incidentCreated.connect(created.append)
    return created


@pytest.mark.asyncio
async def test_a_fully_typed_gazetteer_address_gets_its_coordinates(
    ui_ctx: UiContext, qtbot: QtBot, tmp_path: Path
) -> None:
    await _gazetteer(ui_ctx, tmp_path)
    dialog = await _dialog(ui_ctx, qtbot)
    pad = KeyPad()
    pad.type(category_prefix("noise"))
    pad.key(Qt.Key.Key_Tab)
    pad.type("ahornweg 7")
    await wait_for(lambda: dialog.suggestions_ready())
    assert dialog.address_completer.popup().isVisible()
    pad.key(Qt.Key.Key_Escape)  # closes the list, not the form
    assert not dialog.address_completer.popup().isVisible()
    assert dialog.isVisible() and dialog.confirm_box is None
    created = _created(dialog)
    pad.key(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier, name="Ctrl+Enter")
    await wait_for(lambda: created)
    incident = await ui_ctx.services.incidents.get(ui_ctx.actor, created[0])
    assert incident.address.startswith("Ahornweg 7, 51373 Leverkusen")
    assert incident.lat is not None and incident.stadtteil == stadtteil_for(
        incident.lat, incident.lon or 0.0
    )


@pytest.mark.asyncio
async def test_missing_category_is_shown_inline_and_nothing_is_lost(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    dialog = await _dialog(ui_ctx, qtbot)
    pad = KeyPad()
    pad.key(Qt.Key.Key_Tab)  # no category
    pad.type("Markt 1")
    pad.key(Qt.Key.Key_Tab)
    pad.type("Erika")
    pad.key(Qt.Key.Key_Tab)
    pad.type("0214 123")
    pad.key(Qt.Key.Key_Tab)
    pad.type("Laute Musik")
    pad.key(Qt.Key.Key_F9)
    await wait_for(lambda: dialog.errors["category"].isVisible())
    assert dialog.errors["category"].text()
    assert dialog.category.hasFocus()  # the cursor goes where the problem is
    assert dialog.isVisible() and dialog.assign_dialog is None
    assert (dialog.address.text(), dialog.caller_name.text(), dialog.caller_phone.text()) == (
        "Markt 1",
        "Erika",
        "0214 123",
    )
    assert dialog.description.toPlainText() == "Laute Musik"
    assert await _count(ui_ctx) == 0

    # A category that matches nothing is named in the message.
    pad.type("xyz")
    pad.key(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier, name="Ctrl+Enter")
    assert "xyz" in dialog.errors["category"].text()
    assert await _count(ui_ctx) == 0

    # Fixing it saves everything that was typed.
    dialog.category.lineEdit().selectAll()
    pad.type(category_prefix("noise"))
    created = _created(dialog)
    pad.key(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier, name="Ctrl+Enter")
    await wait_for(lambda: created)
    assert not dialog.errors["category"].isVisible()
    incident = await ui_ctx.services.incidents.get(ui_ctx.actor, created[0])
    assert (incident.address, incident.caller_name, incident.caller_phone) == (
        "Markt 1",
        "Erika",
        "0214 123",
    )
    assert incident.description == "Laute Musik" and incident.category == "noise"


@pytest.mark.asyncio
async def test_service_validation_error_is_shown_next_to_its_field(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    dialog = await _dialog(ui_ctx, qtbot)
    pad = KeyPad()
    pad.type(category_prefix("noise"))
    pad.key(Qt.Key.Key_Tab)
    dialog.caller_name.setText("Erika Muster")
    pad.key(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier, name="Ctrl+Enter")
    # No address and no position: the service refuses, the message sits under the address.
    await wait_for(lambda: dialog.errors["address"].isVisible())
    assert dialog.errors["address"].text()
    assert dialog.address.hasFocus()
    assert dialog.caller_name.text() == "Erika Muster" and dialog.category_code() == "noise"
    assert dialog.save_button.isEnabled()
    assert await _count(ui_ctx) == 0
    # Typing in the address hides the message again.
    pad.type("M")
    assert not dialog.errors["address"].isVisible()


@pytest.mark.asyncio
async def test_escape_asks_before_discarding_a_call(ui_ctx: UiContext, qtbot: QtBot) -> None:
    dialog = await _dialog(ui_ctx, qtbot)
    pad = KeyPad()
    pad.key(Qt.Key.Key_Escape)  # empty form: closes at once
    assert not dialog.isVisible() and dialog.confirm_box is None

    dialog.start()
    await wait_for(lambda: dialog.isActiveWindow())
    pad.key(Qt.Key.Key_Tab)
    pad.type("Rathausplatz 1")
    pad.key(Qt.Key.Key_Escape)  # closes the suggestion list, if any
    if dialog.confirm_box is None:
        pad.key(Qt.Key.Key_Escape)
    await wait_for(lambda: dialog.confirm_box is not None and dialog.confirm_box.isActiveWindow())
    pad.key(Qt.Key.Key_Return)  # default: No, keep the call
    await wait_for(lambda: dialog.confirm_box is None)
    assert dialog.isVisible() and dialog.address.text() == "Rathausplatz 1"

    await wait_for(lambda: dialog.isActiveWindow())
    pad.key(Qt.Key.Key_Escape)
    await wait_for(lambda: dialog.confirm_box is not None and dialog.confirm_box.isActiveWindow())
    box = dialog.confirm_box
    assert box is not None
    yes = box.button(QMessageBox.StandardButton.Yes).text()
    pad.key(Qt.Key(ord(yes[yes.index("&") + 1].upper())))
    await wait_for(lambda: not dialog.isVisible())
    assert dialog.address.text() == "" and await _count(ui_ctx) == 0


@pytest.mark.asyncio
async def test_install_adds_menu_actions_and_shortcuts(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot
) -> None:
    [incident_id] = await make_incidents(ui_ctx.services, ui_ctx.actor, 1)
    window, actions = build_window(ui_ctx, ui_settings)
    qtbot.addWidget(window)
    assert {s.toString() for s in actions.new_action.shortcuts()} == {"Ctrl+N", "F2"}
    assert actions.assign_action.shortcut().toString() == "Ctrl+D"
    menu_bar = window.file_menu.parentWidget()
    titles = [a.text() for a in menu_bar.actions()]
    assert actions.menu.menuAction() in menu_bar.actions()
    assert titles.index(actions.menu.title()) < titles.index(window.view_menu.title())
    assert {actions.new_action, actions.assign_action} <= set(actions.menu.actions())
    listed = {i.keys for i in window.commands.items()}
    native = QKeySequence.SequenceFormat.NativeText

    def keys(*seqs: str) -> str:
        return ", ".join(QKeySequence(s).toString(native) for s in seqs)

    expected = {
        keys("Ctrl+N", "F2"),
        keys("Ctrl+D"),
        keys("F9", "Ctrl+Shift+Return", "Ctrl+Shift+Enter"),
        keys("Ctrl+Return", "Ctrl+Enter"),
    }
    assert expected <= listed

    await wait_for(lambda: QApplication.activeWindow() is window)
    await wait_for(lambda: window.queue.model.rowCount() == 1)
    window.queue.focus_table()
    pad = KeyPad()
    # Ctrl+D without a selection only explains; with one it opens the proposals.
    window.queue.table.clearSelection()
    window.queue.table.setCurrentIndex(window.queue.model.index(-1, -1))
    pad.key(Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier, name="Ctrl+D")
    assert actions.assign_dialog is None and window.statusBar().currentMessage()
    assert window.queue.select_incident(incident_id)
    pad.key(Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier, name="Ctrl+D")
    assert actions.assign_dialog is not None and actions.assign_dialog.incident_id == incident_id
    actions.assign_dialog.reject()

    # Ctrl+N opens the form; after saving, the new incident is selected in the queue.
    await wait_for(lambda: QApplication.activeWindow() is window)
    pad.key(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier, name="Ctrl+N")
    dialog = actions.dialog
    assert dialog is not None and dialog.isVisible()
    await wait_for(lambda: dialog.isActiveWindow())
    pad.type(category_prefix("waste"))
    pad.key(Qt.Key.Key_Tab)
    pad.type("Am Stadtpark 3")
    created = _created(dialog)
    pad.key(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier, name="Ctrl+Enter")
    await wait_for(lambda: created)
    assert not dialog.isVisible()
    await wait_for(lambda: window.queue.selected_id() == created[0])
    # F2 brings the same (now empty) form back.
    await wait_for(lambda: QApplication.activeWindow() is window)
    pad.key(Qt.Key.Key_F2, name="F2")
    assert actions.dialog is dialog and dialog.isVisible() and not dialog.has_input()


@pytest.mark.asyncio
async def test_gazetteer_failure_while_typing_is_no_error_dialog(
    ui_ctx: UiContext, qtbot: QtBot, ui_errors: list[BaseException], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> list[object]:
        raise DatabaseUnavailable("Keine Verbindung zur Datenbank.")

    monkeypatch.setattr(ui_ctx.services.gazetteer, "search", broken)
    dialog = await _dialog(ui_ctx, qtbot)
    dialog.address.setFocus()
    KeyPad().type("haupt 1")
    await wait_for(lambda: dialog.suggestions_ready())
    assert "Keine Verbindung" in dialog.coordinates.text()
    assert ui_errors == [] and not dialog.address_completer.popup().isVisible()
    assert dialog.address.text() == "haupt 1"


@pytest.mark.asyncio
async def test_an_address_search_ending_after_its_form_closed_is_no_error(
    ui_ctx: UiContext, ui_errors: list[BaseException], tmp_path: Path
) -> None:
    import shiboken6

    from ui.asyncutil import pending_tasks
    from ui.widgets.address import AddressField

    await _gazetteer(ui_ctx, tmp_path)
    field = AddressField(ui_ctx)
    field.setText("ahornweg")
    field._search()  # the search the typing pause starts
    shiboken6.delete(field)  # the form closes before the gazetteer answers
    await wait_for(lambda: not pending_tasks())
    assert ui_errors == []
