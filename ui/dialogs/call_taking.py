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

from dataclasses import replace
from itertools import pairwise
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.dto import IncidentDraft
from app.domain.gazetteer import Address
from app.platform.errors import KodError, ValidationError
from app.platform.permissions import Permission
from ui import theme
from ui.asyncutil import spawn
from ui.commands import command_keys
from ui.context import UiContext
from ui.dialogs.assign_unit import AssignUnitDialog
from ui.dialogs.call_form import CallTakingForm
from ui.navigator import ARRIVAL_MS
from ui.widgets.category import best_category, fold
from ui.widgets.keys import matches

if TYPE_CHECKING:  # avoids an import cycle with the main window
    from ui.main_window import MainWindow

__all__ = ["CallTakingActions", "CallTakingDialog", "best_category", "fold", "install"]

SAVE_KEYS = command_keys("call.save")
SAVE_AND_DISPATCH_KEYS = command_keys("call.save_dispatch")


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
        self.form = CallTakingForm(ctx, self)
        form = self.form
        # The form's fields under the names the dialog has always offered.
        self.category = form.category
        self.priority = form.priority
        self.address = form.address
        self.address_completer = form.address.address_completer
        self.stadtteil = form.stadtteil
        self.coordinates = form.coordinates
        self.caller_name = form.caller_name
        self.caller_phone = form.caller_phone
        self.description = form.description
        self.errors = form.errors
        self.message = form.message
        self.address.suggestionsShown.connect(self.suggestionsShown)

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

        hint = QLabel(
            self.tr(
                "Tab next field · ↓ Enter choose address · Ctrl+Enter save · "
                "F9 save and dispatch · Esc cancel"
            ),
            self,
        )
        hint.setObjectName("callHint")
        hint.setWordWrap(True)
        hint.setStyleSheet(theme.hint_style())
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.dispatch_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(form, 1)
        layout.addWidget(self.message)
        layout.addWidget(hint)
        layout.addLayout(buttons)
        chain = [*form.tab_chain(), self.save_button, self.dispatch_button, self.cancel_button]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

        # Save keys pressed while a completion list is open reach the field, not the shortcut.
        self.address.installEventFilter(self)
        line = self.category.lineEdit()
        assert line is not None  # the category box is editable
        line.installEventFilter(self)
        self.setMinimumWidth(640)
        self.resize(780, 420)
        self.category.setFocus()

    # -- the form -----------------------------------------------------------------------------

    def category_code(self) -> str | None:
        """The chosen category (None while the text matches none)."""
        return self.category.code()

    def resolve_category(self) -> None:
        """Turn the typed letters into the best-matching category (Tab, Enter, saving)."""
        self.category.resolve()

    @property
    def chosen_address(self) -> Address | None:
        """The gazetteer address chosen for the current text (None for free text)."""
        return self.address.chosen_address

    def suggestions_ready(self) -> bool:
        """True once the suggestions for the current address text are listed."""
        return self.address.suggestions_ready()

    def choose_address(self, address: Address) -> None:
        """Use a gazetteer address (as if chosen from the list)."""
        self.address.choose_address(address)

    def has_input(self) -> bool:
        """True if anything was entered (then Esc asks before discarding)."""
        return self.form.has_input()

    def reset(self) -> None:
        """Empty form for the next call."""
        self.form.reset()
        self._set_busy(False)

    def clear_errors(self) -> None:
        """Hide every inline message."""
        self.form.messages.clear()

    def show_error(self, field: str | None, text: str) -> None:
        """Show ``text`` next to ``field`` (or below the form) and put the cursor there."""
        self.form.messages.show(text, field)

    def draft(self) -> IncidentDraft | None:
        """The incident as entered; None (with an inline message) if the category is missing."""
        return self.form.draft()

    # -- keys ---------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            # With a completion list open the dialog's shortcuts are not active (the list is
            # the active popup), so the save keys arrive here: close the list and save.
            if matches(event, SAVE_AND_DISPATCH_KEYS):
                self.form.close_popups()
                self.save(dispatch=True)
                return True
            if matches(event, SAVE_KEYS):
                self.form.close_popups()
                self.save(dispatch=False)
                return True
        return super().eventFilter(watched, event)

    # -- saving -------------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.save_button.setEnabled(not busy)
        self.dispatch_button.setEnabled(not busy and self.ctx.can(Permission.UNIT_ASSIGN))
        self.cancel_button.setEnabled(not busy)

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
                return replace(draft, address=address.label, lat=address.lat, lon=address.lon)
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
            # Build the address index before the first call, but after the queue shows its
            # first page: reading every address would hold up the start.
            queue = window.queue.model
            queue.loaded.connect(self._warm_gazetteer, Qt.ConnectionType.SingleShotConnection)

    def _warm_gazetteer(self, _total: int) -> None:
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
