"""The incident detail pane: every field, the journal, the units, closing and reopening.

The pane puts small widgets together – :class:`IncidentHeader`, :class:`IncidentFieldsForm`,
:class:`JournalSection`, :class:`UnitsSection` – and leaves loading, saving and conflicts to
:class:`~ui.incident_session.IncidentEditSession`. What a role may not do is disabled, and the
fields look read-only, with a tooltip saying why.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.dto import IncidentDetail, JournalLine
from app.platform.permissions import Permission
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.dialogs.incident_actions import CloseIncidentDialog, ReopenIncidentDialog
from ui.dialogs.incident_conflict import (
    ConflictDialog,
)
from ui.incident_session import IncidentEditSession
from ui.views.detail_actions import IncidentActionFlows
from ui.views.detail_fields import ChangeNotice, IncidentFieldsForm
from ui.views.detail_header import IncidentHeader
from ui.views.detail_journal import JournalSection
from ui.views.detail_units import UnitsSection
from ui.widgets.readonly import read_only_reason, show_read_only

if TYPE_CHECKING:
    from ui.main_window import MainWindow

log = logging.getLogger(__name__)


class IncidentDetailPane(QWidget):
    """Shows one incident; edits fields, writes notes, moves units, closes and reopens.

    Public API: :meth:`show_incident`, :meth:`save`, :meth:`revert`, :meth:`add_note`,
    :meth:`request_close`, :meth:`request_reopen`, :meth:`focus_note`, :meth:`focus_fields`,
    :meth:`has_unsaved_changes`, :meth:`edited_changes`; :attr:`detail` is the newest state read.
    """

    #: The user asked to assign a unit to this incident (id); the lead wires the assign dialog.
    assign_requested = Signal(int)
    #: A newly selected incident has been loaded and shown (id).
    incidentShown = Signal(int)
    #: Any new state was applied (after load, live refresh, save or action).
    detailChanged = Signal(object)  # IncidentDetail
    #: Field edits were saved.
    saved = Signal(object)  # IncidentDetail
    #: A conflict dialog was opened (tests and the lead's window can look at it).
    conflictShown = Signal(object)  # ConflictDialog
    #: What the actions may do changed (enable/disable shortcuts).
    stateChanged = Signal()
    #: The user kept editing instead of switching to another incident (id still shown).
    switchCancelled = Signal(int)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("IncidentDetailPane")
        self._ctx = ctx
        self.shortcut_actions: dict[str, QAction] = {}
        self._focus_when_shown = False
        #: The assign dialog opened by :func:`open_assign_dialog` (another module's class).
        self.assign_dialog: QDialog | None = None
        self._can_write = ctx.can(Permission.INCIDENT_WRITE)
        self._can_journal = ctx.can(Permission.INCIDENT_JOURNAL)
        self._can_assign = ctx.can(Permission.UNIT_ASSIGN)
        self._no_write = read_only_reason(ctx.actor, self.tr("change incidents"))
        self._no_journal = read_only_reason(ctx.actor, self.tr("write journal notes"))
        self._no_assign = read_only_reason(ctx.actor, self.tr("assign or release units"))

        self.stack = QStackedWidget(self)
        self.placeholder = QLabel(self.tr("Select an incident in the queue."), self)
        self.placeholder.setObjectName("detailPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet(theme.text_style("placeholder"))
        self.stack.addWidget(self.placeholder)
        content = QWidget(self)
        self.stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

        self.header = IncidentHeader(self)
        self.notice = ChangeNotice(self)
        self.fields = IncidentFieldsForm(self)
        self.journal = JournalSection(self)
        self.units = UnitsSection(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("detailSplitter")
        self.splitter.setChildrenCollapsible(False)
        for index, (widget, stretch) in enumerate(
            ((self.fields, 4), (self.journal, 5), (self.units, 3))
        ):
            self.splitter.addWidget(widget)
            self.splitter.setStretchFactor(index, stretch)
        self.splitter.setSizes([440, 540, 420])
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self.header)
        layout.addWidget(self.notice)
        layout.addWidget(self.splitter, 1)
        self._alias_widgets()

        self.session = IncidentEditSession(ctx, self.fields, self.notice, self)
        self.session.applied.connect(self._on_applied)
        self.session.incidentShown.connect(self._on_shown)
        self.session.saved.connect(self.saved)
        self.session.conflictShown.connect(self.conflictShown)
        self.session.busyChanged.connect(self._update_enabled)
        self.session.noteAdded.connect(self._on_note_added)
        self.flows = IncidentActionFlows(ctx, self.session, self)
        self.flows.switchConfirmed.connect(self.session.load)
        self.flows.switchCancelled.connect(self.switchCancelled)
        self.fields.edited.connect(self._on_edited)
        self.fields.save_button.clicked.connect(self.save)
        self.fields.revert_button.clicked.connect(self.revert)
        self.journal.noteRequested.connect(self.add_note)
        self.journal.note_edit.textChanged.connect(self._update_enabled)
        self.units.confirmRequested.connect(self.session.confirm_unit)
        self.units.arriveRequested.connect(self.session.unit_arrived)
        self.units.releaseRequested.connect(self.session.release_unit)
        self.units.assign_button.clicked.connect(self.request_assign)
        self.units.close_button.clicked.connect(self.request_close)
        self.units.reopen_button.clicked.connect(self.request_reopen)
        if not self._can_journal:
            self.journal.note_edit.setPlaceholderText(self._no_journal)
        self._update_enabled()

    def _alias_widgets(self) -> None:
        """The parts' widgets under the names the pane has always offered (tests, shortcuts)."""
        for part, names in (
            (
                self.header,
                "number_label status_label priority_label category_label stadtteil_label "
                "outcome_label address_label coordinates_label created_label "
                "dispatched_label on_scene_label closed_label",
            ),
            (
                self.fields,
                "category_edit priority_edit address_edit caller_name_edit caller_phone_edit "
                "description_edit editors save_button revert_button",
            ),
            (self.journal, "journal_view note_edit note_button"),
            (self.units, "units_area units_grid assign_button close_button reopen_button"),
        ):
            for name in names.split():
                setattr(self, name, getattr(part, name))

    # -- state ----------------------------------------------------------------------------------

    @property
    def incident_id(self) -> int | None:
        """The incident shown (None before the first selection)."""
        return self.session.incident_id

    @property
    def detail(self) -> IncidentDetail | None:
        """The newest state of the shown incident that was read."""
        return self.session.detail

    @property
    def base(self) -> IncidentDetail | None:
        """The state the user's field edits started from (its version is sent on save)."""
        return self.session.base

    @property
    def conflict_dialog(self) -> ConflictDialog | None:
        """The last conflict dialog opened."""
        return self.session.conflict_dialog

    @property
    def switch_box(self) -> QMessageBox | None:
        """The question about unsaved edits (while another incident waits to be shown)."""
        return self.flows.switch_box

    @property
    def close_dialog(self) -> CloseIncidentDialog | None:
        """The last close dialog opened."""
        return self.flows.close_dialog

    @property
    def reopen_dialog(self) -> ReopenIncidentDialog | None:
        """The last reopen dialog opened."""
        return self.flows.reopen_dialog

    @property
    def unit_buttons(self) -> dict[str, QPushButton]:
        """The per-unit buttons by object name (``unitArrive_<id>`` …)."""
        return self.units.unit_buttons

    def is_shown(self) -> bool:
        """True when an incident is loaded and shown."""
        return self.session.is_shown()

    def is_closed(self) -> bool:
        """True when the shown incident is closed."""
        return self.session.is_closed()

    def editor_value(self, field: str) -> Any:
        """What the form shows for ``field`` (as the service would store it)."""
        return self.fields.editor_value(field)

    def edited_changes(self) -> dict[str, Any]:
        """The fields the user changed since :attr:`base`, with their new values."""
        return self.session.edited_changes()

    def has_unsaved_changes(self) -> bool:
        """True while the form holds edits that are not saved."""
        return self.session.has_unsaved_changes()

    def journal_lines(self) -> tuple[JournalLine, ...]:
        """The journal lines shown (oldest first)."""
        return self.detail.journal if self.detail is not None else ()

    def kind_label(self, kind: str) -> str:
        """Label of a journal entry's kind."""
        return self.journal.kind_label(kind)

    # -- loading --------------------------------------------------------------------------------

    def show_incident(self, incident_id: int) -> None:
        """Show an incident; unsaved edits of another one are not dropped without asking."""
        if incident_id == self.session.incident_id:
            self.refresh()
            return
        if self.is_shown() and self.has_unsaved_changes():
            self.flows.ask_before_switch(incident_id)
            return
        self.session.load(incident_id)

    def refresh(self) -> None:
        """Read the shown incident again (live updates call this in batches)."""
        self.session.refresh()

    def apply_detail(self, detail: IncidentDetail, *, replace_fields: bool = False) -> None:
        """Show ``detail``; the user's unsaved field edits are kept."""
        self.session.apply_detail(detail, replace_fields=replace_fields)

    def _on_applied(self, detail: IncidentDetail) -> None:
        self.stack.setCurrentIndex(1)
        self.header.show_detail(detail)
        self.journal.show_journal(detail)
        if self._can_journal:
            self.journal.set_closed(self.is_closed())
        self.units.show_units(detail, self._can_assign, self._no_assign)
        self._update_enabled()
        self.detailChanged.emit(detail)

    def _on_shown(self, incident_id: int) -> None:
        if self._focus_when_shown:
            self.focus_fields()
        self.incidentShown.emit(incident_id)

    # -- enabling -------------------------------------------------------------------------------

    def _on_edited(self) -> None:
        self.fields.mark_modified(self.edited_changes())
        self._update_enabled()

    def _update_enabled(self) -> None:
        shown = self.is_shown()
        closed = self.is_closed()
        dirty = shown and self.has_unsaved_changes()
        saving = self.session.saving
        self.fields.set_state(shown, self._can_write, self._no_write)
        self.fields.save_button.setEnabled(dirty and self._can_write and not saving)
        self.fields.revert_button.setEnabled(shown and (dirty or self.notice.isVisible()))
        show_read_only(self.journal.note_edit, not self._can_journal, self._no_journal)
        self.journal.note_edit.setEnabled(shown and self._can_journal)
        self.journal.note_button.setEnabled(
            shown
            and self._can_journal
            and not self.session.note_busy
            and bool(self.journal.note_edit.toPlainText().strip())
        )
        self.units.assign_button.setEnabled(shown and not closed and self._can_assign)
        self.units.close_button.setEnabled(shown and not closed and self._can_write)
        self.units.reopen_button.setEnabled(shown and closed and self._can_write)
        for button, allowed, reason in (
            (self.fields.save_button, self._can_write, self._no_write),
            (self.journal.note_button, self._can_journal, self._no_journal),
            (self.units.assign_button, self._can_assign, self._no_assign),
            (self.units.close_button, self._can_write, self._no_write),
            (self.units.reopen_button, self._can_write, self._no_write),
        ):
            if not allowed:
                button.setToolTip(reason)
        self.stateChanged.emit()

    # -- actions --------------------------------------------------------------------------------

    def save(self) -> None:
        """Save the changed fields (Ctrl+S); a stale version opens the conflict dialog."""
        self.session.save()

    def revert(self) -> None:
        """Discard the user's field edits and show the newest data."""
        self.session.revert()

    def add_note(self) -> None:
        """Append the note field's text to the journal (Ctrl+Enter); notes never conflict.

        On a closed incident the note is journaled as written after closing."""
        self.session.add_note(self.journal.note_edit.toPlainText())

    def _on_note_added(self, text: str) -> None:
        if self.journal.note_edit.toPlainText() == text:
            self.journal.note_edit.clear()

    def request_assign(self) -> None:
        """Ask for the assign dialog (wired by :func:`install`)."""
        if self.is_shown() and not self.is_closed() and self.incident_id is not None:
            self.assign_requested.emit(self.incident_id)

    def unit_arrived(self, unit_id: int) -> None:
        """The unit reports on scene (status 4)."""
        self.session.unit_arrived(unit_id)

    def release_unit(self, unit_id: int, new_status: str) -> None:
        """Release a unit from the incident to status 1 or 2."""
        self.session.release_unit(unit_id, new_status)

    def request_close(self) -> None:
        """Open the close dialog (Ctrl+E); unsaved field edits are saved first."""
        if self.is_shown() and not self.is_closed() and self._can_write:
            spawn(self.flows.close_flow())

    def request_reopen(self) -> None:
        """Open the reopen dialog (a reason is required)."""
        if self.is_shown() and self.is_closed() and self._can_write:
            self.flows.reopen_flow()

    # -- focus ----------------------------------------------------------------------------------

    def focus_note(self) -> None:
        """Put the cursor into the note field."""
        if self.is_shown():
            self.journal.note_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_fields(self) -> None:
        """Put the cursor into the first field (for read-only roles the note field or journal).

        While the incident is still loading, the cursor goes there once it is shown.
        """
        if not self.is_shown():
            self._focus_when_shown = self.incident_id is not None
            return
        self._focus_when_shown = False
        target: QWidget = self.fields.category_edit
        if not self._can_write:
            target = self.journal.note_edit if self._can_journal else self.journal.journal_view
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)


def open_assign_dialog(window: MainWindow, pane: IncidentDetailPane, incident_id: int) -> bool:
    """Open the assign dialog for ``incident_id`` (False if that module is not installed)."""
    try:
        from ui.dialogs.assign_unit import AssignUnitDialog
    except ImportError:
        log.warning("ui.dialogs.assign_unit is missing: cannot assign from the detail pane")
        return False
    dialog = AssignUnitDialog(window.ctx, incident_id, window)
    dialog.assigned.connect(lambda _incident, _unit: pane.refresh())
    dialog.finished.connect(dialog.deleteLater)
    pane.assign_dialog = dialog
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return True


def install(window: MainWindow) -> IncidentDetailPane:
    """Add the detail pane below the queue, follow the queue selection, register shortcuts."""
    pane = IncidentDetailPane(window.ctx, window)
    window.add_pane(
        "detail",
        QCoreApplication.translate("IncidentDetailPane", "Incident detail"),
        pane,
        Qt.DockWidgetArea.BottomDockWidgetArea,
    )
    window.queue.incidentSelected.connect(pane.show_incident)
    pane.switchCancelled.connect(window.queue.select_incident)
    navigator = window.navigator
    navigator.add_pane("detail", pane.focus_fields)

    def activated(incident_id: int) -> None:
        # Enter in the queue: show the incident and put the cursor into its first field.
        pane.show_incident(incident_id)
        navigator.go_to("detail")

    window.queue.incidentActivated.connect(activated)
    pane.assign_requested.connect(lambda incident_id: open_assign_dialog(window, pane, incident_id))

    def focus_note() -> None:
        navigator.reveal("detail")
        pane.focus_note()

    commands = window.commands
    shown = pane.is_shown
    save = commands.bind(
        "detail.save", pane.save, lambda: shown() and pane.fields.save_button.isEnabled()
    )
    note = commands.bind("detail.note", focus_note, shown)
    close = commands.bind(
        "detail.close", pane.request_close, lambda: shown() and pane.units.close_button.isEnabled()
    )
    focus = commands.bind("go.detail", lambda: navigator.go_to("detail"), shown)
    commands.bind("detail.confirm_unit", pane.units.confirm_first, shown)
    commands.list_keys("detail.add_note")
    window.end_warnings.append(
        lambda: (
            [
                QCoreApplication.translate(
                    "IncidentDetailPane", "The incident detail has changes that are not saved."
                )
            ]
            if pane.has_unsaved_changes()
            else []
        )
    )
    update_actions = commands.update
    pane.stateChanged.connect(update_actions)
    update_actions()
    pane.shortcut_actions.update(save=save, note=note, close=close, focus=focus)
    return pane
