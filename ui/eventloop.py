"""The one event loop of the workstation: Qt and asyncio together (qasync), kept to asyncio's rules.

qasync runs asyncio's callbacks from Qt timers, so they run whenever Qt processes events, also
when the asyncio loop is not running: qasync's own ``run_until_complete`` processes events once
more after the loop stopped, and so does anything calling ``processEvents`` between two runs
(pytest-qt after each test phase, a test waiting outside the loop). A task woken there runs
with no running loop: its next ``asyncio.sleep``, ``wait_for`` or ``create_task`` fails with
"no running event loop", and an ``async with`` session it was in cannot close (SQLAlchemy closes
it in a new task): "coroutine 'AsyncSession.close' was never awaited", then a connection the
garbage collector has to clean up.

:class:`KodEventLoop` keeps such callbacks until the loop runs again, in their order, so a
coroutine only ever runs inside its running loop. The same holds for Qt events processed inside a
task's step (a nested event loop, ``processEvents`` in a coroutine): asyncio never runs
callbacks re-entrantly, and a task stepped there fails with "Cannot enter into task" and is
never woken again; such callbacks run right after the step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import qasync
from PySide6.QtWidgets import QApplication

T = TypeVar("T")


class KodEventLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync has no type hints
    """qasync's event loop whose callbacks run only while it runs (see the module's text)."""

    def __init__(self, app: QApplication | None = None) -> None:
        self._deferred: list[asyncio.Handle] = []
        super().__init__(app or QApplication.instance())

    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        # The timer runs a small guard; the caller keeps the real handle (to cancel it).
        super()._add_callback(asyncio.Handle(self._run_or_keep, (handle,), self), delay)
        return handle

    def _run_or_keep(self, handle: asyncio.Handle) -> None:
        if handle.cancelled():
            return
        if asyncio._get_running_loop() is not self or asyncio.current_task(self) is not None:
            # Not running, or inside a task's step (Qt processing events in a nested loop
            # there): asyncio runs nothing re-entrantly, and a task stepped here would fail
            # ("Cannot enter into task") and never be woken again.
            self._deferred.append(handle)
            return
        handle._run()
        if self._deferred and asyncio.current_task(self) is None:
            self._resume_deferred()

    def _resume_deferred(self) -> None:
        deferred, self._deferred = self._deferred, []
        for handle in deferred:
            if not handle.cancelled():
                self._add_callback(handle)

    def run_forever(self) -> None:
        """Run the loop; callbacks that came due while it was not running run first."""
        self._resume_deferred()
        super().run_forever()

    def close(self) -> None:
        """Close the loop; callbacks kept for a next run are dropped with it."""
        self._deferred.clear()
        super().close()


def new_event_loop() -> KodEventLoop:
    """A :class:`KodEventLoop` on the running QApplication (made if there is none)."""
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    return KodEventLoop(app)


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` in a new :class:`KodEventLoop` and close the loop (like ``asyncio.run``)."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main)
