"""The change follower reads in a thread of its own and emits on the loop that started it.

The workstation's window must not build thousands of rows a second itself: the follower reads
the feed and makes its batches in its own thread, then hands them over in order. These tests
look at what a pane relies on: every change once, in id order, emitted on the window's own
thread; a stop that ends the reading thread and emits nothing after it; a restart that goes on
where the last delivery ended.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from app.domain.dto import ChangeBatch
from app.platform.changefeed import (
    MAX_UNDELIVERED,
    ChangeFollower,
    LinkState,
    LinkStatus,
    last_change_id,
)
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from tests.ui.waiting import wait_until

ADMIN = Actor(None, "cli:test", Role.ADMIN, "Test-Admin")


class Deliveries:
    """What a follower emitted, with the thread and loop it was emitted on."""

    def __init__(self, follower: ChangeFollower) -> None:
        self.batches: list[ChangeBatch] = []
        self.links: list[LinkStatus] = []
        self.threads: set[int] = set()
        self.loops: set[int] = set()
        follower.changes.connect(self._on_changes)
        follower.link.connect(self._on_link)

    def _where(self) -> None:
        self.threads.add(threading.get_ident())
        self.loops.add(id(asyncio.get_running_loop()))

    def _on_changes(self, batch: ChangeBatch) -> None:
        self._where()
        self.batches.append(batch)

    def _on_link(self, status: LinkStatus) -> None:
        self._where()
        self.links.append(status)

    def ids(self) -> list[int]:
        return [c.id for b in self.batches for c in b.changes]


def follower_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "change-follower"]


@pytest.mark.asyncio
async def test_changes_arrive_in_order_on_the_starting_loop(services: Services) -> None:
    db = services.db
    follower = ChangeFollower(db, after_id=await last_change_id(db), poll_interval=0.05)
    seen = Deliveries(follower)
    follower.start()
    try:
        await wait_until(lambda: follower.state == LinkState.ONLINE, 10)
        # Written in bursts while the follower reads: several batches, read in its own thread.
        for burst in range(4):
            for k in range(8):
                await services.units.create(ADMIN, f"KOD {burst * 10 + k}", home=(51.03, 7.0))
            follower.poke()
            await asyncio.sleep(0.02)
        newest = await last_change_id(db)
        await wait_until(lambda: follower.last_id == newest, 10)
        assert len(follower_threads()) == 1
    finally:
        await follower.stop()
    ids = seen.ids()
    assert ids == sorted(set(ids)), "out of order or twice"
    assert len(ids) == 32 and ids[-1] == newest
    assert {c.entity for b in seen.batches for c in b.changes} == {"unit"}
    # Every delivery on this (the window's) thread and loop, none from the reading thread.
    assert seen.threads == {threading.get_ident()}
    assert seen.loops == {id(asyncio.get_running_loop())}
    assert [s.state for s in seen.links] == [LinkState.ONLINE]


@pytest.mark.asyncio
async def test_stop_ends_the_thread_and_a_restart_goes_on_without_loss(
    services: Services,
) -> None:
    db = services.db
    follower = ChangeFollower(db, after_id=await last_change_id(db), poll_interval=0.05)
    seen = Deliveries(follower)
    follower.start()
    follower.start()  # a second start is no second reader
    await wait_until(lambda: follower.state == LinkState.ONLINE, 10)
    assert len(follower_threads()) == 1
    await services.units.create(ADMIN, "KOD 1", home=(51.03, 7.0))
    await wait_until(lambda: len(seen.ids()) == 1, 10)

    await follower.stop()
    assert not follower.running and follower_threads() == []
    await follower.stop()  # stopping twice is harmless
    # Written while stopped: nothing is emitted now ...
    for k in range(2, 5):
        await services.units.create(ADMIN, f"KOD {k}", home=(51.03, 7.0))
    await asyncio.sleep(0.3)
    assert len(seen.ids()) == 1

    # ... and everything after the last delivery once it runs again.
    follower.start()
    try:
        newest = await last_change_id(db)
        await wait_until(lambda: follower.last_id == newest, 10)
    finally:
        await follower.stop()
    ids = seen.ids()
    assert ids == sorted(set(ids)) and len(ids) == 4
    assert follower_threads() == []


@pytest.mark.asyncio
async def test_a_feed_that_went_back_is_a_reset_from_the_reading_thread(
    services: Services,
) -> None:
    db = services.db
    await services.units.create(ADMIN, "KOD 1", home=(51.03, 7.0))
    newest = await last_change_id(db)
    follower = ChangeFollower(db, after_id=newest + 500, poll_interval=0.05)
    seen = Deliveries(follower)
    follower.start()
    try:
        await wait_until(lambda: follower.state == LinkState.ONLINE, 10)
        await wait_until(lambda: any(b.reset for b in seen.batches), 10)
        assert follower.last_id == newest
        # Reading goes on from the feed's real end.
        await services.units.create(ADMIN, "KOD 2", home=(51.03, 7.0))
        await wait_until(lambda: follower.last_id == newest + 1, 10)
    finally:
        await follower.stop()
    first = seen.batches[0]
    assert first.reset and first.reset_to == newest
    assert seen.threads == {threading.get_ident()}


@pytest.mark.asyncio
async def test_a_window_that_does_not_run_for_a_while_gets_everything_after(
    services: Services,
) -> None:
    """While the starting loop is held up (a modal dialog, a long step) the follower stops
    reading after a few batches instead of piling up rows; afterwards all arrive in order."""
    db = services.db
    follower = ChangeFollower(db, after_id=await last_change_id(db), poll_interval=0.02)
    seen = Deliveries(follower)
    follower.start()
    try:
        await wait_until(lambda: follower.state == LinkState.ONLINE, 10)

        def write_elsewhere() -> None:
            async def write() -> None:
                other = Database(db.target, workstation="ws-b")
                try:
                    for k in range(40):
                        await Services.create(other).units.create(
                            ADMIN, f"KOD {k}", home=(51.03, 7.0)
                        )
                        await asyncio.sleep(0.01)
                finally:
                    await other.dispose()

            asyncio.run(write())

        writer = threading.Thread(target=write_elsewhere)
        writer.start()
        # This loop is held up meanwhile (nothing of it runs, as in a blocking step).
        held_until = time.monotonic() + 3.0
        most = 0
        while time.monotonic() < held_until:
            time.sleep(0.05)
            assert len(follower._outbox) <= MAX_UNDELIVERED  # bounded: the rest waits unread
            most = max(most, len(follower._outbox))
        writer.join()
        assert most >= 3, most  # batches did wait for this loop
        newest = await last_change_id(db)
        await wait_until(lambda: follower.last_id == newest, 10)
    finally:
        await follower.stop()
    ids = seen.ids()
    assert ids == sorted(set(ids)) and len(ids) == 40
