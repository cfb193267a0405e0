"""The reading side of a live table: first page, further pages, and batched reads of changes.

A :class:`LiveLoader` belongs to one :class:`~ui.models.live_table.LiveTableModel`. It asks the
model's service calls (``fetch_first``, ``fetch_page``, ``fetch_rows``, ``fetch_matches``) and
hands the answers to the model's row store (``replace_rows``, ``append_page``, ``apply_rows``),
which alone changes what the view shows.

Every load carries a generation: an answer to a filter that was replaced meanwhile, or to a
model that was stopped, is dropped. A change is read at once (on the next turn of the event
loop, so a change on one workstation shows on another within a display frame). Reads of
different rows may overlap, up to :data:`MAX_READS` at a time; beyond that, and for a row whose
read is under way, changes wait and are read together when a read returns, so a burst becomes a
few updates instead of one per change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QTimer

from ui.asyncutil import spawn

if TYPE_CHECKING:
    from ui.models.live_table import LiveTableModel

#: Live reads of changed rows under way at once (each takes a pooled connection).
MAX_READS = 3


def alive(obj: QObject) -> bool:
    """False once Qt has deleted ``obj`` (a coroutine may finish after its widget closed)."""
    return bool(shiboken6.isValid(obj))


class HasId(Protocol):
    """A row dataclass: it has an id."""

    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=HasId)
Q = TypeVar("Q")


class LiveLoader(Generic[R, Q]):
    """Loads pages and reads changed rows for one live table (see the module's text)."""

    def __init__(self, model: LiveTableModel[R, Q]) -> None:
        self._model = model
        #: Bumped by every full load and by :meth:`stop`; older answers are dropped.
        self.generation = 0
        #: A first page is being read.
        self.loading = False
        #: A further page is being read.
        self.fetching = False
        self.stopped = False
        #: Ids whose live read is under way.
        self._reading: set[int] = set()
        self._reads = 0
        self._dirty: set[int] = set()
        self._full_reload = False
        # Zero-delay single shot: every change of one delivery (and of the same loop turn)
        # is applied together, without waiting.
        self._flush_timer = QTimer(model)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self._flush)

    # -- pages ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the first page again (the model resets when it arrives)."""
        if self.stopped or not self._model.readable():
            return
        # What changed until now is in the new read; what changes during it is applied after.
        self._dirty.clear()
        spawn(self._load_first(self._next_generation()))

    async def load_now(self) -> None:
        """Read the first page and wait for it (tests and benchmarks)."""
        await self._load_first(self._next_generation())

    def _next_generation(self) -> int:
        self.generation += 1
        self.loading = True
        return self.generation

    async def _load_first(self, generation: int) -> None:
        model = self._model
        try:
            total, exact, rows = await model.fetch_first(model.query)
        finally:
            if generation == self.generation:
                self.loading = False
        if generation != self.generation or not alive(model):
            return
        self.fetching = False
        model.replace_rows(rows, total, exact)
        self.schedule()

    @property
    def idle(self) -> bool:
        """True if no page is being read (another may be asked for)."""
        return not self.fetching and not self.loading

    def fetch_more(self, offset: int) -> None:
        """Read the page starting at ``offset`` (the number of rows loaded)."""
        if self.fetching or self._model.page_size is None:
            return
        self.fetching = True
        spawn(self._load_more(self.generation, offset))

    async def _load_more(self, generation: int, offset: int) -> None:
        model = self._model
        assert model.page_size is not None
        try:
            rows = await model.fetch_page(model.query, offset, model.page_size)
        finally:
            if generation == self.generation and alive(model):
                self.fetching = False
                self.schedule()
        if generation != self.generation or offset != model.rowCount() or not alive(model):
            return
        model.append_page(rows)

    # -- live changes -----------------------------------------------------------------------

    def mark(self, ids: Iterable[int], reload: bool = False) -> None:
        """Rows ``ids`` changed (or, with ``reload``, everything): read them back soon."""
        if self.stopped:
            return
        if reload:
            self._full_reload = True
        else:
            self._dirty.update(ids)
        self.schedule()

    def schedule(self) -> None:
        """Start the read of what is marked on the next loop turn (if anything is)."""
        if (self._dirty or self._full_reload) and not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        if self.stopped:
            return
        if self._full_reload:
            self._full_reload = False
            self.reload()
            return
        if self.loading or self.fetching or self._reads >= MAX_READS:
            return  # picked up when the read under way returns
        # A row being read now waits for that read: its answers then arrive in order.
        ids = sorted(self._dirty - self._reading)
        if not ids:
            return
        self._dirty.difference_update(ids)
        self._reading.update(ids)
        self._reads += 1
        spawn(self._apply(self.generation, ids))

    async def _apply(self, generation: int, ids: Sequence[int]) -> None:
        model = self._model
        try:
            rows, matching = await asyncio.gather(
                model.fetch_rows(ids), model.fetch_matches(model.query, ids)
            )
        finally:
            if alive(model):
                self._reads -= 1
                self._reading.difference_update(ids)
                self.schedule()
        if generation != self.generation or not alive(model):
            return
        model.apply_rows(rows, matching, set(ids))

    def stop(self) -> None:
        """No more reads; answers still under way are dropped."""
        self.stopped = True
        self._flush_timer.stop()
        self.generation += 1
