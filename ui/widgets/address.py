"""The address field with completion from the gazetteer, shared by call-taking, the incident
detail, Aufträge and Meldungen.

Typing asks the gazetteer (debounced); the list opens below the field with nothing highlighted,
so Enter keeps the typed text and ↓ Enter takes the first entry. A chosen address brings its
coordinates and Stadtteil; typing after a choice drops them again (they belonged to the chosen
address). Free text without coordinates is always allowed.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.domain.gazetteer import Address
from app.domain.geo import format_coordinates
from app.platform.errors import KodError
from app.platform.permissions import Permission
from app.services.stadtteile import last_known_stadtteil
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.models.live_table import alive

#: Role of the completion items holding the :class:`Address`.
AddressRole = Qt.ItemDataRole.UserRole + 1
#: Milliseconds to wait after a key press before asking the gazetteer.
ADDRESS_DEBOUNCE_MS = 60
ADDRESS_SUGGESTIONS = 15


class AddressField(QLineEdit):
    """Street and house number with gazetteer completion.

    ``full_label`` writes the whole label of a chosen address ("Hauptstraße 1, 51373
    Leverkusen-Wiesdorf"); otherwise street and number only.
    """

    #: Suggestions for the current text are listed (tests wait for it).
    suggestionsShown = Signal()
    #: The chosen gazetteer address changed (an :class:`Address` or None for free text).
    chosenChanged = Signal(object)
    #: The gazetteer could not be asked (German message); free text still works.
    lookupFailed = Signal(str)

    def __init__(
        self, ctx: UiContext, parent: QWidget | None = None, *, full_label: bool = True
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._full_label = full_label
        self._chosen: Address | None = None
        self._stored: tuple[float, float] | None = None
        self._generation = 0
        self._suggested_for: str | None = None
        self._enabled = ctx.can(Permission.INCIDENT_READ) and hasattr(ctx.services, "gazetteer")
        self.setMaxLength(255)
        self._model = QStandardItemModel(self)
        self.address_completer = QCompleter(self._model, self)
        self.address_completer.setCompletionMode(
            QCompleter.CompletionMode.UnfilteredPopupCompletion
        )
        self.address_completer.setMaxVisibleItems(ADDRESS_SUGGESTIONS)
        self.address_completer.setWidget(self)
        # The overload taking the model index (the stubs do not model signal overloads).
        self.address_completer.activated[QModelIndex].connect(self._on_chosen)  # type: ignore[index]
        self.textEdited.connect(self._on_edited)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(ADDRESS_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._search)

    # -- state --------------------------------------------------------------------------------

    @property
    def chosen_address(self) -> Address | None:
        """The gazetteer address chosen for the current text (None for free text)."""
        return self._chosen

    @property
    def coordinates(self) -> tuple[float, float] | None:
        """(lat, lon) of the chosen or stored address; None for typed free text."""
        if self._chosen is not None:
            return (self._chosen.lat, self._chosen.lon)
        return self._stored

    def set_address(self, text: str, lat: float | None, lon: float | None) -> None:
        """Show a stored address with its coordinates (no lookup)."""
        self.stop_lookup()
        self.setText(text)
        self.setCursorPosition(0)
        self._chosen = None
        self._stored = (lat, lon) if lat is not None and lon is not None else None
        self.chosenChanged.emit(None)

    def set_picked(self, text: str | None, lat: float, lon: float) -> None:
        """Coordinates picked on the map; ``text`` (if not None) replaces the field's text.

        The cursor stays where it was when the text does not change.
        """
        self.stop_lookup()
        if text is not None and text != self.text():
            self.setText(text)
            self.setCursorPosition(0)
        self._chosen = None
        self._stored = (lat, lon)
        self.chosenChanged.emit(None)

    def choose_address(self, address: Address) -> None:
        """Use a gazetteer address (as if chosen from the list)."""
        self.stop_lookup()
        self.setText(address.label if self._full_label else street_and_number(address))
        self._stored = None
        self._chosen = address
        self.chosenChanged.emit(address)

    def clear_address(self) -> None:
        """Empty field, no lookup running, no list."""
        self.stop_lookup()
        self.clear()
        self._model.clear()
        self._chosen = None
        self._stored = None
        self.chosenChanged.emit(None)

    def stop_lookup(self) -> None:
        """Forget a pending lookup and hide the list."""
        self._debounce.stop()
        self._generation += 1
        self.address_completer.popup().hide()

    def suggestions_ready(self) -> bool:
        """True once the suggestions for the current text are listed."""
        return self._suggested_for == self.text()

    # -- lookup -------------------------------------------------------------------------------

    def _on_edited(self, text: str) -> None:
        if self._chosen is not None or self._stored is not None:
            self._chosen = None
            self._stored = None
            self.chosenChanged.emit(None)
        self._suggested_for = None
        if text.strip() and self._enabled:
            self._debounce.start()
        else:
            self._debounce.stop()
            self._model.clear()
            self.address_completer.popup().hide()

    def _search(self) -> None:
        self._generation += 1
        spawn(self._fetch(self._generation, self.text()))

    async def _fetch(self, generation: int, text: str) -> None:
        try:
            found = await self._ctx.services.gazetteer.search(
                self._ctx.actor, text, ADDRESS_SUGGESTIONS
            )
        except KodError as exc:
            # No list while typing is no reason for an error dialog: free text still works.
            found = []
            if alive(self) and generation == self._generation and self._chosen is None:
                self.lookupFailed.emit(str(exc))
        if not alive(self):
            return  # the form was closed meanwhile
        if generation != self._generation or text != self.text():
            return  # the user typed on meanwhile
        self._model.clear()
        for address in found:
            item = QStandardItem(address.label)
            item.setData(address, AddressRole)
            item.setEditable(False)
            self._model.appendRow(item)
        popup = self.address_completer.popup()
        if found and self.hasFocus():
            self.address_completer.complete()
            # Nothing highlighted: Enter keeps the typed text, ↓ goes to the first entry.
            popup.setCurrentIndex(QModelIndex())
        else:
            popup.hide()
        self._suggested_for = text
        self.suggestionsShown.emit()

    def _on_chosen(self, index: QModelIndex) -> None:
        address = index.data(AddressRole)
        if isinstance(address, Address):
            self.choose_address(address)


def street_and_number(address: Address) -> str:
    """ "Hauptstraße 12" of a gazetteer address."""
    return f"{address.street} {address.house_number}".strip()


class PlaceLabel(QLabel):
    """Coordinates (with ``with_stadtteil`` also the Stadtteil) of an :class:`AddressField`, or
    why there are none."""

    def __init__(
        self, field: AddressField, parent: QWidget | None = None, *, with_stadtteil: bool = True
    ) -> None:
        super().__init__(parent)
        self._field = field
        self._with_stadtteil = with_stadtteil
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet(theme.hint_style())
        field.chosenChanged.connect(lambda _a: self.refresh())
        field.lookupFailed.connect(self._failed)
        field.textChanged.connect(lambda _t: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        """Show what the field's address is known as (nothing while the field is empty)."""
        coords = self._field.coordinates
        if coords is not None:
            text = format_coordinates(*coords)
            if self._with_stadtteil:
                text = f"{last_known_stadtteil(*coords) or self.tr('outside the city')} · {text}"
            self._show(text)
        elif self._field.text().strip():
            self._show(self.tr("no coordinates (free text)"))
        else:
            self._show("")

    def _failed(self, message: str) -> None:
        if self._field.coordinates is None:
            self._show(self.tr("Address list not available: %1").replace("%1", message))

    def _show(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))


def address_with_place(field: AddressField, place: PlaceLabel) -> QVBoxLayout:
    """The address field with its place line below it (for a form row)."""
    box = QVBoxLayout()
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(1)
    box.addWidget(field)
    box.addWidget(place)
    return box
