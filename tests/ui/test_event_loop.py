"""The event loop runs coroutines only while it runs, even when Qt processes events outside it.

Qt processes events outside the asyncio loop in places the program does not control: qasync once
more after every ``run_until_complete``, pytest-qt after every test phase. A coroutine woken there
used to fail with "no running event loop" (the change follower lost its link and a session it
had open could not close: "coroutine 'AsyncSession.close' was never awaited").
"""

from __future__ import annotations

import asyncio
import gc
import shutil
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.domain.dto import ChangeBatch
from app.platform.changefeed import ChangeFollower, LinkState, LinkStatus
from app.platform.config import sqlite_target
from app.platform.database import Database
from app.services import Services
from tests.conftest import ADMIN
from ui.eventloop import KodEventLoop


def _process_events_outside_the_loop(app: QApplication, seconds: float) -> None:
    """What pytest-qt does between test phases: Qt events, no asyncio loop running."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.002)


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[KodEventLoop]:
    """A loop of its own, the current one as ``asyncio.Runner`` makes it."""
    loop = KodEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_a_coroutine_woken_outside_the_loop_goes_on_when_the_loop_runs(
    qapp: QApplication, loop: KodEventLoop
) -> None:
    seen: list[bool] = []

    async def ticker() -> None:
        for _ in range(5):
            await asyncio.sleep(0.01)
            seen.append(asyncio.get_running_loop() is loop)

    task = loop.create_task(ticker())
    loop.run_until_complete(asyncio.sleep(0.015))
    _process_events_outside_the_loop(qapp, 0.1)
    assert not task.done()
    loop.run_until_complete(task)
    assert seen == [True] * 5


def test_a_callback_cancelled_while_kept_never_runs(qapp: QApplication, loop: KodEventLoop) -> None:
    ran: list[str] = []
    handle = loop.call_later(0.005, ran.append, "late")
    loop.run_until_complete(asyncio.sleep(0))
    _process_events_outside_the_loop(qapp, 0.05)
    handle.cancel()
    loop.run_until_complete(asyncio.sleep(0.02))
    assert ran == []


def test_a_follower_polling_while_qt_runs_outside_the_loop_stays_online(
    qapp: QApplication, loop: KodEventLoop, sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "kod.sqlite"
    shutil.copy(sqlite_template, path)
    links: list[LinkStatus] = []
    batches: list[ChangeBatch] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        db = Database(sqlite_target(path), workstation="test-ws")
        services = Services.create(db)
        follower = ChangeFollower(db, poll_interval=0.005)
        follower.link.connect(links.append)
        follower.changes.connect(batches.append)

        async def start() -> None:
            await db.check()
            follower.start()
            await services.units.create(ADMIN, "KOD 1", "Streife")

        loop.run_until_complete(start())
        for _ in range(10):  # the follower's polls come due while no loop runs
            _process_events_outside_the_loop(qapp, 0.02)
            loop.run_until_complete(asyncio.sleep(0.01))

        async def finish() -> None:
            await services.units.create(ADMIN, "KOD 2", "Streife")
            deadline = loop.time() + 5
            while sum(len(b.changes) for b in batches) < 2 and loop.time() < deadline:
                await asyncio.sleep(0.01)
            await follower.stop()
            await db.dispose()

        loop.run_until_complete(finish())
        gc.collect()
    assert [s.state for s in links] == [LinkState.ONLINE]
    assert {c.entity for b in batches for c in b.changes} == {"unit"}
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []


def test_qt_events_processed_inside_a_coroutine_step_no_other_task_there(
    qapp: QApplication, loop: KodEventLoop
) -> None:
    # A test or a slot processing Qt events inside a coroutine: another task woken there could
    # not run ("Cannot enter into task") and was never woken again: everything waiting hung.
    errors: list[str] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(str(context["message"])))

    async def other() -> str:
        await asyncio.sleep(0)
        await asyncio.sleep(0.01)
        return "done"

    async def main() -> str:
        first = asyncio.ensure_future(other())
        await asyncio.sleep(0.02)
        second = asyncio.ensure_future(other())
        for _ in range(5):
            qapp.processEvents()
        assert not second.done()
        return f"{await first} {await asyncio.wait_for(second, 2)}"

    QTimer.singleShot(5000, loop.stop)  # a hang fails the test instead of stalling the run
    assert loop.run_until_complete(main()) == "done done"
    assert errors == []
