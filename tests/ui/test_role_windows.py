"""Each role's window as the program builds it after the login: which panes it shows in front.

People log in as themselves (on PostgreSQL with their own server login): a pane that reads what
the role may not see would fail there, and every window must open without an error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from app.platform.permissions import Role
from app.services import Services
from app.services.login import Session, log_in
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from ui.asyncutil import pending_tasks
from ui.main_window import MainWindow
from ui.workstation_window import start_window

NAMES = {
    Role.DISPATCHER: "dispo",
    Role.SHIFT_LEAD: "lead",
    Role.CLERK: "clerk",
    Role.FIELD_OFFICER: "streife",
    Role.DATA_PROTECTION: "dsb",
    Role.ADMIN: "verwaltung",
}


class Windows:
    """Opens people's windows; :meth:`close` ends their change feeds and logins.

    Each test closes its windows itself, while the event loop runs: a change feed still
    running when the test returns would wake up without a loop.
    """

    def __init__(self, services: Services, tmp_path: Path, qtbot: QtBot) -> None:
        self._services, self._tmp, self._qtbot = services, tmp_path, qtbot
        self._sessions: list[Session] = []
        self._followers: list[Any] = []

    async def open(self, role: Role) -> MainWindow:
        """The window of a person of ``role``, shown at 1600×1000, its first reads done."""
        name = NAMES[role]
        await self._services.users.add(ADMIN, name, name.title(), role, "geheim123")
        session = await log_in(self._services.db.target, name, "geheim123", workstation="ws")
        self._sessions.append(session)
        settings = QSettings(str(self._tmp / f"{name}.ini"), QSettings.Format.IniFormat)
        window, follower = await start_window(session.services, session.actor, "Test", settings)
        self._followers.append(follower)
        self._qtbot.addWidget(window)
        window.resize(1600, 1000)
        window.show()
        await wait_until(lambda: window.layout_ready and not pending_tasks())
        return window

    async def close(self) -> None:
        """Stop the change feeds, let the last reads end, close the logins."""
        while self._followers:
            await self._followers.pop().stop()
        await wait_until(lambda: not pending_tasks())
        while self._sessions:
            await self._sessions.pop().close()


@pytest_asyncio.fixture
async def windows(services: Services, tmp_path: Path, qtbot: QtBot) -> AsyncIterator[Windows]:
    """People's windows as the program opens them after the login."""
    opened = Windows(services, tmp_path, qtbot)
    yield opened
    await opened.close()


def in_front(window: MainWindow) -> set[str]:
    """The panes one sees: shown, and not a tab behind another pane."""
    return {
        key
        for key, dock in window.docks.items()
        if dock.isVisible() and not dock.visibleRegion().isEmpty()
    }


def _no_key_twice(window: MainWindow) -> None:
    bound = [
        seq.toString()
        for action in window.findChildren(QAction)
        for seq in action.shortcuts()
        if action.shortcutContext() != Qt.ShortcutContext.WidgetShortcut
    ]
    assert sorted({k for k in bound if bound.count(k) > 1}) == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("role", "front", "absent"),
    [
        (
            Role.DISPATCHER,
            {"queue", "detail", "units", "tasks"},
            {"audit", "unit_admin"},
        ),
        (
            Role.SHIFT_LEAD,
            {"queue", "detail", "units", "tasks"},
            {"audit"},
        ),
        (
            Role.FIELD_OFFICER,
            {"queue", "detail", "units", "tasks"},
            {"reports", "audit", "unit_admin"},
        ),
        (Role.CLERK, {"offences", "queue"}, {"units", "audit", "unit_admin"}),
        (
            Role.DATA_PROTECTION,
            {"audit"},
            {"units", "tasks", "reports", "unit_admin", "recordings", "clip_viewer"},
        ),
        (
            Role.ADMIN,
            {"unit_admin", "audit"},
            {"units", "tasks", "reports", "recordings", "clip_viewer"},
        ),
    ],
)
async def test_each_role_starts_with_the_panes_of_its_work(
    windows: Windows,
    role: Role,
    front: set[str],
    absent: set[str],
    ui_errors: list[BaseException],
) -> None:
    window = await windows.open(role)
    assert in_front(window) == front
    assert not absent & set(window.docks)
    assert ui_errors == []
    _no_key_twice(window)
    await windows.close()


@pytest.mark.asyncio
async def test_the_clerk_starts_on_the_offence_cases_not_on_an_empty_incident(
    windows: Windows,
) -> None:
    window = await windows.open(Role.CLERK)
    tasks, reports, queue = (window.docks[k] for k in ("tasks", "reports", "queue"))
    offences = window.docks["offences"]
    # The offence cases in front over the whole width, Aufträge and Meldungen one tab away;
    # the queue below.
    assert {tasks, reports} <= set(window.tabifiedDockWidgets(offences))
    assert offences.width() > window.width() * 0.9 and offences.height() > queue.height()
    assert offences.geometry().bottom() < queue.geometry().top()
    # The incident detail waits behind the queue and comes forward for an incident.
    detail = window.docks["detail"]
    assert detail in window.tabifiedDockWidgets(queue) and "detail" not in in_front(window)
    assert window.commands.trigger("go.reports")
    await wait_until(lambda: "reports" in in_front(window))
    assert window.commands.trigger("go.offences")
    await wait_until(lambda: "offences" in in_front(window))
    await windows.close()


@pytest.mark.asyncio
async def test_the_shift_lead_reaches_the_unit_management_with_ctrl_7(
    windows: Windows,
) -> None:
    window = await windows.open(Role.SHIFT_LEAD)
    queue, admin = window.docks["queue"], window.docks["unit_admin"]
    assert admin in window.tabifiedDockWidgets(queue)
    assert window.commands.trigger("go.unit_admin")
    # In front of the queue; the unit board stays in sight beside it.
    await wait_until(lambda: {"unit_admin", "units"} <= in_front(window))
    assert "queue" not in in_front(window)
    assert window.commands.trigger("go.queue")
    await wait_until(lambda: "queue" in in_front(window))
    await windows.close()


@pytest.mark.asyncio
async def test_roles_without_unit_management_cannot_reach_it(windows: Windows) -> None:
    window = await windows.open(Role.DISPATCHER)
    assert not window.commands.trigger("go.unit_admin")
    assert "unit_admin" not in window.docks
    await windows.close()
