"""Every command of the workstation, declared once, and the registry that binds them.

:data:`COMMANDS` (declared in :mod:`ui.command_list`) holds each command's id, label, group,
keys, scope, menu and the permission it needs. The main window's :class:`CommandRegistry`
turns them into ``QAction``s when a pane binds a handler (and an enabled-when condition) to
them; menus, the F1 list, dialogs (for their own keys) and the shortcut-conflict test all read
the same declarations.

Scopes say where a key works. ``GLOBAL`` keys (the alarm and navigation) work in every window
and dialog of the workstation, modal questions included; ``WINDOW`` keys in the main window and
its floating panes; the other scopes are keys a dialog or a pane handles itself. No two commands
whose scopes meet share a key (``tests/ui/test_commands.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication, QWindow
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QMenuBar, QWidget

from app.platform.permissions import Permission
from ui.command_list import (
    AUDIT,
    COMMANDS,
    EMERGENCY,
    GENERAL,
    INCIDENTS,
    MENUS,
    UNIT_ADMIN,
    UNITS,
    WORK,
    Command,
    Scope,
    command,
    command_keys,
)

__all__ = [
    "AUDIT",
    "COMMANDS",
    "EMERGENCY",
    "GENERAL",
    "INCIDENTS",
    "MENUS",
    "UNITS",
    "UNIT_ADMIN",
    "WORK",
    "Command",
    "CommandRegistry",
    "Scope",
    "ShortcutInfo",
    "command",
    "command_keys",
    "pane_action",
]


def pane_action(command_id: str, pane: QWidget, handler: Callable[[], object]) -> QAction:
    """An action of ``pane`` for a command whose keys work while the keyboard is in the pane.

    Label and keys come from the declaration; the window's registry lists it (``list_keys``).
    """
    spec = command(command_id)
    action = QAction(spec.text(), pane)
    action.setObjectName(command_id)
    action.setShortcuts(spec.sequences())
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.triggered.connect(lambda _checked=False: handler())
    pane.addAction(action)
    return action


@dataclass(frozen=True)
class ShortcutInfo:
    """One line of the shortcut help (translated)."""

    group: str
    keys: str
    description: str


class CommandRegistry(QObject):
    """The commands of one main window: actions bound to handlers, menus, the F1 list.

    ``can`` tells whether the logged-in role holds a permission; a command whose permission is
    missing stays disabled whatever its enabled-when condition says.
    """

    def __init__(self, window: QMainWindow, can: Callable[[Permission], bool]) -> None:
        super().__init__(window)
        self.setObjectName("commandRegistry")
        self._window = window
        self._can = can
        self._actions: dict[str, QAction] = {}
        self._enabled_when: dict[str, Callable[[], bool]] = {}
        self._listed: set[str] = set()
        self._menus: dict[str, QMenu] = {}
        self._carriers: set[int] = set()
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.focusWindowChanged.connect(self._on_focus_window)

    # -- binding ----------------------------------------------------------------------------

    def bind(
        self,
        command_id: str,
        handler: Callable[[], object],
        enabled_when: Callable[[], bool] | None = None,
    ) -> QAction:
        """Make ``command_id`` an action of the window that calls ``handler``.

        ``enabled_when`` is asked on :meth:`update` (connect the signals that change it).
        """
        spec = command(command_id)
        if command_id in self._actions:
            raise ValueError(f"command {command_id} is bound twice")
        if spec.scope not in (Scope.GLOBAL, Scope.WINDOW):
            raise ValueError(f"command {command_id} is handled inside its {spec.scope.value}")
        action = QAction(spec.text(), self._window)
        action.setObjectName(command_id)
        action.setShortcuts(spec.sequences())
        action.setShortcutContext(
            Qt.ShortcutContext.ApplicationShortcut
            if spec.scope is Scope.GLOBAL
            else Qt.ShortcutContext.WindowShortcut
        )
        action.triggered.connect(lambda _checked=False: handler())
        self._window.addAction(action)
        self._actions[command_id] = action
        self._listed.add(command_id)
        if enabled_when is not None:
            self._enabled_when[command_id] = enabled_when
        self._update_one(command_id)
        return action

    def list_keys(self, *command_ids: str) -> None:
        """List commands whose keys a widget handles itself in the F1 help.

        A command whose permission the role lacks is left out (the widget ignores its key).
        """
        for command_id in command_ids:
            spec = command(command_id)  # unknown ids fail here, not in the help
            if spec.permission is None or self._can(spec.permission):
                self._listed.add(command_id)

    def action(self, command_id: str) -> QAction | None:
        """The bound action of ``command_id`` (None if no pane bound it)."""
        return self._actions.get(command_id)

    def trigger(self, command_id: str) -> bool:
        """Run the command as if its key was pressed; False if unbound or disabled."""
        action = self._actions.get(command_id)
        if action is None or not action.isEnabled():
            return False
        action.trigger()
        return True

    def update(self) -> None:
        """Ask every enabled-when condition again."""
        for command_id in self._actions:
            self._update_one(command_id)

    def _update_one(self, command_id: str) -> None:
        spec = command(command_id)
        allowed = spec.permission is None or self._can(spec.permission)
        when = self._enabled_when.get(command_id)
        self._actions[command_id].setEnabled(allowed and (when is None or bool(when())))

    # -- menus ------------------------------------------------------------------------------

    def build_menus(self, menu_bar: QMenuBar) -> None:
        """Create the menus of :data:`MENUS` in ``menu_bar`` (filled by :meth:`fill_menus`)."""
        for key, title in MENUS:
            menu = menu_bar.addMenu(QCoreApplication.translate("Commands", title))
            menu.setObjectName(f"{key}Menu")
            self._menus[key] = menu

    def menu(self, key: str) -> QMenu:
        """The menu ``key`` ("file", "incident", "view", "help")."""
        return self._menus[key]

    def fill_menus(self) -> None:
        """Add the bound commands the role may use to their menus (declaration order); hide
        empty menus."""
        panes_listed = bool(self._menus["view"].actions())
        for spec in COMMANDS:
            action = self._actions.get(spec.id)
            if spec.permission is not None and not self._can(spec.permission):
                continue  # the role may not: not offered at all (the key stays disabled)
            if spec.menu and action is not None:
                menu = self._menus[spec.menu]
                if spec.menu == "view" and panes_listed:
                    menu.addSeparator()  # once, after the panes' show/hide entries
                    panes_listed = False
                menu.addAction(action)
        for menu in self._menus.values():
            menu.menuAction().setVisible(bool(menu.actions()))

    # -- the F1 list ------------------------------------------------------------------------

    def items(self) -> list[ShortcutInfo]:
        """Every listed command with keys, by group in declaration order."""
        listed = [c for c in COMMANDS if c.id in self._listed and (c.keys or c.keys_label)]
        groups = list(dict.fromkeys(c.group for c in listed))
        return [
            ShortcutInfo(
                QCoreApplication.translate("Shortcuts", c.group),
                c.keys_text(),
                c.text().replace("&", ""),
            )
            for group in groups
            for c in listed
            if c.group == group
        ]

    # -- global keys in every window --------------------------------------------------------

    def global_actions(self) -> list[QAction]:
        """The bound actions whose keys work in every window and dialog."""
        return [a for k, a in self._actions.items() if command(k).scope is Scope.GLOBAL]

    def _on_focus_window(self, qwindow: QWindow | None) -> None:
        # An application-wide shortcut still does nothing while a modal dialog blocks the
        # main window: the dialog that gets the keyboard carries the global actions too.
        if qwindow is None:
            return
        for widget in QApplication.topLevelWidgets():
            if widget.windowHandle() is qwindow:
                self.carry_global_keys(widget)
                return

    def carry_global_keys(self, widget: QWidget) -> None:
        """Let the global keys work in ``widget``'s window (idempotent)."""
        if widget is self._window or isinstance(widget, QMenu) or id(widget) in self._carriers:
            return
        actions = self.global_actions()
        if not actions:
            return
        widget.addActions(actions)
        self._carriers.add(id(widget))
        widget.destroyed.connect(lambda _o=None, key=id(widget): self._carriers.discard(key))
