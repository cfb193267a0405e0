"""The one polling helper of the UI tests (and of the benchmarks that drive the UI)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable


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
        await asyncio.sleep(0.01)
