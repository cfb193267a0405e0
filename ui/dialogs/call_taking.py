"""Call-taking, keyboard first: a new incident from a phone call in a few key presses.

The keys (also listed in the shortcut help):

* **Ctrl+N** or **F2** (anywhere in the main window): new incident; the cursor is in the category.
* **Category**: type a few letters of the label ("lär" → Lärm, matched anywhere in the label,
  umlauts optional); **Tab** takes the best match and moves on. The category sets the default
  priority unless the priority was changed by hand.
* **Address**: type the start of the street and the house number ("haup 12"); the gazetteer
  list appears, **↓** and **Enter** choose an entry (coordinates and Stadtteil follow). Free
  text without coordinates is allowed.
* **Tab** order: category → address → caller → phone → description → priority → buttons.
  The priority comes last because it is preset from the category; **Alt+P** jumps to it.
* **Ctrl+Enter** saves. **F9** (or Ctrl+Shift+Enter) saves and dispatches: the unit proposals
  open with the nearest available unit selected, **Enter** assigns it.
* **Esc** cancels; if anything was entered it asks first.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QKeyEvent,
    QKeySequence,
    QShortcut,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.codes import CATEGORIES, CATEGORY_BY_CODE, priority_label
from app.domain.dto import IncidentDraft
from app.domain.gazetteer import Address
from app.domain.geo import stadtteil_for
from app.platform.errors import KodError, ValidationError
from app.platform.permissions import Permission
from ui.asyncutil import spawn
from ui.commands import command_keys
from ui.context import UiContext
from ui.dialogs.assign_unit import AssignUnitDialog
from ui.navigator import ARRIVAL_MS

if TYPE_CHECKING:  # avoids an import cycle with the main window
    from ui.main_window import MainWindow

#: Role of the address completion items holding the :class:`Address`.
AddressRole = Qt.ItemDataRole.UserRole + 1
#: Milliseconds to wait after a key press before asking the gazetteer.
ADDRESS_DEBOUNCE_MS = 60
ADDRESS_SUGGESTIONS = 15
ERROR_STYLE = "color: #b00020;"

SAVE_KEYS = command_keys("call.save")
SAVE_AND_DISPATCH_KEYS = command_keys("call.save_dispatch")


def fold(text: str) -> str:
    """Lower case without accents: "Lärm" and "larm" compare equal (ß → ss)."""
    s = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def best_category(text: str, labels: dict[str, str]) -> str | None:
    """The category code whose label best matches the typed ``text``.

    Exact label first, then labels starting with the text, then labels containing it (in the
    order of ``labels``); case and umlauts do not matter. None if nothing matches.
    """
    key = fold(text.strip())
    if not key:
        return None
    folded = {code: fold(label) for code, label in labels.items()}
    for test in (
        lambda f: f == key,
        lambda f: f.startswith(key),
        lambda f: any(word.startswith(key) for word in f.replace("(", " ").split()),
        lambda f: key in f,
    ):
        for code, f in folded.items():
            if test(f):
                return code
    return None


def _matches(event: QKeyEvent, sequences: tuple[str, ...]) -> bool:
    combo = event.keyCombination()
    pressed = QKeySequence(combo)
    return any(
        pressed.matches(QKeySequence(s)) == QKeySequence.SequenceMatch.ExactMatch for s in sequences
    )


class CallTakingDialog(QDialog):
    """The new-incident form (non-modal: the queue stays visible and usable)."""

    #: A new incident was saved (its id).
    incidentCreated = Signal(int)
    #: "Save and dispatch" opened the unit proposals (the :class:`AssignUnitDialog`).
    dispatchOpened = Signal(object)
    #: Address suggestions for the current text are shown (tests wait for it).
    suggestionsShown = Signal()

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CallTakingDialog")
        self.setWindowTitle(self.tr("New incident"))
        self.ctx = ctx
        self.assign_dialog: AssignUnitDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self._busy = False
        self._priority_manual = False
        self._chosen: Address | None = None
        self._search_generation = 0
        self._suggested_for: str | None = None
        self._category_labels = {
            c.code: c.label for c in sorted(CATEGORIES, key=lambda c: fold(c.label))
        }

        # -- fields ---------------------------------------------------------------------------
        self.category = QComboBox(self)
        self.category.setObjectName("callCategory")
        self.category.setEditable(True)
        self.category.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.category.setMaxVisibleItems(len(self._category_labels))
        for code, label in self._category_labels.items():
            self.category.addItem(label, code)
        self.category.setCurrentIndex(-1)
        line = self.category.lineEdit()
        line.setPlaceholderText(self.tr("Type a few letters of the category"))
        completer = QCompleter(self.category.model(), self.category)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.category.setCompleter(completer)
        line.editingFinished.connect(self.resolve_category)
        self.category.currentIndexChanged.connect(self._on_category_changed)

        self.priority = QComboBox(self)
        self.priority.setObjectName("callPriority")
        for p in (1, 2, 3):
            self.priority.addItem(priority_label(p), p)
        self.priority.setCurrentIndex(-1)
        self.priority.activated.connect(self._on_priority_chosen)
        self.priority.setToolTip(self.tr("Preset from the category; Alt+P to change it."))

        self.address = QLineEdit(self)
        self.address.setObjectName("callAddress")
        self.address.setPlaceholderText(self.tr("Street and house number, e.g. “haupt 12”"))
        self.address.setMaxLength(255)
        self._address_model = QStandardItemModel(self)
        self.address_completer = QCompleter(self._address_model, self)
        self.address_completer.setCompletionMode(
            QCompleter.CompletionMode.UnfilteredPopupCompletion
        )
        self.address_completer.setMaxVisibleItems(ADDRESS_SUGGESTIONS)
        self.address_completer.setWidget(self.address)
        self.address_completer.activated[QModelIndex].connect(self._on_address_chosen)
        self.address.textEdited.connect(self._on_address_edited)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(ADDRESS_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._search_address)

        self.stadtteil = QLabel("–", self)
        self.stadtteil.setObjectName("callStadtteil")
        self.stadtteil.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.coordinates = QLabel(self)
        self.coordinates.setObjectName("callCoordinates")
        self.coordinates.setStyleSheet("color: #666;")

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

        # -- inline messages --------------------------------------------------------------------
        self.errors: dict[str, QLabel] = {}
        for name in (
            "category",
            "priority",
            "address",
            "caller_name",
            "caller_phone",
            "description",
        ):
            label = QLabel(self)
            label.setObjectName(f"callError_{name}")
            label.setStyleSheet(ERROR_STYLE)
            label.setWordWrap(True)
            label.hide()
            self.errors[name] = label
        self.message = QLabel(self)
        self.message.setObjectName("callMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.hide()

        # -- buttons ------------------------------------------------------------------------------
        self.save_button = QPushButton(self.tr("Save (Ctrl+Enter)"), self)
        self.save_button.setObjectName("callSave")
        self.dispatch_button = QPushButton(self.tr("Save and dispatch (F9)"), self)
        self.dispatch_button.setObjectName("callSaveDispatch")
        self.cancel_button = QPushButton(self.tr("Cancel (Esc)"), self)
        self.cancel_button.setObjectName("callCancel")
        for button in (self.save_button, self.dispatch_button, self.cancel_button):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.save_button.clicked.connect(lambda: self.save(dispatch=False))
        self.dispatch_button.clicked.connect(lambda: self.save(dispatch=True))
        self.cancel_button.clicked.connect(self.reject)
        for keys in SAVE_KEYS:
            QShortcut(QKeySequence(keys), self, lambda: self.save(dispatch=False))
        for keys in SAVE_AND_DISPATCH_KEYS:
            QShortcut(QKeySequence(keys), self, lambda: self.save(dispatch=True))
        if not ctx.can(Permission.UNIT_ASSIGN):
            self.dispatch_button.setEnabled(False)

        # -- layout ---------------------------------------------------------------------------
        def buddy(text: str, widget: QWidget) -> QLabel:
            label = QLabel(text, self)
            label.setBuddy(widget)
            return label

        grid = QGridLayout()
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
        place.addWidget(self.coordinates)
        place.addStretch(1)
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

        hint = QLabel(
            self.tr(
                "Tab next field · ↓ Enter choose address · Ctrl+Enter save · "
                "F9 save and dispatch · Esc cancel"
            ),
            self,
        )
        hint.setObjectName("callHint")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #666;")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.dispatch_button)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.addLayout(grid, 1)
        layout.addWidget(self.message)
        layout.addWidget(hint)
        layout.addLayout(buttons)

        QWidget.setTabOrder(self.category, self.address)
        QWidget.setTabOrder(self.address, self.caller_name)
        QWidget.setTabOrder(self.caller_name, self.caller_phone)
        QWidget.setTabOrder(self.caller_phone, self.description)
        QWidget.setTabOrder(self.description, self.priority)
        QWidget.setTabOrder(self.priority, self.save_button)
        QWidget.setTabOrder(self.save_button, self.dispatch_button)
        QWidget.setTabOrder(self.dispatch_button, self.cancel_button)

        # Save keys pressed while a completion list is open reach the field, not the shortcut.
        self.address.installEventFilter(self)
        line.installEventFilter(self)
        self.setMinimumWidth(640)
        self.resize(780, 420)
        self.category.setFocus()

    # -- category and priority ---------------------------------------------------------------

    def category_code(self) -> str | None:
        """The chosen category (None while the text matches none)."""
        text = self.category.currentText().strip()
        index = self.category.currentIndex()
        if index >= 0 and self.category.itemText(index) == text:
            return str(self.category.itemData(index))
        code = best_category(text, self._category_labels)
        return code

    def resolve_category(self) -> None:
        """Turn the typed letters into the best-matching category (Tab, Enter, saving)."""
        text = self.category.currentText().strip()
        if not text:
            return
        code = best_category(text, self._category_labels)
        if code is None:
            return
        index = self.category.findData(code)
        if index != self.category.currentIndex():
            self.category.setCurrentIndex(index)
        else:
            self.category.setEditText(self.category.itemText(index))

    def _on_category_changed(self, index: int) -> None:
        self.errors["category"].hide()
        if index < 0 or self._priority_manual:
            return
        category = CATEGORY_BY_CODE.get(str(self.category.itemData(index)))
        if category is not None:
            self.priority.setCurrentIndex(self.priority.findData(category.default_priority))

    def _on_priority_chosen(self, _index: int) -> None:
        self._priority_manual = True
        self.errors["priority"].hide()

    # -- address ------------------------------------------------------------------------------

    @property
    def chosen_address(self) -> Address | None:
        """The gazetteer address chosen for the current text (None for free text)."""
        return self._chosen

    def _on_address_edited(self, text: str) -> None:
        self.errors["address"].hide()
        if self._chosen is not None and text != self._chosen.label:
            self._set_chosen(None)
        self._suggested_for = None
        if text.strip():
            self._debounce.start()
        else:
            self._debounce.stop()
            self._address_model.clear()
            self.address_completer.popup().hide()

    def _search_address(self) -> None:
        self._search_generation += 1
        generation = self._search_generation
        text = self.address.text()
        spawn(self._fetch_suggestions(generation, text))

    async def _fetch_suggestions(self, generation: int, text: str) -> None:
        try:
            found = await self.ctx.services.gazetteer.search(
                self.ctx.actor, text, ADDRESS_SUGGESTIONS
            )
        except KodError as exc:
            # No list while typing is no reason for an error dialog: free text still works.
            found = []
            if generation == self._search_generation and self._chosen is None:
                self.coordinates.setText(
                    self.tr("Address list not available: %1").replace("%1", str(exc))
                )
        if generation != self._search_generation or text != self.address.text():
            return  # the user typed on meanwhile
        self._address_model.clear()
        for address in found:
            item = QStandardItem(address.label)
            item.setData(address, AddressRole)
            item.setEditable(False)
            self._address_model.appendRow(item)
        popup = self.address_completer.popup()
        if found and self.address.hasFocus():
            self.address_completer.complete()
            # Nothing highlighted: Enter keeps the typed text, ↓ goes to the first entry.
            popup.setCurrentIndex(QModelIndex())
        else:
            popup.hide()
        self._suggested_for = text
        self.suggestionsShown.emit()

    def suggestions_ready(self) -> bool:
        """True once the suggestions for the current address text are listed."""
        return self._suggested_for == self.address.text()

    def _on_address_chosen(self, index: QModelIndex) -> None:
        address = index.data(AddressRole)
        if not isinstance(address, Address):
            return
        self._debounce.stop()
        self._search_generation += 1
        self.address.setText(address.label)
        self._set_chosen(address)

    def choose_address(self, address: Address) -> None:
        """Use a gazetteer address (as if chosen from the list)."""
        self.address.setText(address.label)
        self._set_chosen(address)

    def _set_chosen(self, address: Address | None) -> None:
        self._chosen = address
        if address is None:
            self.stadtteil.setText("–")
            self.coordinates.setText(
                self.tr("no coordinates (free text)") if self.address.text().strip() else ""
            )
            return
        self.errors["address"].hide()
        self.stadtteil.setText(stadtteil_for(address.lat, address.lon) or "–")
        self.coordinates.setText(f"{address.lat:.5f} N, {address.lon:.5f} E")

    # -- keys ---------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            # With a completion list open the dialog's shortcuts are not active (the list is
            # the active popup), so the save keys arrive here: close the list and save.
            if _matches(event, SAVE_AND_DISPATCH_KEYS):
                self._close_popups()
                self.save(dispatch=True)
                return True
            if _matches(event, SAVE_KEYS):
                self._close_popups()
                self.save(dispatch=False)
                return True
        return super().eventFilter(watched, event)

    def _close_popups(self) -> None:
        self.address_completer.popup().hide()
        category_completer = self.category.completer()
        if category_completer is not None:
            category_completer.popup().hide()

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
        self._debounce.stop()
        self._search_generation += 1
        self._close_popups()
        self.category.setCurrentIndex(-1)
        self.category.setEditText("")
        self.priority.setCurrentIndex(-1)
        self._priority_manual = False
        self.address.clear()
        self._address_model.clear()
        self._set_chosen(None)
        self.coordinates.clear()
        self.caller_name.clear()
        self.caller_phone.clear()
        self.description.clear()
        self.clear_errors()
        self._set_busy(False)
        self.category.setFocus()

    def clear_errors(self) -> None:
        """Hide every inline message."""
        for label in self.errors.values():
            label.hide()
        self.message.hide()

    def show_error(self, field: str | None, text: str) -> None:
        """Show ``text`` next to ``field`` (or below the form) and put the cursor there."""
        target = {
            "category": self.category,
            "priority": self.priority,
            "address": self.address,
            "lat": self.address,
            "lon": self.address,
            "caller_name": self.caller_name,
            "caller_phone": self.caller_phone,
            "description": self.description,
        }.get(field or "")
        label_key = "address" if field in ("lat", "lon") else field
        if target is None or label_key not in self.errors:
            self.message.setText(text)
            self.message.show()
            return
        self.errors[label_key].setText(text)
        self.errors[label_key].show()
        target.setFocus()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.save_button.setEnabled(not busy)
        self.dispatch_button.setEnabled(not busy and self.ctx.can(Permission.UNIT_ASSIGN))
        self.cancel_button.setEnabled(not busy)

    # -- saving -------------------------------------------------------------------------------

    def draft(self) -> IncidentDraft | None:
        """The incident as entered; None (with an inline message) if the category is missing."""
        self.resolve_category()
        code = self.category_code()
        if code is None:
            text = self.category.currentText().strip()
            self.show_error(
                "category",
                self.tr("No category matches “%1”. Type a few letters of a category.").replace(
                    "%1", text
                )
                if text
                else self.tr("Choose a category: type a few letters of it."),
            )
            return None
        chosen = self._chosen
        priority = self.priority.currentData()
        return IncidentDraft(
            category=code,
            priority=int(priority) if priority is not None else None,
            address=self.address.text().strip(),
            lat=chosen.lat if chosen else None,
            lon=chosen.lon if chosen else None,
            caller_name=self.caller_name.text().strip() or None,
            caller_phone=self.caller_phone.text().strip() or None,
            description=self.description.toPlainText().strip(),
        )

    def save(self, dispatch: bool = False) -> None:
        """Save the incident; with ``dispatch`` open the unit proposals for it afterwards."""
        if self._busy or not self.isVisible():
            return
        self.clear_errors()
        draft = self.draft()
        if draft is None:
            return
        if dispatch and not self.ctx.can(Permission.UNIT_ASSIGN):
            dispatch = False
        self._set_busy(True)
        spawn(self._save(draft, dispatch))

    async def _save(self, draft: IncidentDraft, dispatch: bool) -> None:
        try:
            if draft.lat is None and draft.address:
                draft = await self._geocode_typed(draft)
            detail = await self.ctx.services.incidents.create(self.ctx.actor, draft)
        except ValidationError as exc:
            self._set_busy(False)
            self.show_error(exc.field, str(exc))
            return
        except KodError as exc:
            self._set_busy(False)
            self.show_error(None, str(exc))
            return
        self.reset()
        super().accept()
        self.incidentCreated.emit(detail.id)
        if dispatch:
            self.open_dispatch(detail.id)

    async def _geocode_typed(self, draft: IncidentDraft) -> IncidentDraft:
        """A fully typed address that is in the gazetteer gets its coordinates too."""
        found = await self.ctx.services.gazetteer.search(self.ctx.actor, draft.address, 3)
        typed = fold(" ".join(draft.address.split()))
        for address in found:
            if typed in (fold(address.label), fold(f"{address.street} {address.house_number}")):
                return IncidentDraft(
                    category=draft.category,
                    priority=draft.priority,
                    address=address.label,
                    lat=address.lat,
                    lon=address.lon,
                    caller_name=draft.caller_name,
                    caller_phone=draft.caller_phone,
                    description=draft.description,
                )
        return draft

    def open_dispatch(self, incident_id: int) -> AssignUnitDialog:
        """Show the unit proposals for ``incident_id`` (Enter assigns the first)."""
        parent = self.parentWidget()
        dialog = AssignUnitDialog(self.ctx, incident_id, parent)
        if parent is not None:
            dialog.finished.connect(dialog.deleteLater)
        self.assign_dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        self.dispatchOpened.emit(dialog)
        return dialog

    # -- opening and closing ------------------------------------------------------------------

    def start(self) -> None:
        """Show the form (keeping what is in it) with the cursor in the category."""
        self.show()
        self.raise_()
        self.activateWindow()
        if not self.has_input():
            self.category.setFocus()

    def accept(self) -> None:
        """Enter on a button does not close the form: saving is explicit (Ctrl+Enter)."""
        self.save(dispatch=False)

    def done(self, result: int) -> None:
        """Close; the keyboard goes back to the main window (the queue)."""
        super().done(result)
        parent = self.parentWidget()
        if parent is not None:
            parent.activateWindow()

    def reject(self) -> None:
        """Esc: close; if anything was entered, ask first (default: keep it)."""
        if self._busy or self.confirm_box is not None:
            return
        if not self.has_input():
            self.reset()
            super().reject()
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Discard call"),
            self.tr("Discard this call? What you entered will be lost."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("ConfirmDiscardDialog")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.confirm_box = box

        def done(_result: int) -> None:
            discard = box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
            self.confirm_box = None
            box.deleteLater()
            if discard:
                self.reset()
                QDialog.reject(self)
            else:
                self.activateWindow()

        box.finished.connect(done)
        box.open()


# -- main window integration ------------------------------------------------------------------


class CallTakingActions(QObject):
    """The "Incident" menu: new incident (Ctrl+N, F2) and assign unit (Ctrl+D)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("callTakingActions")
        self.window = window
        self.ctx: UiContext = window.ctx
        self.dialog: CallTakingDialog | None = None
        self.assign_dialog: AssignUnitDialog | None = None
        commands = window.commands
        self.new_action: QAction = commands.bind("incident.new", self.new_incident)
        self.assign_action: QAction = commands.bind("incident.assign", self.assign_selected)
        commands.list_keys("call.save_dispatch", "call.save", "call.pick_address", "call.priority")
        self.menu = commands.menu("incident")
        window.end_warnings.append(self.unsaved_call)

        self.ctx.bridge.changes.connect(self.ctx.services.gazetteer.on_changes)
        if self.ctx.can(Permission.INCIDENT_WRITE):
            # Build the address index now, so the first call does not wait for it.
            spawn(self.ctx.services.gazetteer.index())

    def unsaved_call(self) -> list[str]:
        """A warning before quitting or logging out while the form holds a call."""
        if self.dialog is not None and self.dialog.isVisible() and self.dialog.has_input():
            return [
                QCoreApplication.translate(
                    "CallTaking", "The new-incident form holds a call that is not saved."
                )
            ]
        return []

    def new_incident(self) -> CallTakingDialog:
        """Open (or bring back) the new-incident form."""
        if self.dialog is None:
            self.dialog = CallTakingDialog(self.ctx, self.window)
            self.dialog.incidentCreated.connect(self.select_in_queue)
            self.dialog.dispatchOpened.connect(self._remember_assign)
        self.dialog.start()
        return self.dialog

    def assign_selected(self) -> AssignUnitDialog | None:
        """Open the unit proposals for the incident selected in the queue."""
        incident_id = self.window.queue.selected_id()
        if incident_id is None:
            self.window.statusBar().showMessage(
                QCoreApplication.translate("CallTaking", "Select an incident in the queue first."),
                5000,
            )
            return None
        dialog = AssignUnitDialog(self.ctx, incident_id, self.window)
        dialog.finished.connect(dialog.deleteLater)
        self._remember_assign(dialog)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _remember_assign(self, dialog: object) -> None:
        if isinstance(dialog, AssignUnitDialog):
            self.assign_dialog = dialog
            dialog.finished.connect(lambda _r: self._forget_assign(dialog))

    def _forget_assign(self, dialog: AssignUnitDialog) -> None:
        if self.assign_dialog is dialog:
            self.assign_dialog = None

    def select_in_queue(self, incident_id: int) -> None:
        """Select the new incident in the queue as soon as the live update brought it."""
        self.window.navigator.show_incident(incident_id, focus=False, wait_ms=ARRIVAL_MS)


def install(window: MainWindow) -> CallTakingActions:
    """Add call-taking and unit assignment to the main window (menu "Incident", shortcuts)."""
    return CallTakingActions(window)
