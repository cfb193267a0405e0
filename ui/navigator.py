"""Going to a pane and to an incident, unit, Auftrag or Meldung in it: one way for every pane.

Panes register with :meth:`Navigator.add_pane` (how to focus them, how to select an item, the
model that brings new rows); everyone else asks the navigator instead of reaching into
``window.docks``. A row that is not loaded yet (saved a moment ago, on its way through the change
feed) is waited for with :func:`when_row`, the one wait-for-a-row helper.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractItemModel, QCoreApplication, QObject, QTimer

if TYPE_CHECKING:
    from ui.main_window import MainWindow

#: How long a row that is expected (just saved) is waited for.
ARRIVAL_MS = 10_000


def when_row(
    model: QAbstractItemModel,
    attempt: Callable[[], bool],
    timeout_ms: int = ARRIVAL_MS,
    on_timeout: Callable[[], object] | None = None,
    owner: QObject | None = None,
) -> None:
    """Call ``attempt`` now and after each change of ``model``'s rows until it returns True.

    After ``timeout_ms`` without success ``on_timeout`` runs once. Attempts run just after the
    model's signal (its views have caught up by then: a view restoring its own selection after
    a reset does not undo ours).
    """
    if attempt():
        return
    timer = QTimer(owner or model)
    timer.setSingleShot(True)
    pending = [False]
    signals = (model.rowsInserted, model.modelReset, model.rowsMoved, model.layoutChanged)

    def stop() -> None:
        timer.stop()
        for signal in signals:
            with contextlib.suppress(RuntimeError, TypeError):  # already gone with the model
                signal.disconnect(soon)
        timer.deleteLater()

    def again() -> None:
        pending[0] = False
        if timer.isActive() and attempt():
            stop()

    def soon(*_args: object) -> None:
        if not pending[0]:
            pending[0] = True
            QTimer.singleShot(0, timer, again)

    def expired() -> None:
        stop()
        if on_timeout is not None:
            on_timeout()

    for signal in signals:
        signal.connect(soon)
    timer.timeout.connect(expired)
    timer.start(timeout_ms)


@dataclass
class Pane:
    """What the navigator knows about one pane."""

    key: str
    focus: Callable[[], None]
    select: Callable[[int], bool] | None = None
    model: QAbstractItemModel | None = None
    #: Opens an item that the pane's list does not show (e.g. a finished Auftrag).
    open_item: Callable[[int], None] | None = None
    #: Status-bar text when the item is not in the list (and cannot be opened).
    missing: str = ""


class Navigator(QObject):
    """Brings panes forward and selects items in them (one per main window)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("navigator")
        self._window = window
        self._panes: dict[str, Pane] = {}

    def add_pane(
        self,
        key: str,
        focus: Callable[[], None],
        select: Callable[[int], bool] | None = None,
        model: QAbstractItemModel | None = None,
        open_item: Callable[[int], None] | None = None,
        missing: str = "",
    ) -> None:
        """Register the pane docked as ``key`` (see :meth:`MainWindow.add_pane`).

        ``missing`` is the status-bar text for an item the list does not show.
        """
        self._panes[key] = Pane(key, focus, select, model, open_item, missing)

    def has(self, key: str) -> bool:
        """True if the pane ``key`` is installed (the role may see it)."""
        return key in self._panes and key in self._window.docks

    def reveal(self, key: str) -> bool:
        """Show the pane's dock and bring it to the front (of its tab group)."""
        dock = self._window.docks.get(key)
        if dock is None:
            return False
        dock.show()
        dock.raise_()
        return True

    def go_to(self, key: str) -> bool:
        """Bring the pane forward and put the keyboard in it (also from another window)."""
        pane = self._panes.get(key)
        if pane is None or not self.reveal(key):
            return False
        window = self._window
        if not window.isActiveWindow():
            window.raise_()
            window.activateWindow()
        pane.focus()
        return True

    def show(self, key: str, item_id: int, *, focus: bool = True, wait_ms: int = 0) -> bool:
        """Select ``item_id`` in the pane ``key``; with ``focus`` bring the pane forward.

        With ``wait_ms`` a row that is not there yet is waited for that long (it was just
        saved). An item the list does not show is opened if the pane can, else the status bar
        says so. Returns True if the item was selected at once.
        """
        pane = self._panes.get(key)
        if pane is None or pane.select is None:
            return False
        select = pane.select

        def attempt() -> bool:
            if not select(item_id):
                return False
            if focus:
                self.go_to(key)
            return True

        if focus:
            self.reveal(key)
        if attempt():
            return True
        if wait_ms and pane.model is not None:
            when_row(pane.model, attempt, wait_ms, lambda: self._missing(pane, item_id), self)
        else:
            self._missing(pane, item_id)
        return False

    def open(self, key: str, item_id: int) -> bool:
        """Bring the pane forward and open ``item_id`` there (its dialog)."""
        pane = self._panes.get(key)
        if pane is None or pane.open_item is None:
            return False
        self.reveal(key)
        pane.open_item(item_id)
        return True

    def _missing(self, pane: Pane, item_id: int) -> None:
        if pane.open_item is not None:
            pane.open_item(item_id)
            return
        self._window.statusBar().showMessage(
            pane.missing
            or QCoreApplication.translate(
                "Navigator", "It is not in the current list (check the filter or search)."
            ),
            8000,
        )

    # -- the items of the workstation ---------------------------------------------------------

    def show_incident(self, incident_id: int, *, focus: bool = True, wait_ms: int = 0) -> bool:
        """Select the incident in the queue (the detail pane follows the selection)."""
        return self.show("queue", incident_id, focus=focus, wait_ms=wait_ms)

    def open_incident(self, incident_id: int) -> bool:
        """Select the incident and put the keyboard into its detail."""
        shown = self.show_incident(incident_id, focus=False)
        self.go_to("detail")
        return shown

    def show_unit(self, unit_id: int) -> bool:
        """Select the unit on the status board."""
        return self.show("units", unit_id)

    def show_task(self, task_id: int) -> bool:
        """Select the Auftrag (or open it if the list does not show it)."""
        return self.show("tasks", task_id)

    def show_report(self, report_id: int) -> bool:
        """Select the Meldung (or open it if the list does not show it)."""
        return self.show("reports", report_id)
