"""The Aufträge pane: list with filter, create/edit dialogs, done, Wiedervorlage; reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtWidgets import QWidget

from app.domain.dto_work import TaskInfo, TaskQuery
from app.platform.errors import KodError
from app.platform.i18n import tr as app_tr
from app.platform.permissions import Permission
from app.platform.timeutil import utcnow
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.dialogs.confirm import ReasonDialog
from ui.dialogs.tasks import FollowUpDialog, TaskDialog, ask_task_done, task_choices
from ui.models.tasks import (
    COL_ADDRESS,
    COL_ASSIGNEE,
    COL_DUE,
    COL_FOLLOW_UP,
    COL_NUMBER,
    COL_STATUS,
    COL_TITLE,
    TaskTableModel,
)
from ui.models.work_table import alive
from ui.views.follow_ups import FollowUpReminder
from ui.views.work_items import FILTER_ALL, WorkItemPane, install_pane

if TYPE_CHECKING:
    from ui.main_window import MainWindow

FILTER_OPEN = "open"
FILTER_DUE = "due"


class TaskPane(WorkItemPane[TaskInfo]):
    """Aufträge: open ones first by due time; new, edit, done, Wiedervorlage."""

    #: Emitted with the id of a saved task (created or changed here).
    taskSaved = QtSignal(int)

    row_type = TaskInfo

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "task", parent)
        self.setObjectName("TaskPane")
        self.model = TaskTableModel(ctx, parent=self)
        self.can_write = ctx.can(Permission.TASK_WRITE)
        #: The Wiedervorlage reminder (set by :func:`install`).
        self.reminder: FollowUpReminder | None = None

        self.filter.addItem(self.tr("Open tasks"), FILTER_OPEN)
        self.filter.addItem(self.tr("Due within 24 hours"), FILTER_DUE)
        self.filter.addItem(self.tr("All tasks"), FILTER_ALL)
        self.search.setPlaceholderText(self.tr("Search number, title, address …"))
        self.count_text = self.tr("%1 tasks")
        self.count_one = self.tr("1 task")
        self.read_only_what = self.tr("change tasks")

        self.new_button = self._button(self.tr("New task …"), "taskNew", self.new_task)
        self.edit_button = self._button(self.tr("Edit …"), "taskEdit", self.edit_selected)
        self.done_button = self._button(self.tr("Done"), "taskDone", self.mark_done)
        self.follow_up_button = self._button(
            self.tr("Follow-up …"), "taskFollowUpButton", self.set_follow_up
        )
        self.cancel_button = self._button(self.tr("Cancel task"), "taskCancel", self.cancel_task)
        self.reopen_button = self._button(self.tr("Reopen"), "taskReopen", self.reopen_task)
        self._build(
            [
                self.new_button,
                self.edit_button,
                self.done_button,
                self.follow_up_button,
                self.cancel_button,
                self.reopen_button,
            ],
            rare=[self.cancel_button, self.reopen_button],
            main_column=COL_TITLE,
            widths=(
                (COL_NUMBER, 115),
                (COL_STATUS, 80),
                (COL_DUE, 135),
                (COL_FOLLOW_UP, 125),
                (COL_ASSIGNEE, 120),
                (COL_ADDRESS, 170),
            ),
        )

    def build_query(self) -> TaskQuery:
        """The query of the filter widgets."""
        kind = self.filter.currentData()
        text = self.search.text().strip()
        if kind == FILTER_ALL:
            return TaskQuery(text=text)
        if kind == FILTER_DUE:
            return TaskQuery(open_only=True, due_before=utcnow() + timedelta(hours=24), text=text)
        return TaskQuery(open_only=True, text=text)

    #: Select a task if it is loaded.
    select_task = WorkItemPane.select_item

    def _enable_actions(self, task: TaskInfo | None) -> None:
        is_open = task is not None and task.is_open
        self.new_button.setEnabled(self.can_write)
        self.edit_button.setEnabled(task is not None)
        self.done_button.setEnabled(self.can_write and is_open)
        self.follow_up_button.setEnabled(self.can_write and is_open)
        self.cancel_button.setEnabled(self.can_write and is_open)
        self.reopen_button.setEnabled(self.can_write and task is not None and not is_open)

    # -- actions -----------------------------------------------------------------------------

    def new_task(self) -> None:
        """Open the dialog for a new Auftrag."""
        if self.can_write:
            spawn(self._open_task_dialog(None))

    def edit_task(self, task: TaskInfo) -> None:
        """Open ``task`` in the dialog (read-only roles see it without saving)."""
        spawn(self._open_task_dialog(task))

    edit_item = edit_task

    def open_task(self, task_id: int) -> None:
        """Select the task (switching the filter if needed) and open it."""

        async def run() -> None:
            task = await self.ctx.services.tasks.get(self.ctx.actor, task_id)
            if not alive(self):
                return
            if not self.select_task(task_id):
                self.show_all()
            await self._open_task_dialog(task)

        spawn(run())

    async def _open_task_dialog(self, task: TaskInfo | None) -> None:
        if self._busy():
            return
        assignees, units = await task_choices(self.ctx)
        if task is not None:
            task = await self.ctx.services.tasks.get(self.ctx.actor, task.id)
        if not alive(self):
            return
        self._show_edit_dialog(TaskDialog(self.ctx, task, assignees, units, parent=self))

    def _announce_saved(self, row: TaskInfo) -> None:
        self.taskSaved.emit(row.id)

    def mark_done(self) -> None:
        """Mark the selected Auftrag done (after a question)."""
        task = self.selected()
        if task is None or not task.is_open or not self.can_write:
            return
        self.confirm(
            lambda: ask_task_done(
                self,
                task,
                lambda: self.act(
                    self.ctx.services.tasks.mark_done(self.ctx.actor, task.id, task.version),
                    self.tr("Task %1 marked done.").replace("%1", task.number),
                ),
            )
        )

    def cancel_task(self) -> None:
        """Cancel the selected Auftrag; the reason is required (stored in the audit record)."""
        task = self.selected()
        if task is None or not task.is_open or not self.can_write or self._busy():
            return
        dialog = ReasonDialog(
            self.tr("Cancel task %1").replace("%1", task.number),
            f"{task.number} – {task.title}",
            self.tr("Why is the task no longer needed?"),
            self.tr("Cancel task"),
            app_tr("tasks", "Give a reason for cancelling the task."),
            self,
        )
        dialog.setObjectName("CancelTaskDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.submitted.connect(lambda reason: spawn(self._cancel(dialog, task, reason)))
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()

    async def _cancel(self, dialog: ReasonDialog, task: TaskInfo, reason: str) -> None:
        try:
            await self.ctx.services.tasks.cancel(self.ctx.actor, task.id, task.version, reason)
        except KodError as exc:
            if alive(dialog) and dialog.isVisible():
                dialog.show_error(str(exc))
            return
        if alive(dialog):
            dialog.accept()
        self.say(self.tr("Task %1 cancelled.").replace("%1", task.number))

    def reopen_task(self) -> None:
        """Open a done or cancelled Auftrag again."""
        task = self.selected()
        if task is not None and not task.is_open and self.can_write:
            spawn(self.ctx.services.tasks.reopen(self.ctx.actor, task.id, task.version))

    def set_follow_up(self) -> None:
        """Set the Wiedervorlage of the selected Auftrag."""
        task = self.selected()
        if task is None or not task.is_open or not self.can_write:
            return
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            return
        self._show_dialog(FollowUpDialog(self.ctx, task, parent=self))


def install(window: MainWindow) -> TaskPane | None:
    """Add the Aufträge pane (bottom), its shortcuts and the Wiedervorlage reminder.

    Roles without access to tasks (data protection, administration) get nothing.
    """
    if not window.ctx.can(Permission.TASK_READ):
        return None
    pane = TaskPane(window.ctx, window)
    install_pane(
        window,
        pane,
        "tasks",
        QCoreApplication.translate("TaskPane", "Tasks"),
        ("task.new", "go.tasks"),
        pane.new_task,
        pane.open_task,
    )
    reminder = FollowUpReminder(window.ctx, window)
    pane.reminder = reminder
    window.commands.bind("task.follow_ups", reminder.show_window)
    reminder.taskRequested.connect(lambda task_id: window.navigator.open("tasks", task_id))
    window.closing.connect(reminder.stop)
    window.when_started(pane.model.reload)
    window.when_started(reminder.start)
    return pane
