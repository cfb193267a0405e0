"""The incident detail pane: every field, the journal, the units, closing and reopening.

Edits are saved with the version they started from; when someone else changed the incident in
the meantime the service refuses (``ConflictError``) and :class:`ConflictDialog` shows both
sides. Live changes from other workstations refresh the journal, units and header at once, but
never overwrite what the user is typing.
"""

from __future__ import annotations

import contextlib
import html
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.domain.codes import (
    CATEGORIES,
    IncidentStatus,
    category_label,
    outcome_label,
    priority_label,
    status_label,
)
from app.domain.dto import ChangeBatch, IncidentDetail, JournalLine
from app.platform.errors import ConflictError, ValidationError
from app.platform.permissions import Permission
from app.platform.timeutil import format_local, local, utcnow
from app.services.incidents import field_label
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.dialogs.incident_actions import CloseIncidentDialog, ReopenIncidentDialog
from ui.dialogs.incident_conflict import (
    CONTEXT_FIELDS,
    DETAIL_FIELDS,
    ConflictDialog,
    changed_fields,
    normalized,
)
from ui.models.incident_queue import PRIORITY_COLOURS, format_duration

if TYPE_CHECKING:
    from ui.main_window import MainWindow

log = logging.getLogger(__name__)

NOTICE_STYLE = "background: #fff3c4; color: #4a3b00; border: 1px solid #e0c050; padding: 4px;"
NOTE_BACKGROUND = "#e6f0fb"
MODIFIED_STYLE = "background: #fff8d6;"


def _retire(dialog: QWidget | None) -> None:
    """Delete a finished dialog once the next one of its kind replaces it."""
    if dialog is not None:
        with contextlib.suppress(RuntimeError):  # already gone with its parent
            dialog.deleteLater()


def _freshness(detail: IncidentDetail) -> tuple[int, int]:
    """Order of two reads of one incident: the version, then the newest journal line."""
    return (detail.version, max((j.id for j in detail.journal), default=0))


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
        self._incident_id: int | None = None
        self._detail: IncidentDetail | None = None  # newest state read
        self._base: IncidentDetail | None = None  # state the field edits started from
        self._journal_key: tuple[int, int, int] | None = None
        self.shortcut_actions: dict[str, QAction] = {}
        self._filling = False
        self._saving = False
        self._note_busy = False
        self._focus_when_shown = False
        self._pending_switch: int | None = None
        self.switch_box: QMessageBox | None = None
        self.conflict_dialog: ConflictDialog | None = None
        self.close_dialog: CloseIncidentDialog | None = None
        self.reopen_dialog: ReopenIncidentDialog | None = None
        #: The assign dialog opened by :func:`open_assign_dialog` (another module's class).
        self.assign_dialog: QDialog | None = None
        self._can_write = ctx.can(Permission.INCIDENT_WRITE)
        self._can_journal = ctx.can(Permission.INCIDENT_JOURNAL)
        self._can_assign = ctx.can(Permission.UNIT_ASSIGN)

        self.stack = QStackedWidget(self)
        self.placeholder = QLabel(self.tr("Select an incident in the queue."), self)
        self.placeholder.setObjectName("detailPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #777;")
        self.stack.addWidget(self.placeholder)
        content = QWidget(self)
        self.stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addLayout(self._build_header())
        self.notice = QLabel(self)
        self.notice.setObjectName("detailNotice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(NOTICE_STYLE)
        self.notice.hide()
        layout.addWidget(self.notice)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("detailSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self._build_fields())
        self.splitter.addWidget(self._build_journal())
        self.splitter.addWidget(self._build_units())
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setStretchFactor(2, 3)
        self.splitter.setSizes([440, 540, 420])
        layout.addWidget(self.splitter, 1)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(100)
        self._refresh_timer.timeout.connect(self.refresh)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._tick_times)
        self._tick.start()
        ctx.bridge.changes.connect(self.on_changes)
        self._update_enabled()

    # -- building -------------------------------------------------------------------------------

    def _build_header(self) -> QVBoxLayout:
        self.number_label = QLabel(self)
        self.number_label.setObjectName("detailNumber")
        self.number_label.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("detailStatus")
        self.priority_label = QLabel(self)
        self.priority_label.setObjectName("detailPriority")
        self.category_label = QLabel(self)
        self.category_label.setObjectName("detailCategory")
        self.category_label.setStyleSheet("font-weight: bold;")
        self.stadtteil_label = QLabel(self)
        self.stadtteil_label.setObjectName("detailStadtteil")
        self.outcome_label = QLabel(self)
        self.outcome_label.setObjectName("detailOutcome")
        self.outcome_label.setWordWrap(True)
        top = QHBoxLayout()
        top.setSpacing(10)
        for w in (
            self.number_label,
            self.priority_label,
            self.status_label,
            self.category_label,
            self.stadtteil_label,
        ):
            top.addWidget(w)
        top.addWidget(self.outcome_label, 1)

        self.created_label = QLabel(self)
        self.created_label.setObjectName("detailCreated")
        self.dispatched_label = QLabel(self)
        self.dispatched_label.setObjectName("detailDispatched")
        self.on_scene_label = QLabel(self)
        self.on_scene_label.setObjectName("detailOnScene")
        self.closed_label = QLabel(self)
        self.closed_label.setObjectName("detailClosed")
        times = QHBoxLayout()
        times.setSpacing(18)
        for w in (self.created_label, self.dispatched_label, self.on_scene_label):
            times.addWidget(w)
        times.addWidget(self.closed_label, 1)
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addLayout(top)
        box.addLayout(times)
        return box

    def _build_fields(self) -> QWidget:
        group = QGroupBox(self.tr("Incident data"), self)
        group.setObjectName("detailFields")
        self.category_edit = QComboBox(group)
        self.category_edit.setObjectName("detailCategoryEdit")
        # Long German category names must not dictate the pane's minimum width.
        self.category_edit.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.category_edit.setMinimumContentsLength(14)
        for cat in sorted(CATEGORIES, key=lambda c: c.label):
            self.category_edit.addItem(cat.label, cat.code)
        self.priority_edit = QComboBox(group)
        self.priority_edit.setObjectName("detailPriorityEdit")
        for p in (1, 2, 3):
            self.priority_edit.addItem(priority_label(p), p)
        self.address_edit = QLineEdit(group)
        self.address_edit.setObjectName("detailAddressEdit")
        self.caller_name_edit = QLineEdit(group)
        self.caller_name_edit.setObjectName("detailCallerNameEdit")
        self.caller_phone_edit = QLineEdit(group)
        self.caller_phone_edit.setObjectName("detailCallerPhoneEdit")
        self.description_edit = QPlainTextEdit(group)
        self.description_edit.setObjectName("detailDescriptionEdit")
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setMinimumHeight(48)
        self.editors: dict[str, QWidget] = {
            "category": self.category_edit,
            "priority": self.priority_edit,
            "address": self.address_edit,
            "caller_name": self.caller_name_edit,
            "caller_phone": self.caller_phone_edit,
            "description": self.description_edit,
        }
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(3)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        for key, editor in self.editors.items():
            form.addRow(field_label(key), editor)
        self.category_edit.currentIndexChanged.connect(self._on_edited)
        self.priority_edit.currentIndexChanged.connect(self._on_edited)
        for line in (self.address_edit, self.caller_name_edit, self.caller_phone_edit):
            line.textEdited.connect(self._on_edited)
        self.description_edit.textChanged.connect(self._on_edited)

        self.save_button = QPushButton(self.tr("Save"), group)
        self.save_button.setObjectName("detailSave")
        self.save_button.setToolTip(self.tr("Save the changed fields (Ctrl+S)"))
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton(self.tr("Revert"), group)
        self.revert_button.setObjectName("detailRevert")
        self.revert_button.setToolTip(self.tr("Discard your changes and show the current data"))
        self.revert_button.clicked.connect(self.revert)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(group)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(form, 1)
        layout.addLayout(buttons)
        return group

    def _build_journal(self) -> QWidget:
        group = QGroupBox(self.tr("Journal"), self)
        group.setObjectName("detailJournal")
        group.setMinimumWidth(340)  # multi-line journal text stays readable
        self.journal_view = QTextBrowser(group)
        self.journal_view.setObjectName("journalView")
        self.journal_view.setOpenLinks(False)
        self.journal_view.setMinimumHeight(80)
        self.note_edit = QPlainTextEdit(group)
        self.note_edit.setObjectName("noteEdit")
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setPlaceholderText(self.tr("Note for the journal – Ctrl+Enter adds it"))
        self.note_edit.setFixedHeight(52)
        self.note_edit.installEventFilter(self)
        self.note_edit.textChanged.connect(self._update_enabled)
        self.note_button = QPushButton(self.tr("Add note"), group)
        self.note_button.setObjectName("addNoteButton")
        self.note_button.setToolTip(self.tr("Add the note to the journal (Ctrl+Enter)"))
        self.note_button.clicked.connect(self.add_note)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_edit, 1)
        note_row.addWidget(self.note_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(group)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.journal_view, 1)
        layout.addLayout(note_row)
        return group

    def _build_units(self) -> QWidget:
        group = QGroupBox(self.tr("Units"), self)
        group.setObjectName("detailUnits")
        self.units_area = QScrollArea(group)
        self.units_area.setObjectName("detailUnitsArea")
        self.units_area.setWidgetResizable(True)
        self.units_area.setFrameShape(QFrame.Shape.NoFrame)
        self.units_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.units_host = QWidget()
        self.units_grid = QGridLayout(self.units_host)
        self.units_grid.setContentsMargins(0, 0, 0, 0)
        self.units_grid.setVerticalSpacing(2)
        self.units_area.setWidget(self.units_host)
        self.unit_buttons: dict[str, QPushButton] = {}
        # The per-unit buttons must stay reachable: the column is never narrower than one row.
        probe = [
            QPushButton(text).sizeHint().width()
            for text in (self.tr("On scene (4)"), self.tr("Release → 1"), self.tr("Release → 2"))
        ]
        self.units_area.setMinimumWidth(sum(probe) + 3 * 8)

        self.assign_button = QPushButton(self.tr("Assign unit …"), group)
        self.assign_button.setObjectName("detailAssign")
        self.assign_button.clicked.connect(self.request_assign)
        self.close_button = QPushButton(self.tr("Close incident …"), group)
        self.close_button.setObjectName("detailClose")
        self.close_button.setToolTip(self.tr("Close with an outcome (Ctrl+E)"))
        self.close_button.clicked.connect(self.request_close)
        self.reopen_button = QPushButton(self.tr("Reopen …"), group)
        self.reopen_button.setObjectName("detailReopen")
        self.reopen_button.clicked.connect(self.request_reopen)
        actions = QGridLayout()
        actions.addWidget(self.assign_button, 0, 0, 1, 2)
        actions.addWidget(self.close_button, 1, 0)
        actions.addWidget(self.reopen_button, 1, 1)
        layout = QVBoxLayout(group)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.units_area, 1)
        layout.addLayout(actions)
        return group

    # -- state ----------------------------------------------------------------------------------

    @property
    def incident_id(self) -> int | None:
        """The incident shown (None before the first selection)."""
        return self._incident_id

    @property
    def detail(self) -> IncidentDetail | None:
        """The newest state of the shown incident that was read."""
        return self._detail

    @property
    def base(self) -> IncidentDetail | None:
        """The state the user's field edits started from (its version is sent on save)."""
        return self._base

    def is_shown(self) -> bool:
        """True when an incident is loaded and shown."""
        return self._detail is not None and self._detail.id == self._incident_id

    def is_closed(self) -> bool:
        """True when the shown incident is closed."""
        return self._detail is not None and self._detail.status == IncidentStatus.CLOSED

    def editor_value(self, field: str) -> Any:
        """What the form shows for ``field`` (as the service would store it)."""
        editor = self.editors[field]
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QLineEdit):
            return editor.text()
        assert isinstance(editor, QPlainTextEdit)
        return editor.toPlainText()

    def edited_changes(self) -> dict[str, Any]:
        """The fields the user changed since :attr:`base`, with their new values."""
        if self._base is None:
            return {}
        changes: dict[str, Any] = {}
        for f in DETAIL_FIELDS:
            mine = normalized(f, self.editor_value(f))
            if mine != normalized(f, getattr(self._base, f)):
                changes[f] = mine
        return changes

    def has_unsaved_changes(self) -> bool:
        """True while the form holds edits that are not saved."""
        return bool(self.edited_changes())

    # -- loading --------------------------------------------------------------------------------

    def show_incident(self, incident_id: int) -> None:
        """Show an incident; unsaved edits of another one are not dropped without asking."""
        if incident_id == self._incident_id:
            self.refresh()
            return
        if self.is_shown() and self.has_unsaved_changes():
            self._ask_before_switch(incident_id)
            return
        self._load(incident_id)

    def _load(self, incident_id: int) -> None:
        self._incident_id = incident_id
        self._detail = None
        self._base = None
        self.notice.hide()
        self.refresh()

    def refresh(self) -> None:
        """Read the shown incident again (live updates call this in batches)."""
        if self._incident_id is None:
            return
        spawn(
            self._ctx.services.incidents.get(self._ctx.actor, self._incident_id),
            on_done=self._fetched,
        )

    def _fetched(self, detail: IncidentDetail) -> None:
        if detail.id != self._incident_id:
            return  # another incident was selected meanwhile
        first = self._detail is None
        self.apply_detail(detail)
        if first:
            if self._focus_when_shown:
                self.focus_fields()
            self.incidentShown.emit(detail.id)

    def on_changes(self, batch: ChangeBatch) -> None:
        """Changes from any workstation: refresh soon if the shown incident is among them."""
        if self._incident_id is None:
            return
        for change in batch.changes:
            if change.entity == "incident" and change.entity_id == self._incident_id:
                if not self._refresh_timer.isActive():
                    self._refresh_timer.start()
                return

    def apply_detail(self, detail: IncidentDetail, *, replace_fields: bool = False) -> None:
        """Show ``detail``; the user's unsaved field edits are kept (see module docstring)."""
        if detail.id != self._incident_id:
            return
        if (
            self._detail is not None
            and self._detail.id == detail.id
            and _freshness(detail) < _freshness(self._detail)
        ):
            detail = self._detail  # an older read finished late: keep the newer state
        self._detail = detail
        self.stack.setCurrentIndex(1)
        self._update_header()
        self._update_journal()
        self._update_units()
        if self._saving:
            pass  # the save decides about the fields when it returns
        elif replace_fields or self._base is None or not self.has_unsaved_changes():
            self._base = detail
            self._fill_fields(detail)
            self.notice.hide()
        else:
            theirs = changed_fields(self._base, detail)
            if set(theirs) & set(self.edited_changes()):
                # Both changed the same field: keep the old base so that saving shows both.
                self._show_notice(theirs)
            else:
                # Nothing the user is editing was touched (only other fields, units, status or
                # notes): take the new version and show the other fields' new values; the
                # user's edits stay and saving on top of it overwrites nothing of anyone else.
                self._base = detail
                if theirs:
                    self._fill_fields(detail, theirs)
                    self._show_notice(theirs, taken_over=True)
        self._update_enabled()
        self.detailChanged.emit(detail)

    def _fill_fields(self, detail: IncidentDetail, fields: list[str] | None = None) -> None:
        """Put ``detail``'s values into the form (all fields, or only ``fields``)."""
        wanted = set(DETAIL_FIELDS if fields is None else fields)
        self._filling = True
        try:
            if "category" in wanted:
                self.category_edit.setCurrentIndex(self.category_edit.findData(detail.category))
                if self.category_edit.currentIndex() < 0:
                    # An unknown (retired) code stays visible instead of becoming another one.
                    self.category_edit.addItem(detail.category, detail.category)
                    self.category_edit.setCurrentIndex(self.category_edit.count() - 1)
            if "priority" in wanted:
                index = self.priority_edit.findData(detail.priority)
                self.priority_edit.setCurrentIndex(max(0, index))
            for key, line in (
                ("address", self.address_edit),
                ("caller_name", self.caller_name_edit),
                ("caller_phone", self.caller_phone_edit),
            ):
                if key in wanted:
                    line.setText(getattr(detail, key) or "")
                    line.setCursorPosition(0)
            if (
                "description" in wanted
                and self.description_edit.toPlainText() != detail.description
            ):
                self.description_edit.setPlainText(detail.description)
        finally:
            self._filling = False
        self._mark_modified()

    def _show_notice(self, fields: list[str], taken_over: bool = False) -> None:
        names = ", ".join(field_label(f) for f in fields)
        if taken_over:
            text = self.tr(
                "Changed by another workstation: %1 (now shown). Your unsaved changes to other "
                "fields are kept."
            )
        else:
            text = self.tr(
                "Changed by another workstation: %1. Your unsaved input is kept; saving shows "
                "both versions. “Revert” shows the current data."
            )
        self.notice.setText(text.replace("%1", names))
        self.notice.setProperty("conflict", not taken_over)
        self.notice.show()

    # -- header, journal, units -----------------------------------------------------------------

    def _update_header(self) -> None:
        d = self._detail
        if d is None:
            return
        self.number_label.setText(d.number)
        self.status_label.setText(status_label(d.status))
        closed = d.status == IncidentStatus.CLOSED
        self.status_label.setStyleSheet(
            "padding: 1px 6px; border-radius: 3px; "
            + ("background: #d9d9d9; color: #333;" if closed else "background: #dcecdc;")
        )
        colour = PRIORITY_COLOURS.get(d.priority)
        self.priority_label.setText(priority_label(d.priority))
        self.priority_label.setStyleSheet(
            "padding: 1px 6px; border-radius: 3px; border: 1px solid #bbb; "
            + (f"background: {colour.name()};" if colour is not None else "")
            + ("font-weight: bold;" if d.priority == 1 else "")
        )
        self.category_label.setText(category_label(d.category))
        self.stadtteil_label.setText(d.stadtteil or self.tr("District unknown"))
        self.outcome_label.setText(
            self.tr("Outcome: %1").replace("%1", outcome_label(d.outcome)) if d.outcome else ""
        )
        self.outcome_label.setToolTip(d.outcome_note or "")
        self._update_times()

    def _tick_times(self) -> None:
        if self.isVisible() and self._detail is not None and self._detail.closed_at is None:
            self._update_times()

    def _update_times(self) -> None:
        d = self._detail
        if d is None:
            return
        now = utcnow()
        end = d.closed_at or now

        def since(start: Any, until: Any) -> str:
            return format_duration((until - start).total_seconds())

        created = self.tr("Received %1").replace("%1", format_local(d.created_at))
        if d.closed_at is None:
            created += " · " + self.tr("running %1").replace("%1", since(d.created_at, now))
        self.created_label.setText(created)
        if d.dispatched_at is not None:
            text = self.tr("Dispatched %1 (+%2)").replace("%1", format_local(d.dispatched_at))
            self.dispatched_label.setText(text.replace("%2", since(d.created_at, d.dispatched_at)))
        else:
            self.dispatched_label.setText(self.tr("Not dispatched"))
        if d.on_scene_at is not None:
            start = d.dispatched_at or d.created_at
            text = self.tr("On scene %1 (+%2)").replace("%1", format_local(d.on_scene_at))
            self.on_scene_label.setText(text.replace("%2", since(start, d.on_scene_at)))
        elif d.dispatched_at is not None and d.closed_at is None:
            self.on_scene_label.setText(
                self.tr("En route for %1").replace("%1", since(d.dispatched_at, end))
            )
        else:
            self.on_scene_label.setText("")
        if d.closed_at is not None:
            text = self.tr("Closed %1 (total %2)").replace("%1", format_local(d.closed_at))
            self.closed_label.setText(text.replace("%2", since(d.created_at, d.closed_at)))
        else:
            self.closed_label.setText("")

    def kind_label(self, kind: str) -> str:
        """Label of a journal entry's kind."""
        labels = {
            "created": self.tr("Opened"),
            "change": self.tr("Change"),
            "note": self.tr("Note"),
            "unit": self.tr("Unit"),
            "closed": self.tr("Closed"),
            "reopened": self.tr("Reopened"),
        }
        return labels.get(kind, kind)

    def journal_lines(self) -> tuple[JournalLine, ...]:
        """The journal lines shown (oldest first)."""
        return self._detail.journal if self._detail is not None else ()

    def _update_journal(self) -> None:
        d = self._detail
        if d is None:
            return
        bar = self.journal_view.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        key = (d.id, len(d.journal), d.journal[-1].id if d.journal else 0)
        if self._journal_key == key:
            return
        new_incident = self._journal_key is None or self._journal_key[0] != d.id
        self._journal_key = key
        rows = []
        for j in d.journal:
            # Two lines per entry – when, who, what; then the text over the full width – so the
            # text stays readable in a narrow pane.
            note = j.kind == "note"
            style = f' style="background-color: {NOTE_BACKGROUND};"' if note else ""
            colour = "#000" if note else "#333"
            text = html.escape(j.text).replace("\n", "<br/>")
            kind = "font-weight:bold;" if note else ""
            when = local(j.created_at).strftime("%d.%m. %H:%M:%S")
            rows.append(
                f'<tr{style}><td style="color:#555; padding-top:4px;">{when}&nbsp;&nbsp;'
                f"{html.escape(j.username)}&nbsp;&nbsp;"
                f'<span style="{kind}">{html.escape(self.kind_label(j.kind))}</span></td></tr>'
                f'<tr{style}><td style="color:{colour}; padding-left:14px; padding-bottom:4px;">'
                f"{text}</td></tr>"
            )
        self.journal_view.setHtml(
            '<table width="100%" cellspacing="0" cellpadding="2">' + "".join(rows) + "</table>"
        )
        if at_end or new_incident:
            # The document lays out lazily: scroll again once the new height is known.
            bar.setValue(bar.maximum())
            QTimer.singleShot(0, self.scroll_journal_to_end)

    def scroll_journal_to_end(self) -> None:
        """Show the newest journal lines."""
        bar = self.journal_view.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _update_units(self) -> None:
        d = self._detail
        if d is None:
            return
        focused = self.focusWidget()
        focused_name = focused.objectName() if focused in self.unit_buttons.values() else ""
        while self.units_grid.count():
            item = self.units_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.unit_buttons = {}
        active = d.active_assignments
        released = [a for a in d.assignments if a.released_at is not None]
        if not d.assignments:
            empty = QLabel(self.tr("No unit assigned."), self.units_host)
            empty.setObjectName("detailNoUnits")
            empty.setStyleSheet("color: #777;")
            self.units_grid.addWidget(empty, 0, 0, 1, 2)
        row = 0
        for a in active:
            name = QLabel(f"<b>{html.escape(a.call_sign)}</b>", self.units_host)
            if a.on_scene_at is not None:
                state = self.tr("4 on scene since %1").replace(
                    "%1", local(a.on_scene_at).strftime("%H:%M")
                )
            else:
                state = self.tr("3 en route since %1").replace(
                    "%1", local(a.assigned_at).strftime("%H:%M")
                )
            state_label = QLabel(state, self.units_host)
            state_label.setObjectName(f"unitState_{a.unit_id}")
            arrive = QPushButton(self.tr("On scene (4)"), self.units_host)
            arrive.setObjectName(f"unitArrive_{a.unit_id}")
            arrive.setEnabled(self._can_assign and a.on_scene_at is None)
            arrive.clicked.connect(lambda _c=False, u=a.unit_id: self.unit_arrived(u))
            rel1 = QPushButton(self.tr("Release → 1"), self.units_host)
            rel1.setObjectName(f"unitRelease1_{a.unit_id}")
            rel1.setToolTip(self.tr("Release the unit: available on radio (status 1)"))
            rel1.clicked.connect(lambda _c=False, u=a.unit_id: self.release_unit(u, "1"))
            rel2 = QPushButton(self.tr("Release → 2"), self.units_host)
            rel2.setObjectName(f"unitRelease2_{a.unit_id}")
            rel2.setToolTip(self.tr("Release the unit: available at the station (status 2)"))
            rel2.clicked.connect(lambda _c=False, u=a.unit_id: self.release_unit(u, "2"))
            for b in (rel1, rel2):
                b.setEnabled(self._can_assign)
            for b in (arrive, rel1, rel2):
                b.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
                self.unit_buttons[b.objectName()] = b
            buttons = QWidget(self.units_host)
            button_row = QHBoxLayout(buttons)
            button_row.setContentsMargins(0, 0, 0, 6)
            for b in (arrive, rel1, rel2):
                button_row.addWidget(b)
            button_row.addStretch(1)
            self.units_grid.addWidget(name, row, 0)
            self.units_grid.addWidget(state_label, row, 1)
            self.units_grid.addWidget(buttons, row + 1, 0, 1, 2)
            row += 2
        for a in released:
            assert a.released_at is not None
            label = QLabel(
                self.tr("%1 released %2")
                .replace("%1", a.call_sign)
                .replace("%2", local(a.released_at).strftime("%H:%M")),
                self.units_host,
            )
            label.setObjectName(f"unitReleased_{a.unit_id}")
            label.setStyleSheet("color: #777;")
            self.units_grid.addWidget(label, row, 0, 1, 2)
            row += 1
        self.units_grid.setColumnStretch(1, 1)
        self.units_grid.setRowStretch(row + 1, 1)
        if focused_name and focused_name in self.unit_buttons:
            button = self.unit_buttons[focused_name]
            if button.isEnabled():
                button.setFocus()

    # -- enabling -------------------------------------------------------------------------------

    def _on_edited(self, *_args: object) -> None:
        if self._filling:
            return
        self._mark_modified()
        self._update_enabled()

    def _mark_modified(self) -> None:
        changes = self.edited_changes()
        for key, editor in self.editors.items():
            editor.setStyleSheet(MODIFIED_STYLE if key in changes else "")

    def _update_enabled(self) -> None:
        shown = self.is_shown()
        closed = self.is_closed()
        dirty = shown and self.has_unsaved_changes()
        for editor in self.editors.values():
            editor.setEnabled(shown)
            if isinstance(editor, QLineEdit | QPlainTextEdit):
                editor.setReadOnly(not self._can_write)
            elif isinstance(editor, QComboBox):
                editor.setEnabled(shown and self._can_write)
        self.save_button.setEnabled(dirty and self._can_write and not self._saving)
        self.revert_button.setEnabled(shown and (dirty or self.notice.isVisible()))
        self.note_edit.setEnabled(shown and self._can_journal)
        self.note_button.setEnabled(
            shown
            and self._can_journal
            and not self._note_busy
            and bool(self.note_edit.toPlainText().strip())
        )
        self.assign_button.setEnabled(shown and not closed and self._can_assign)
        self.close_button.setEnabled(shown and not closed and self._can_write)
        self.reopen_button.setEnabled(shown and closed and self._can_write)
        self.stateChanged.emit()

    # -- switching with unsaved edits -----------------------------------------------------------

    def _ask_before_switch(self, incident_id: int) -> None:
        self._pending_switch = incident_id
        if self.switch_box is not None and self.switch_box.isVisible():
            return
        assert self._detail is not None
        box = QMessageBox(self)
        box.setObjectName("UnsavedChangesDialog")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Unsaved changes"))
        box.setText(
            self.tr("You changed incident %1 without saving. Save the changes?").replace(
                "%1", self._detail.number
            )
        )
        save = box.addButton(self.tr("Save"), QMessageBox.ButtonRole.AcceptRole)
        save.setObjectName("switchSave")
        discard = box.addButton(self.tr("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        discard.setObjectName("switchDiscard")
        keep = box.addButton(self.tr("Keep editing"), QMessageBox.ButtonRole.RejectRole)
        keep.setObjectName("switchKeep")
        box.setDefaultButton(save)
        box.setEscapeButton(keep)

        def chosen(button: object) -> None:
            target = self._pending_switch
            self._pending_switch = None
            if target is None:
                return
            if button is save:
                spawn(self._save_then_switch(target))
            elif button is discard:
                self._load(target)
            elif self._incident_id is not None:
                self.switchCancelled.emit(self._incident_id)

        box.buttonClicked.connect(chosen)
        self.switch_box = box
        box.open()

    async def _save_then_switch(self, target: int) -> None:
        if await self._save_async():
            self._load(target)
        elif self._incident_id is not None:
            self.switchCancelled.emit(self._incident_id)

    # -- saving and conflicts -------------------------------------------------------------------

    def save(self) -> None:
        """Save the changed fields (Ctrl+S); a stale version opens the conflict dialog."""
        if not self.is_shown() or self._saving:
            return
        spawn(self._save_async())

    async def _save_async(self) -> bool:
        """Save; True if nothing is left unsaved (False on a conflict or refusal)."""
        changes = self.edited_changes()
        if not changes or self._base is None:
            return True
        self._saving = True
        self._update_enabled()
        try:
            return await self._send(self._base, changes)
        finally:
            self._saving = False
            self._update_enabled()

    async def _send(
        self, base: IncidentDetail, changes: dict[str, Any], replace_fields: bool = False
    ) -> bool:
        svc = self._ctx.services.incidents
        while True:
            try:
                detail = await svc.update(self._ctx.actor, base.id, base.version, changes)
            except ConflictError as exc:
                current = exc.current
                if not isinstance(current, IncidentDetail):
                    current = await svc.get(self._ctx.actor, base.id)
                if not changed_fields(base, current):
                    # Only units, status or notes moved on: nothing of theirs is overwritten.
                    base = current
                    continue
                self._open_conflict(base, current, changes)
                return False
            except ValidationError as exc:
                self._focus_field(exc.field)
                raise
            break
        self._saving = False
        self._base = detail
        self.apply_detail(detail, replace_fields=replace_fields)
        self._mark_modified()
        self.saved.emit(detail)
        return True

    def _focus_field(self, field: str | None) -> None:
        editor = self.editors.get(field or "")
        if editor is not None:
            editor.setFocus()

    def _open_conflict(
        self,
        base: IncidentDetail,
        current: IncidentDetail,
        mine: dict[str, Any],
        action: str | None = None,
        reapply_text: str | None = None,
        reapply: Any = None,
    ) -> ConflictDialog:
        """Show both sides; ``reapply`` (a coroutine factory) replaces the field re-apply."""
        self.apply_detail(current)
        dialog = ConflictDialog(base, current, mine, action, reapply_text, self)
        _retire(self.conflict_dialog)
        self.conflict_dialog = dialog

        def reload() -> None:
            latest = self._detail if self._detail is not None else current
            if _freshness(current) > _freshness(latest):
                latest = current
            self.notice.hide()
            self.apply_detail(latest, replace_fields=True)
            self.refresh()

        def again() -> None:
            if reapply is not None:
                spawn(reapply(current))
            else:
                spawn(self._reapply(current, mine))

        dialog.reloadRequested.connect(reload)
        dialog.reapplyRequested.connect(again)
        dialog.open()
        self.conflictShown.emit(dialog)
        return dialog

    async def _reapply(self, current: IncidentDetail, mine: dict[str, Any]) -> None:
        self._saving = True
        self._update_enabled()
        try:
            # The fields the user did not touch take the current values (someone else's).
            await self._send(current, mine, replace_fields=True)
        finally:
            self._saving = False
            self._update_enabled()

    def revert(self) -> None:
        """Discard the user's field edits and show the newest data."""
        if self._detail is None:
            return
        self.notice.hide()
        self.apply_detail(self._detail, replace_fields=True)
        self.refresh()

    # -- notes ----------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.note_edit
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.add_note()
            return True
        return super().eventFilter(watched, event)

    def add_note(self) -> None:
        """Append the note field's text to the journal (Ctrl+Enter); notes never conflict."""
        if not self.is_shown() or self._note_busy or self._incident_id is None:
            return
        text = self.note_edit.toPlainText()
        self._note_busy = True
        self._update_enabled()
        spawn(self._add_note(self._incident_id, text))

    async def _add_note(self, incident_id: int, text: str) -> None:
        try:
            detail = await self._ctx.services.incidents.add_note(self._ctx.actor, incident_id, text)
        finally:
            self._note_busy = False
            self._update_enabled()
        if self.note_edit.toPlainText() == text:
            self.note_edit.clear()
        self.apply_detail(detail)

    # -- units ----------------------------------------------------------------------------------

    def request_assign(self) -> None:
        """Ask for the assign dialog (wired by :func:`install`)."""
        if self.is_shown() and not self.is_closed() and self._incident_id is not None:
            self.assign_requested.emit(self._incident_id)

    def unit_arrived(self, unit_id: int) -> None:
        """The unit reports on scene (status 4)."""
        if self._incident_id is None:
            return
        spawn(
            self._ctx.services.incidents.unit_arrived(self._ctx.actor, self._incident_id, unit_id),
            on_done=self.apply_detail,
        )

    def release_unit(self, unit_id: int, new_status: str) -> None:
        """Release a unit from the incident to status 1 or 2."""
        if self._incident_id is None:
            return
        spawn(
            self._ctx.services.incidents.release_unit(
                self._ctx.actor, self._incident_id, unit_id, new_status
            ),
            on_done=self.apply_detail,
        )

    # -- closing and reopening ------------------------------------------------------------------

    def request_close(self) -> None:
        """Open the close dialog (Ctrl+E); unsaved field edits are saved first."""
        if not self.is_shown() or self.is_closed() or not self._can_write:
            return
        spawn(self._close_flow())

    async def _close_flow(self) -> None:
        if self.has_unsaved_changes() and not await self._save_async():
            return
        if self._detail is None or self.is_closed():
            return
        dialog = CloseIncidentDialog(self._detail, self)
        _retire(self.close_dialog)
        self.close_dialog = dialog
        base = self._detail
        dialog.submitted.connect(
            lambda outcome, note: spawn(self._do_close(dialog, base, outcome, note))
        )
        dialog.open()

    async def _do_close(
        self, dialog: CloseIncidentDialog | None, base: IncidentDetail, outcome: str, note: str
    ) -> None:
        svc = self._ctx.services.incidents
        while True:
            try:
                detail = await svc.close(self._ctx.actor, base.id, base.version, outcome, note)
            except ConflictError as exc:
                current = exc.current
                if not isinstance(current, IncidentDetail):
                    current = await svc.get(self._ctx.actor, base.id)
                if not changed_fields(base, current, DETAIL_FIELDS + CONTEXT_FIELDS):
                    base = current
                    continue
                if dialog is not None:
                    dialog.accept()
                action = self.tr("close the incident with the outcome “%1”").replace(
                    "%1", outcome_label(outcome)
                )
                self._open_conflict(
                    base,
                    current,
                    {},
                    action,
                    self.tr("Close anyway"),
                    lambda cur: self._do_close(None, cur, outcome, note),
                )
                return
            except ValidationError as exc:
                if dialog is not None and dialog.isVisible():
                    dialog.show_error(str(exc))
                    return
                raise
            break
        if dialog is not None:
            dialog.accept()
        self.apply_detail(detail)

    def request_reopen(self) -> None:
        """Open the reopen dialog (a reason is required)."""
        if not self.is_shown() or not self.is_closed() or not self._can_write:
            return
        assert self._detail is not None
        dialog = ReopenIncidentDialog(self._detail, self)
        _retire(self.reopen_dialog)
        self.reopen_dialog = dialog
        base = self._detail
        dialog.submitted.connect(lambda reason: spawn(self._do_reopen(dialog, base, reason)))
        dialog.open()

    async def _do_reopen(
        self, dialog: ReopenIncidentDialog | None, base: IncidentDetail, reason: str
    ) -> None:
        svc = self._ctx.services.incidents
        while True:
            try:
                detail = await svc.reopen(self._ctx.actor, base.id, base.version, reason)
            except ConflictError as exc:
                current = exc.current
                if not isinstance(current, IncidentDetail):
                    current = await svc.get(self._ctx.actor, base.id)
                if not changed_fields(base, current, DETAIL_FIELDS + CONTEXT_FIELDS):
                    base = current
                    continue
                if dialog is not None:
                    dialog.accept()
                self._open_conflict(
                    base,
                    current,
                    {},
                    self.tr("reopen the incident (reason: %1)").replace("%1", reason),
                    self.tr("Reopen anyway"),
                    lambda cur: self._do_reopen(None, cur, reason),
                )
                return
            except ValidationError as exc:
                if dialog is not None and dialog.isVisible():
                    dialog.show_error(str(exc))
                    return
                raise
            break
        if dialog is not None:
            dialog.accept()
        self.apply_detail(detail)

    # -- focus ----------------------------------------------------------------------------------

    def focus_note(self) -> None:
        """Put the cursor into the note field."""
        if self.is_shown():
            self.note_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_fields(self) -> None:
        """Put the cursor into the first field (or the note field for read-only roles).

        While the incident is still loading, the cursor goes there once it is shown.
        """
        if not self.is_shown():
            self._focus_when_shown = self._incident_id is not None
            return
        self._focus_when_shown = False
        target = self.category_edit if self._can_write else self.note_edit
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
    save = commands.bind("detail.save", pane.save, lambda: shown() and pane.save_button.isEnabled())
    note = commands.bind("detail.note", focus_note, shown)
    close = commands.bind(
        "detail.close", pane.request_close, lambda: shown() and pane.close_button.isEnabled()
    )
    focus = commands.bind("go.detail", lambda: navigator.go_to("detail"), shown)
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
