"""Wiedervorlage reminders: a small non-modal window pops up when an Auftrag's follow-up is due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.changes import ChangeSet, Entity
from app.domain.dto_work import TaskInfo
from app.platform.permissions import Permission
from app.platform.timeutil import format_local
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.dialogs.tasks import ask_task_done
from ui.models.work_table import alive

CHECK_INTERVAL_MS = 30_000


class FollowUpWindow(QWidget):
    """The reminder: due Aufträge with "open", "later" and "done"."""

    openRequested = Signal(int)
    snoozeRequested = Signal(int, int)  # task id, minutes
    doneRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("FollowUpWindow")
        self.setWindowTitle(self.tr("Follow-ups due"))
        # Popping up must not take the keyboard from a dispatcher in the middle of a call.
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.tasks: list[TaskInfo] = []
        #: The question before "done" (tests reach it here).
        self.confirm_box: QMessageBox | None = None
        self.heading = QLabel(self)
        self.heading.setObjectName("followUpHeading")
        self.heading.setStyleSheet(theme.text_style(bold=True, size_pt=11))
        self.table = QTableWidget(0, 4, self)
        self.table.setObjectName("followUpTable")
        self.table.setHorizontalHeaderLabels(
            [self.tr("No."), self.tr("Task"), self.tr("Remind at"), self.tr("Note")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(lambda _i: self._emit_open())

        self.open_button = QPushButton(self.tr("&Open"), self)
        self.open_button.setObjectName("followUpOpen")
        self.snooze15_button = QPushButton(self.tr("In &15 min"), self)
        self.snooze15_button.setObjectName("followUpSnooze15")
        self.snooze60_button = QPushButton(self.tr("In 1 &hour"), self)
        self.snooze60_button.setObjectName("followUpSnooze60")
        self.done_button = QPushButton(self.tr("&Done"), self)
        self.done_button.setObjectName("followUpDone")
        self.close_button = QPushButton(self.tr("&Close"), self)
        self.close_button.setObjectName("followUpClose")
        self.open_button.clicked.connect(self._emit_open)
        self.snooze15_button.clicked.connect(lambda: self._emit_snooze(15))
        self.snooze60_button.clicked.connect(lambda: self._emit_snooze(60))
        self.done_button.clicked.connect(self._emit_done)
        self.close_button.clicked.connect(self.hide)
        buttons = QHBoxLayout()
        for b in (self.open_button, self.snooze15_button, self.snooze60_button, self.done_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(760, 260)

    def set_tasks(self, tasks: Sequence[TaskInfo]) -> None:
        """Show these due tasks (keeps the selected one selected if it is still there)."""
        selected = self.selected_id()
        self.tasks = list(tasks)
        self.heading.setText(self.tr("%1 follow-up(s) due").replace("%1", str(len(self.tasks))))
        self.table.setRowCount(len(self.tasks))
        for row, t in enumerate(self.tasks):
            note = t.follow_up_note or ""
            for col, text in enumerate((t.number, t.title, format_local(t.follow_up_at), note)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, t.id)
                if col == 1 and t.assignee:
                    item.setToolTip(t.assignee)
                self.table.setItem(row, col, item)
        row = next((i for i, t in enumerate(self.tasks) if t.id == selected), 0)
        if self.tasks:
            self.table.selectRow(row)
        has = bool(self.tasks)
        for b in (self.open_button, self.snooze15_button, self.snooze60_button, self.done_button):
            b.setEnabled(has)

    def selected_id(self) -> int | None:
        """Id of the selected task."""
        row = self.table.currentRow()
        if 0 <= row < len(self.tasks):
            return self.tasks[row].id
        return None

    def select(self, task_id: int) -> None:
        """Select a task in the list."""
        for i, t in enumerate(self.tasks):
            if t.id == task_id:
                self.table.selectRow(i)

    def _emit_open(self) -> None:
        task_id = self.selected_id()
        if task_id is not None:
            self.openRequested.emit(task_id)

    def _emit_snooze(self, minutes: int) -> None:
        task_id = self.selected_id()
        if task_id is not None:
            self.snoozeRequested.emit(task_id, minutes)

    def _emit_done(self) -> None:
        task_id = self.selected_id()
        task = next((t for t in self.tasks if t.id == task_id), None)
        if task is None:
            return
        self.confirm_box = ask_task_done(self, task, lambda: self.doneRequested.emit(task.id))

    def remove(self, task_id: int) -> None:
        """Take a handled task off the list (hide the window when it is empty)."""
        self.set_tasks([t for t in self.tasks if t.id != task_id])
        if not self.tasks:
            self.hide()


class FollowUpReminder(QObject):
    """Checks every 30 s (and when tasks change) for due Wiedervorlagen and pops up a reminder.

    Each follow-up pops up once per due time: closing the window dismisses it, snoozing moves
    the follow-up time (through the service, audited), and the new time pops up again.
    """

    #: The user wants to see this task (connect to the Aufträge pane).
    taskRequested = Signal(int)
    #: Emitted with the newly due tasks whenever the reminder pops up.
    popped = Signal(list)

    def __init__(
        self,
        ctx: UiContext,
        parent_widget: QWidget | None = None,
        interval_ms: int = CHECK_INTERVAL_MS,
    ) -> None:
        super().__init__(parent_widget)
        self._ctx = ctx
        self.window = FollowUpWindow(parent_widget)
        self._shown: set[tuple[int, datetime]] = set()
        self._checking = False
        self._again = False
        self.enabled = ctx.can(Permission.TASK_READ)
        self.can_write = ctx.can(Permission.TASK_WRITE)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        # Changes come in bursts: one check shortly after the last of them.
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(300)
        self._soon.timeout.connect(self.check)
        ctx.bridge.changes.connect(self._on_changes)
        self.window.openRequested.connect(self._open)
        self.window.snoozeRequested.connect(self.snooze)
        self.window.doneRequested.connect(self.done)
        for b in (
            self.window.snooze15_button,
            self.window.snooze60_button,
            self.window.done_button,
        ):
            b.setVisible(self.can_write)

    def start(self) -> None:
        """Check now and then every interval."""
        if not self.enabled or not alive(self._timer):
            return
        self._timer.start()
        self.check()

    def stop(self) -> None:
        """Stop checking and hide the window."""
        self._timer.stop()
        self._soon.stop()
        self.window.hide()

    def _on_changes(self, changes: ChangeSet) -> None:
        if not alive(self._soon):
            return
        if self.enabled and changes.touches(Entity.TASK):
            self._soon.start()

    def check(self) -> None:
        """Look for due follow-ups (in the background)."""
        if not self.enabled:
            return
        if self._checking:
            self._again = True
            return
        self._checking = True
        spawn(self.check_now())

    async def check_now(self) -> list[TaskInfo]:
        """Look for due follow-ups now; returns the ones that popped up."""
        try:
            due = await self._ctx.services.tasks.due_follow_ups(self._ctx.actor)
        finally:
            self._checking = False
        if not alive(self.window):
            return []
        fresh = self.apply(due)
        if self._again:
            self._again = False
            self.check()
        return fresh

    def apply(self, due: Sequence[TaskInfo]) -> list[TaskInfo]:
        """Show ``due``; pop up only if one of them was not shown at this due time before."""
        fresh = [
            t
            for t in due
            if t.follow_up_at is not None and (t.id, t.follow_up_at) not in self._shown
        ]
        if fresh:
            self._shown.update((t.id, t.follow_up_at) for t in fresh if t.follow_up_at)
            self.window.set_tasks(due)
            self.window.select(fresh[0].id)
            self.window.show()
            self.window.raise_()
            self.popped.emit(fresh)
        elif self.window.isVisible():
            # Handled elsewhere (done, snoozed, moved): keep the list true.
            self.window.set_tasks(due)
            if not due:
                self.window.hide()
        else:
            self.window.set_tasks(due)
        return fresh

    def show_window(self) -> None:
        """Show the list of due follow-ups (also when nothing new is due)."""
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()
        self.window.table.setFocus()
        self.check()

    def _open(self, task_id: int) -> None:
        self.taskRequested.emit(task_id)

    def snooze(self, task_id: int, minutes: int) -> None:
        """Remind again ``minutes`` from now."""
        spawn(
            self._ctx.services.tasks.snooze_follow_up(self._ctx.actor, task_id, minutes),
            lambda _t: self._handled(task_id),
        )

    def done(self, task_id: int) -> None:
        """The task is done: no more reminders."""
        spawn(
            self._ctx.services.tasks.mark_done(self._ctx.actor, task_id),
            lambda _t: self._handled(task_id),
        )

    def _handled(self, task_id: int) -> None:
        if alive(self.window):
            self.window.remove(task_id)
