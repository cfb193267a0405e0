"""UI test fixtures: async tests run inside a qasync loop, so Qt and asyncio share one loop."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.domain.dto import IncidentDraft
from app.platform.changefeed import ChangeFollower, last_change_id
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from tests.conftest import ADMIN
from tests.ui.waiting import wait_until  # noqa: F401  (the tests import it from here)
from ui import gcguard
from ui.asyncutil import cancel_all, set_error_sink
from ui.context import ChangeBridge, UiContext
from ui.eventloop import KodEventLoop
from ui.i18n import install_translations
from ui.rendering import choose_scene_graph
from ui.views.map.tiles import register_tile_scheme

os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
os.environ.setdefault("KOD_NO_DIALOGS", "1")
# Before pytest-qt creates the application (QtWebEngine wants its schemes first).
register_tile_scheme()


@pytest.fixture(scope="session")
def qapp_cls() -> type[QApplication]:
    """pytest-qt builds a QApplication (not a QCoreApplication)."""
    return QApplication


_loops: list[asyncio.AbstractEventLoop] = []
_followers: list[ChangeFollower] = []


def _prepare(app: QApplication) -> None:
    """Set the application up once, as the workstation does (before the first window)."""
    if not app.property("kod_test_ready"):
        app.setQuitOnLastWindowClosed(False)
        install_translations(app)
        gcguard.install(app)
        choose_scene_graph()
        app.setProperty("kod_test_ready", True)


def _qasync_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    _prepare(app)
    loop = KodEventLoop(app)
    _loops[:] = [loop]
    return loop


@pytest.fixture(scope="session", autouse=True)
def _german_ui(qapp: QApplication) -> None:
    """Every UI test sees the German translation, synchronous tests included."""
    _prepare(qapp)


@pytest.fixture(autouse=True)
def _track_followers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remember every change follower a test starts, so it can be stopped in time."""
    original = ChangeFollower.start

    def start(self: ChangeFollower) -> None:
        _followers.append(self)
        original(self)

    monkeypatch.setattr(ChangeFollower, "start", start)


async def _settle() -> None:
    while _followers:
        await _followers.pop().stop()
    await cancel_all()


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    """Stop followers and tasks while the loop still runs, right after the test body.

    A follower a test started itself (a whole workstation, say) is stopped cleanly here, at its
    next wait, instead of being cancelled inside a read when the loop closes.
    """
    try:
        return (yield)
    finally:
        loop = _loops[0] if _loops else None
        if loop is not None and not loop.is_closed() and not loop.is_running():
            loop.run_until_complete(_settle())


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, object]:
    """Every async UI test runs in a qasync loop: Qt and asyncio share one loop, as in the app."""
    return {"qasync": _qasync_loop}


@pytest.fixture
def ui_errors() -> list[BaseException]:
    """Errors that reached the user-facing error sink during the test."""
    errors: list[BaseException] = []
    set_error_sink(errors.append)
    return errors


@pytest_asyncio.fixture
async def ui_ctx(services: Services, ui_errors: list[BaseException]) -> AsyncIterator[UiContext]:
    """A logged-in dispatcher context with a running change follower."""
    await services.users.add(ADMIN, "dispo", "Dora Dispo", Role.DISPATCHER, "geheim123")
    actor = await services.users.authenticate("dispo", "geheim123")
    follower = ChangeFollower(
        services.db, after_id=await last_change_id(services.db), poll_interval=0.05
    )
    ctx = UiContext(services=services, actor=actor, bridge=ChangeBridge(follower))
    follower.start()
    try:
        yield ctx
    finally:
        await follower.stop()
        await cancel_all()


@pytest.fixture
def ui_settings(tmp_path: Path) -> QSettings:
    """Layout settings in a temporary file (never the user's real settings)."""
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


async def make_incidents(services: Services, actor: Actor, n: int) -> list[int]:
    """Create ``n`` incidents through the service; returns their ids."""
    ids = []
    for k in range(n):
        inc = await services.incidents.create(
            actor,
            IncidentDraft(
                ("noise", "waste", "assault_staff")[k % 3], address=f"Teststraße {k + 1}"
            ),
        )
        ids.append(inc.id)
    return ids
