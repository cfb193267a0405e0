"""The command registry: declared once, no key conflicts, menus and the F1 list read it."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from app.platform.permissions import Permission, Role
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from ui.asyncutil import pending_tasks
from ui.commands import COMMANDS, MENUS, CommandRegistry, Scope, command
from ui.context import ChangeBridge, UiContext
from ui.dialogs.shortcut_help import ShortcutHelpDialog
from ui.workstation_window import build_window


def _normal(keys: str) -> str:
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.PortableText)


def test_no_two_commands_share_a_key_where_their_scopes_meet() -> None:
    ids = [c.id for c in COMMANDS]
    assert len(ids) == len(set(ids))
    clashes = []
    for a, b in itertools.combinations(COMMANDS, 2):
        if not a.scope.meets(b.scope):
            continue
        shared = {_normal(k) for k in a.keys} & {_normal(k) for k in b.keys}
        if shared:
            clashes.append((a.id, b.id, shared))
    assert clashes == []
    # Every key is one Qt understands (a typo would silently bind nothing).
    for c in COMMANDS:
        for k in c.keys:
            assert not QKeySequence(k).isEmpty(), (c.id, k)


def test_the_alarm_and_navigation_are_global() -> None:
    for command_id in ("emergency.ack", "go.queue", "go.units", "go.detail", "go.tasks"):
        assert command(command_id).scope is Scope.GLOBAL
    assert {m for m, _title in MENUS} >= {c.menu for c in COMMANDS if c.menu}


def test_registry_refuses_unknown_dialog_scoped_and_double_bindings(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    registry = CommandRegistry(window, lambda _p: True)
    with pytest.raises(KeyError):
        registry.bind("no.such.command", lambda: None)
    with pytest.raises(ValueError):
        registry.bind("call.save", lambda: None)  # the form handles its own keys
    action = registry.bind("emergency.ack", lambda: None)
    assert action.shortcutContext() == Qt.ShortcutContext.ApplicationShortcut
    with pytest.raises(ValueError):
        registry.bind("emergency.ack", lambda: None)


def test_enabled_when_and_permission_decide_together(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    allowed = {Permission.TASK_WRITE}
    registry = CommandRegistry(window, lambda p: p in allowed)
    ready = [False]
    calls: list[str] = []
    task = registry.bind("task.new", lambda: calls.append("task"), lambda: ready[0])
    report = registry.bind("report.new", lambda: calls.append("report"))
    assert not task.isEnabled() and not report.isEnabled()  # not ready / not allowed
    ready[0] = True
    registry.update()
    assert task.isEnabled() and not report.isEnabled()
    assert registry.trigger("task.new") and not registry.trigger("report.new")
    assert calls == ["task"]


@pytest.mark.asyncio
async def test_every_shortcut_of_the_window_comes_from_the_registry(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOD_ALARM_AUDIO", "0")
    window = build_window(ui_ctx, "Test", ui_settings)
    qtbot.addWidget(window)
    declared = {c.id for c in COMMANDS}
    with_keys = [
        a
        for a in window.findChildren(QAction)
        if a.shortcuts() and a.shortcutContext() != Qt.ShortcutContext.WidgetShortcut
    ]
    assert with_keys and {a.objectName() for a in with_keys} <= declared
    for action in with_keys:
        spec = command(action.objectName())
        assert [s.toString() for s in action.shortcuts()] == [
            s.toString() for s in spec.sequences()
        ]
        expected = {
            Scope.GLOBAL: Qt.ShortcutContext.ApplicationShortcut,
            Scope.WINDOW: Qt.ShortcutContext.WindowShortcut,
        }.get(spec.scope, Qt.ShortcutContext.WidgetWithChildrenShortcut)  # a pane's own keys
        assert action.shortcutContext() == expected, action.objectName()
    # Menus from the declarations: File holds the statistics (the dispatcher may see them),
    # the bodycam import, log-out and quit, Help the F1 list.
    file_menu = [a.objectName() for a in window.commands.menu("file").actions()]
    assert file_menu == ["report.statistics", "recording.import", "app.logout", "app.quit"]
    assert "app.help" in [a.objectName() for a in window.commands.menu("help").actions()]
    view = window.commands.menu("view").actions()
    assert [a.objectName() for a in view[-3:]] == ["view.reload", "view.reset_layout", "map.trail"]
    assert sum(a.isSeparator() for a in view) == 1  # between the panes and the commands
    # The F1 list shows what the registry lists, translated.
    dialog = ShortcutHelpDialog(window.commands, window)
    qtbot.addWidget(dialog)
    rows = [
        tuple(dialog.table.item(r, c).text() for c in range(3))
        for r in range(dialog.table.rowCount())
    ]
    assert rows == [(i.group, i.keys, i.description) for i in window.commands.items()]
    assert ("Notruf", _native("Ctrl+Shift+A"), "Notruf quittieren") in rows


def _native(keys: str) -> str:
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


@pytest.mark.asyncio
async def test_a_clerk_window_has_no_alarm_and_cannot_open_incidents(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot
) -> None:
    services = ui_ctx.services
    await services.users.add(ADMIN, "sb", "Sina Sachbearbeitung", Role.CLERK, "geheim123")
    clerk = await services.users.authenticate("sb", "geheim123")
    window = build_window(UiContext(services, clerk, ChangeBridge(None)), "Test", ui_settings)
    qtbot.addWidget(window)
    assert window.commands.action("emergency.ack") is None  # no alarm for this role
    new_incident = window.commands.action("incident.new")
    assert new_incident is not None and not new_incident.isEnabled()
    new_report = window.commands.action("report.new")
    assert new_report is not None and new_report.isEnabled()
    await wait_until(lambda: not pending_tasks())  # the panes' first reads end in the test
