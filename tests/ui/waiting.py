"""The one polling helper of the tests: :func:`wait_until` in async tests (the UI tests and the
benchmarks that drive the UI), :func:`wait_until_sync` where no event loop runs (libvlc driven
directly from a plain test)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable

#: How often the condition is looked at (s).
_POLL_S = 0.01


async def wait_until(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    """Let the loop run until ``predicate()`` is true (fails the test on timeout).

    ``predicate`` may be a coroutine function (e.g. one that reads the database): its result
    is awaited each time.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(_POLL_S)


def wait_until_sync(predicate: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
    """Block until ``predicate()`` is true (fails the test on timeout, naming ``what``)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or 'condition'} not met within {timeout} s")
        time.sleep(_POLL_S)
