"""The fields of call-taking: category by type-ahead, priority preset from it, the address with
gazetteer completion and its place, caller, phone and description, each with its own message
line. :class:`ui.dialogs.call_taking.CallTakingDialog` puts it in a window and saves it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from app.domain.codes import priority_label
from app.domain.dto import IncidentDraft
from app.domain.gazetteer import Address
from app.services.stadtteile import last_known_stadtteil
from ui.context import UiContext
from ui.widgets.address import AddressField, PlaceLabel
from ui.widgets.category import TypeAheadCategoryCombo, default_priority
from ui.widgets.messages import FormMessages, message_label

#: Fields with a message line of their own, in form order.
FIELDS = ("category", "priority", "address", "caller_name", "caller_phone", "description")


class CallTakingForm(QWidget):
    """What is entered for a new incident (see the module docstring)."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CallTakingForm")
        #: Messages next to the fields (made below; the field signals use it later).
        self.messages: FormMessages
        self._priority_manual = False
        self.category = TypeAheadCategoryCombo(self.tr("Type a few letters of the category"), self)
        self.category.setObjectName("callCategory")
        self.category.currentIndexChanged.connect(self._on_category_changed)
        self.category.editTextChanged.connect(lambda _t: self.messages.hide("category"))
        self.priority = QComboBox(self)
        self.priority.setObjectName("callPriority")
        for p in (1, 2, 3):
            self.priority.addItem(priority_label(p), p)
        self.priority.setCurrentIndex(-1)
        self.priority.activated.connect(self._on_priority_chosen)
        self.priority.setToolTip(self.tr("Preset from the category; Alt+P to change it."))
        self.address = AddressField(ctx, self, full_label=True)
        self.address.setObjectName("callAddress")
        self.address.setPlaceholderText(self.tr("Street and house number, e.g. “haupt 12”"))
        self.address.textEdited.connect(lambda _t: self.messages.hide("address"))
        self.address.chosenChanged.connect(self._on_address_chosen)
        self.stadtteil = QLabel("–", self)
        self.stadtteil.setObjectName("callStadtteil")
        self.stadtteil.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.coordinates = PlaceLabel(self.address, self, with_stadtteil=False)
        self.coordinates.setObjectName("callCoordinates")
        self.caller_name = QLineEdit(self)
        self.caller_name.setObjectName("callCallerName")
        self.caller_name.setMaxLength(120)
        self.caller_phone = QLineEdit(self)
        self.caller_phone.setObjectName("callCallerPhone")
        self.caller_phone.setMaxLength(64)
        self.description = QPlainTextEdit(self)
        self.description.setObjectName("callDescription")
        self.description.setTabChangesFocus(True)
        self.description.setPlaceholderText(self.tr("What is happening? Who, what, where exactly?"))
        self.description.setMinimumHeight(90)

        self.message = message_label(self, "callMessage")
        self.messages = FormMessages(self.message)
        self.errors: dict[str, QLabel] = {}
        widgets: dict[str, QWidget] = {
            "category": self.category,
            "priority": self.priority,
            "address": self.address,
            "caller_name": self.caller_name,
            "caller_phone": self.caller_phone,
            "description": self.description,
        }
        for name in FIELDS:
            self.errors[name] = message_label(self, f"callError_{name}")
            self.messages.add(name, widgets[name], self.errors[name])
        self.messages.add("lat lon", self.address, self.errors["address"])
        self._lay_out()

    def _lay_out(self) -> None:
        def buddy(text: str, widget: QWidget) -> QLabel:
            label = QLabel(text, self)
            label.setBuddy(widget)
            return label

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(3, 2)
        grid.addWidget(buddy(self.tr("Ca&tegory"), self.category), 0, 0)
        grid.addWidget(self.category, 0, 1)
        grid.addWidget(buddy(self.tr("&Priority"), self.priority), 0, 2)
        grid.addWidget(self.priority, 0, 3)
        grid.addWidget(self.errors["category"], 1, 1)
        grid.addWidget(self.errors["priority"], 1, 3)
        grid.addWidget(buddy(self.tr("&Address"), self.address), 2, 0)
        grid.addWidget(self.address, 2, 1, 1, 3)
        grid.addWidget(self.errors["address"], 3, 1, 1, 3)
        place = QHBoxLayout()
        place.setContentsMargins(0, 0, 0, 0)
        place.addWidget(self.stadtteil)
        place.addSpacing(12)
        place.addWidget(self.coordinates, 1)
        grid.addWidget(QLabel(self.tr("District"), self), 4, 0)
        grid.addLayout(place, 4, 1, 1, 3)
        grid.addWidget(buddy(self.tr("Ca&ller"), self.caller_name), 5, 0)
        grid.addWidget(self.caller_name, 5, 1)
        grid.addWidget(buddy(self.tr("P&hone"), self.caller_phone), 5, 2)
        grid.addWidget(self.caller_phone, 5, 3)
        grid.addWidget(self.errors["caller_name"], 6, 1)
        grid.addWidget(self.errors["caller_phone"], 6, 3)
        description_label = buddy(self.tr("&Description"), self.description)
        description_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        grid.addWidget(description_label, 7, 0)
        grid.addWidget(self.description, 7, 1, 1, 3)
        grid.addWidget(self.errors["description"], 8, 1, 1, 3)
        grid.setRowStretch(7, 1)

    def tab_chain(self) -> list[QWidget]:
        """The fields in the order of a call (the priority last: the category presets it)."""
        return [
            self.category,
            self.address,
            self.caller_name,
            self.caller_phone,
            self.description,
            self.priority,
        ]

    # -- category and priority ---------------------------------------------------------------

    def _on_category_changed(self, index: int) -> None:
        self.messages.hide("category")
        if index < 0 or self._priority_manual:
            return
        wanted = default_priority(str(self.category.itemData(index)))
        self.priority.setCurrentIndex(self.priority.findData(wanted))

    def _on_priority_chosen(self, _index: int) -> None:
        self._priority_manual = True
        self.messages.hide("priority")

    def _on_address_chosen(self, address: Address | None) -> None:
        coords = self.address.coordinates
        if coords is None:
            self.stadtteil.setText("–")
            return
        self.messages.hide("address")
        self.stadtteil.setText(last_known_stadtteil(*coords) or "–")

    def place_from_map(self, lat: float, lon: float, nearest: Address | None) -> None:
        """The call's location from a click on the map: coordinates and Stadtteil of the
        point, the nearest address proposed as the address text.

        Free text the dispatcher typed (without coordinates) is kept: the click adds the
        coordinates to it instead of overwriting it.
        """
        typed = bool(self.address.text().strip()) and self.address.coordinates is None
        text = None if typed or nearest is None else nearest.label
        self.address.set_picked(text, lat, lon)

    # -- state --------------------------------------------------------------------------------

    def has_input(self) -> bool:
        """True if anything was entered (then Esc asks before discarding)."""
        return any(
            (
                self.category.currentText().strip(),
                self.address.text().strip(),
                self.caller_name.text().strip(),
                self.caller_phone.text().strip(),
                self.description.toPlainText().strip(),
            )
        )

    def reset(self) -> None:
        """Empty form for the next call."""
        self.close_popups()
        self.category.clear_choice()
        self.priority.setCurrentIndex(-1)
        self._priority_manual = False
        self.address.clear_address()
        self.caller_name.clear()
        self.caller_phone.clear()
        self.description.clear()
        self.messages.clear()
        self.category.setFocus()

    def close_popups(self) -> None:
        """Hide the completion lists."""
        self.address.address_completer.popup().hide()
        self.category.close_popups()

    def draft(self) -> IncidentDraft | None:
        """The incident as entered; None (with an inline message) if the category is missing."""
        self.category.resolve()
        code = self.category.code()
        if code is None:
            text = self.category.currentText().strip()
            self.messages.show(
                self.tr("No category matches “%1”. Type a few letters of a category.").replace(
                    "%1", text
                )
                if text
                else self.tr("Choose a category: type a few letters of it."),
                "category",
            )
            return None
        coords = self.address.coordinates
        priority = self.priority.currentData()
        return IncidentDraft(
            category=code,
            priority=int(priority) if priority is not None else None,
            address=self.address.text().strip(),
            lat=coords[0] if coords else None,
            lon=coords[1] if coords else None,
            caller_name=self.caller_name.text().strip() or None,
            caller_phone=self.caller_phone.text().strip() or None,
            description=self.description.toPlainText().strip(),
        )
