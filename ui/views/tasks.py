"""The Aufträge pane: list with filter, create/edit dialogs, done, Wiedervorlage; reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.dto_work import TaskInfo, TaskQuery
from app.permissions import Permission
from app.timeutil import utcnow
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.dialogs.tasks import FollowUpDialog, TaskDialog
from ui.models.tasks import (
    COL_ADDRESS,
    COL_ASSIGNEE,
    COL_DUE,
    COL_FOLLOW_UP,
    COL_NUMBER,
    COL_STATUS,
    COL_TITLE,
    TaskRole,
    TaskTableModel,
)
from ui.models.work_table import alive
from ui.views.flow_layout import FlowLayout
from ui.views.follow_ups import FollowUpReminder
from ui.views.work_table_view import WorkTableView, fill_menu, more_button

if TYPE_CHECKING:
    from ui.main_window import MainWindow

FILTER_OPEN = "open"
FILTER_DUE = "due"
FILTER_ALL = "all"


class TaskPane(QWidget):
    """Aufträge: open ones first by due time; new, edit, done, Wiedervorlage."""

    #: Emitted with the id of a saved task (created or changed here).
    taskSaved = QtSignal(int)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TaskPane")
        self.ctx = ctx
        self.model = TaskTableModel(ctx, parent=self)
        self.dialog: QDialog | None = None
        self.can_write = ctx.can(Permission.TASK_WRITE)
        #: The Wiedervorlage reminder (set by :func:`install`).
        self.reminder: FollowUpReminder | None = None

        self.filter = QComboBox(self)
        self.filter.setObjectName("taskFilter")
        self.filter.addItem(self.tr("Open tasks"), FILTER_OPEN)
        self.filter.addItem(self.tr("Due within 24 hours"), FILTER_DUE)
        self.filter.addItem(self.tr("All tasks"), FILTER_ALL)
        self.search = QLineEdit(self)
        self.search.setObjectName("taskSearch")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(self.tr("Search number, title, address …"))
        self.count_label = QLabel(self)
        self.count_label.setObjectName("taskCount")

        self.new_button = self._button(self.tr("New task …"), "taskNew", self.new_task)
        self.edit_button = self._button(self.tr("Edit …"), "taskEdit", self.edit_selected)
        self.done_button = self._button(self.tr("Done"), "taskDone", self.mark_done)
        self.follow_up_button = self._button(
            self.tr("Follow-up …"), "taskFollowUpButton", self.set_follow_up
        )
        self.cancel_button = self._button(self.tr("Cancel task"), "taskCancel", self.cancel_task)
        self.reopen_button = self._button(self.tr("Reopen"), "taskReopen", self.reopen_task)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.filter)
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        # Rarer actions sit behind "More" so the row fits a narrow dock with German labels.
        self.more_button = more_button(self, [self.cancel_button, self.reopen_button])
        self.more_button.setObjectName("taskMore")
        buttons = FlowLayout()
        for b in (self.new_button, self.edit_button, self.done_button, self.follow_up_button):
            buttons.addWidget(b)
        buttons.addWidget(self.more_button)

        self.table = WorkTableView(COL_TITLE, 260, self)
        self.table.setObjectName("taskTable")
        self.table.setModel(self.model)
        for col, width in (
            (COL_NUMBER, 115),
            (COL_STATUS, 80),
            (COL_DUE, 135),
            (COL_FOLLOW_UP, 125),
            (COL_ASSIGNEE, 120),
            (COL_ADDRESS, 170),
        ):
            self.table.setColumnWidth(col, width)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.activated.connect(self._on_activated)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.model.loaded.connect(lambda _n: self._update_count())
        self.model.updated.connect(self._update_count)
        self.model.updated.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self.model.dataChanged.connect(lambda *_a: self._update_buttons())
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._update_buttons())
        self._remember: int | None = None
        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.modelReset.connect(self._restore_selection)
        self._update_buttons()

    def _button(self, text: str, name: str, slot: object) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    # -- filter ------------------------------------------------------------------------------

    def build_query(self) -> TaskQuery:
        """The query of the filter widgets."""
        kind = self.filter.currentData()
        text = self.search.text().strip()
        if kind == FILTER_ALL:
            return TaskQuery(text=text)
        if kind == FILTER_DUE:
            return TaskQuery(open_only=True, due_before=utcnow() + timedelta(hours=24), text=text)
        return TaskQuery(open_only=True, text=text)

    def apply_filter(self) -> None:
        """Reload with the filter widgets' query."""
        self._debounce.stop()
        self.model.set_query(self.build_query())

    def show_all(self) -> None:
        """Switch to "all tasks" without search text (to find any task)."""
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.filter.setCurrentIndex(self.filter.findData(FILTER_ALL))
        self.apply_filter()

    def _update_count(self) -> None:
        self.count_label.setText(self.tr("%1 tasks").replace("%1", str(self.model.total)))

    # -- selection ---------------------------------------------------------------------------

    def selected(self) -> TaskInfo | None:
        """The selected task."""
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        value = self.model.data(index, TaskRole)
        return value if isinstance(value, TaskInfo) else None

    def select_task(self, task_id: int) -> bool:
        """Select a task if it is loaded."""
        row = self.model.row_of(task_id)
        if row < 0:
            return False
        index = self.model.index(row, COL_TITLE)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    def focus_table(self) -> None:
        """Keyboard focus on the list (first row if nothing is selected)."""
        self.table.setFocus()
        if not self.table.currentIndex().isValid() and self.model.rowCount() > 0:
            self.table.setCurrentIndex(self.model.index(0, COL_TITLE))

    def _remember_selection(self) -> None:
        task = self.selected()
        self._remember = task.id if task else None

    def _restore_selection(self) -> None:
        if self._remember is not None:
            self.select_task(self._remember)

    def _update_buttons(self) -> None:
        task = self.selected()
        is_open = task is not None and task.is_open
        self.new_button.setEnabled(self.can_write)
        self.edit_button.setEnabled(task is not None)
        self.done_button.setEnabled(self.can_write and is_open)
        self.follow_up_button.setEnabled(self.can_write and is_open)
        self.cancel_button.setEnabled(self.can_write and is_open)
        self.reopen_button.setEnabled(self.can_write and task is not None and not is_open)
        self.more_button.setEnabled(
            self.cancel_button.isEnabled() or self.reopen_button.isEnabled()
        )

    def _on_activated(self, index: QModelIndex) -> None:
        value = self.model.data(index, TaskRole)
        if isinstance(value, TaskInfo):
            self.edit_task(value)

    def _context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        fill_menu(
            menu,
            [
                self.new_button,
                self.edit_button,
                self.done_button,
                self.follow_up_button,
                self.cancel_button,
                self.reopen_button,
            ],
        )
        menu.popup(self.table.viewport().mapToGlobal(pos))

    # -- actions -----------------------------------------------------------------------------

    def new_task(self) -> None:
        """Open the dialog for a new Auftrag."""
        if self.can_write:
            spawn(self._open_task_dialog(None))

    def edit_selected(self) -> None:
        """Open the selected Auftrag."""
        task = self.selected()
        if task is not None:
            self.edit_task(task)

    def edit_task(self, task: TaskInfo) -> None:
        """Open ``task`` in the dialog (read-only roles see it without saving)."""
        spawn(self._open_task_dialog(task))

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
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        assignees = await self.ctx.services.tasks.assignees(self.ctx.actor)
        units = (
            await self.ctx.services.units.board(self.ctx.actor)
            if self.ctx.can(Permission.UNIT_READ)
            else []
        )
        if task is not None:
            task = await self.ctx.services.tasks.get(self.ctx.actor, task.id)
        if not alive(self):
            return
        dialog = TaskDialog(self.ctx, task, assignees, units, parent=self)
        dialog.save_button.setEnabled(self.can_write)
        self._show_dialog(dialog)

    def _show_dialog(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        if hasattr(dialog, "saved"):
            dialog.saved.connect(self._on_saved)
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        self.table.setFocus()

    def _on_saved(self, row: object) -> None:
        if isinstance(row, TaskInfo):
            self.taskSaved.emit(row.id)
            # The change feed brings the row; select it as soon as it is there.
            self._select_when_loaded(row.id)

    def _select_when_loaded(self, task_id: int, tries: int = 20) -> None:
        if self.select_task(task_id) or tries <= 0:
            return
        QTimer.singleShot(100, lambda: self._select_when_loaded(task_id, tries - 1))

    def mark_done(self) -> None:
        """Mark the selected Auftrag done."""
        task = self.selected()
        if task is not None and task.is_open and self.can_write:
            spawn(self.ctx.services.tasks.mark_done(self.ctx.actor, task.id, task.version))

    def cancel_task(self) -> None:
        """Cancel the selected Auftrag."""
        task = self.selected()
        if task is not None and task.is_open and self.can_write:
            spawn(self.ctx.services.tasks.cancel(self.ctx.actor, task.id, task.version))

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
    dock = window.add_pane(
        "tasks",
        QCoreApplication.translate("TaskPane", "Tasks"),
        pane,
        Qt.DockWidgetArea.BottomDockWidgetArea,
    )
    group = QCoreApplication.translate("Shortcuts", "Tasks and reports")

    def focus() -> None:
        dock.show()
        dock.raise_()
        pane.focus_table()

    new = window.shortcuts.add_action(
        window,
        group,
        QCoreApplication.translate("TaskPane", "New task (Auftrag)"),
        "Ctrl+Shift+T",
        "actionNewTask",
    )
    new.setEnabled(pane.can_write)
    new.triggered.connect(lambda: (dock.show(), dock.raise_(), pane.new_task()))
    go = window.shortcuts.add_action(
        window,
        group,
        QCoreApplication.translate("TaskPane", "Go to the tasks"),
        "Ctrl+4",
        "actionFocusTasks",
    )
    go.triggered.connect(focus)
    window.shortcuts.add_info(
        group,
        QCoreApplication.translate("TaskPane", "Enter"),
        QCoreApplication.translate("TaskPane", "Open the selected task or report"),
    )
    window.shortcuts.add_info(
        group,
        QCoreApplication.translate("TaskPane", "Menu key, Shift+F10"),
        QCoreApplication.translate("TaskPane", "All actions for the selected task or report"),
    )

    reminder = FollowUpReminder(window.ctx, window)
    pane.reminder = reminder
    show_reminders = window.shortcuts.add_action(
        window,
        group,
        QCoreApplication.translate("TaskPane", "Show due follow-ups (Wiedervorlage)"),
        "Ctrl+Shift+W",
        "actionShowFollowUps",
    )
    show_reminders.triggered.connect(reminder.show_window)

    def open_from_reminder(task_id: int) -> None:
        dock.show()
        dock.raise_()
        pane.open_task(task_id)

    reminder.taskRequested.connect(open_from_reminder)
    window.closing.connect(reminder.stop)
    QTimer.singleShot(0, pane.model.reload)
    QTimer.singleShot(0, reminder.start)
    return pane
