"""Starting coroutines from Qt code: every task is kept and its errors reach the user."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from app.platform.errors import DatabaseClosed

T = TypeVar("T")
log = logging.getLogger(__name__)

_tasks: set[asyncio.Task[Any]] = set()
_error_sink: list[Callable[[BaseException], None]] = []


def set_error_sink(sink: Callable[[BaseException], None]) -> None:
    """Where unhandled task errors go (the main window's error dialog)."""
    _error_sink.clear()
    _error_sink.append(sink)


def report_error(exc: BaseException) -> None:
    """Hand an error to the one place that tells the user."""
    if _error_sink:
        _error_sink[0](exc)
    else:
        log.error("unhandled error", exc_info=exc)


def spawn(
    coro: Coroutine[Any, Any, T], on_done: Callable[[T], None] | None = None
) -> asyncio.Task[T] | None:
    """Run ``coro`` as a task; keep a reference; report its exception; call ``on_done``."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        # No loop any more (the program or a test is shutting down): nothing can run it.
        coro.close()
        log.debug("dropped %r: no running event loop", coro)
        return None
    task = loop.create_task(coro)
    _tasks.add(task)

    def finished(t: asyncio.Task[T]) -> None:
        _tasks.discard(t)
        if t.cancelled():
            return
        exc = t.exception()
        if isinstance(exc, DatabaseClosed):
            # A late read of a window whose session has ended: nobody is waiting for it.
            log.debug("dropped after the session ended: %r", t)
        elif exc is not None:
            report_error(exc)
        elif on_done is not None:
            try:
                on_done(t.result())
            except Exception as cb_exc:
                report_error(cb_exc)

    task.add_done_callback(finished)
    return task


def pending_tasks() -> set[asyncio.Task[Any]]:
    """Tasks still running (for shutdown and tests)."""
    return set(_tasks)


async def cancel_all() -> None:
    """Cancel and await every spawned task."""
    tasks = list(_tasks)
    for t in tasks:
        t.cancel()
    for t in tasks:
        with contextlib.suppress(BaseException):
            await t
