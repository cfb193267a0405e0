"""A small Qt-free signal: services announce changes, the UI bridges them to Qt signals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class Signal(Generic[T]):
    """Callbacks called synchronously, in connection order, with one value."""

    def __init__(self) -> None:
        self._slots: list[Callable[[T], None]] = []

    def connect(self, slot: Callable[[T], None]) -> None:
        """Call ``slot`` on every emit."""
        if slot not in self._slots:
            self._slots.append(slot)

    def disconnect(self, slot: Callable[[T], None]) -> None:
        """Stop calling ``slot``."""
        if slot in self._slots:
            self._slots.remove(slot)

    def emit(self, value: T) -> None:
        """Call every connected slot; one failing slot does not stop the others."""
        for slot in list(self._slots):
            try:
                slot(value)
            except Exception:
                log.exception("signal slot %r failed", slot)
