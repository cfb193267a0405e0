"""Taking a call by clicking on the map: the click sets the call's location.

While the call-taking form is open the map shows a hint and a crosshair; a click on an empty
spot (not on a symbol) gives the form the point's coordinates and Stadtteil, and proposes the
nearest gazetteer address as its text (the dispatcher can type on as before).

A click on the map makes the main window the active one. The form must not lose what the
dispatcher types, so the keyboard goes back to the form at once, to the field it was in:
already on the mouse press, before the page has even reported the click.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.domain.gazetteer import Address
from app.platform.errors import KodError
from ui.asyncutil import spawn
from ui.models.live_table import alive

if TYPE_CHECKING:
    from ui.dialogs.call_taking import CallTakingActions, CallTakingDialog
    from ui.views.map.pane import MapPane

__all__ = ["MapPick"]


class MapPick(QObject):
    """Connects the map's clicks to the call-taking form of one main window."""

    #: The form got a location from the map: latitude, longitude (tests wait for it).
    placed = Signal(float, float)

    def __init__(self, pane: MapPane, actions: CallTakingActions) -> None:
        super().__init__(pane)
        self.setObjectName("mapPick")
        self._pane = pane
        self._actions = actions
        self._watched: CallTakingDialog | None = None
        self._view_watched: QObject | None = None
        #: The field of the form that had the keyboard when the map was clicked.
        self._typing_in: QWidget | None = None
        pane.bridge.point_picked.connect(self._on_picked)
        pane.bridge.page_ready.connect(self._send_mode)
        new = actions.window.commands.action("incident.new")
        if new is not None:
            # After the form was made (the command's own handler runs first).
            new.triggered.connect(lambda _checked=False: self._watch_dialog())

    @property
    def active(self) -> bool:
        """True while the call-taking form is open (a click on the map sets its location)."""
        dialog = self._actions.dialog
        return dialog is not None and alive(dialog) and dialog.isVisible()

    def _watch_dialog(self) -> None:
        dialog = self._actions.dialog
        if dialog is not None and dialog is not self._watched:
            dialog.installEventFilter(self)
            self._watched = dialog
        self._send_mode()

    def _send_mode(self) -> None:
        active = self.active
        hint = QCoreApplication.translate(
            "MapPick", "Taking a call: a click on the map sets the location."
        )
        self._pane.send({"pick": {"active": active, "hint": hint}})
        view = self._pane.view
        proxy = view.focusProxy() if view is not None else None
        if active and proxy is not None and proxy is not self._view_watched:
            proxy.installEventFilter(self)
            self._view_watched = proxy

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self._view_watched and kind == QEvent.Type.MouseButtonPress and self.active:
            self._remember_field()
            QTimer.singleShot(0, self.give_back_keyboard)
        elif kind in (QEvent.Type.Show, QEvent.Type.Hide) and watched is self._actions.dialog:
            QTimer.singleShot(0, self._send_mode)
        return False

    def _remember_field(self) -> None:
        dialog = self._actions.dialog
        if dialog is not None and dialog.focusWidget() is not None:
            self._typing_in = dialog.focusWidget()

    def give_back_keyboard(self) -> None:
        """Make the form the active window again, the cursor in the field it was in."""
        dialog = self._actions.dialog
        if dialog is None or not alive(dialog) or not dialog.isVisible():
            return
        field = self._typing_in
        self._typing_in = None
        if field is None or not alive(field):
            field = dialog.focusWidget()
        dialog.raise_()
        dialog.activateWindow()
        if field is not None and alive(field):
            field.setFocus()

    def _on_picked(self, lat: float, lon: float) -> None:
        if not self.active:
            return
        self.give_back_keyboard()
        spawn(self._place(lat, lon))

    async def _place(self, lat: float, lon: float) -> None:
        ctx = self._pane.ctx
        nearest: Address | None = None
        try:
            nearest = await ctx.services.gazetteer.nearest(ctx.actor, lat, lon)
        except KodError:
            nearest = None  # no proposal; the coordinates are set all the same
        dialog = self._actions.dialog
        if dialog is None or not alive(dialog) or not dialog.isVisible():
            return
        dialog.form.place_from_map(lat, lon, nearest)
        self.placed.emit(lat, lon)
