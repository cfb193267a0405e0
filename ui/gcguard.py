"""Python's cyclic garbage collection on the GUI thread only.

The collector runs in whichever thread happens to allocate when a threshold is crossed. If that
is a worker thread (``asyncio.to_thread``, libvlc callbacks) and the garbage holds Qt objects,
they are destroyed outside their thread and the process can crash. So automatic collection is
switched off and a timer on the GUI thread collects with the same thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class MainThreadGarbageCollector(QObject):
    """Collects garbage generation by generation on the GUI thread."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self._threshold = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations whose allocation counts passed their thresholds."""
        counts = gc.get_count()
        if counts[0] > self._threshold[0]:
            generation = 0
            if counts[1] > self._threshold[1]:
                generation = 1
                if counts[2] > self._threshold[2]:
                    generation = 2
            gc.collect(generation)

    def stop(self) -> None:
        """Give collection back to Python."""
        self._timer.stop()
        gc.enable()


_instance: list[MainThreadGarbageCollector] = []


def install(parent: QObject | None = None) -> MainThreadGarbageCollector:
    """Install the collector once per process."""
    if not _instance:
        # What the imports made lives as long as the program: keep it out of every
        # collection (a full one over it takes a noticeable part of the start).
        gc.freeze()
        _instance.append(MainThreadGarbageCollector(parent))
    return _instance[0]
