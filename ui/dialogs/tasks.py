"""Dialogs for Aufträge: create/edit (also from a Meldung) and set the Wiedervorlage."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QMessageBox, QPlainTextEdit, QWidget

from app.domain.codes import unit_status_display
from app.domain.dto import UnitInfo
from app.domain.dto_work import Assignee, ReportInfo, TaskDraft, TaskInfo
from app.platform.permissions import Permission
from app.platform.timeutil import format_local
from app.services.tasks import MAX_NOTE, MAX_TITLE
from ui.context import UiContext
from ui.dialogs.confirm import ask
from ui.dialogs.work_common import WorkFormDialog
from ui.dialogs.work_item import WorkItemDialog
from ui.widgets.address import AddressField, PlaceLabel, address_with_place
from ui.widgets.category import CategoryCombo
from ui.widgets.dates import BerlinDateTimeEdit, OptionalDateTime, next_full_hour, same_minute
from ui.widgets.elide import fit_popup


async def task_choices(ctx: UiContext) -> tuple[list[Assignee], list[UnitInfo]]:
    """Who a task can be assigned to, and the units' board rows (their status shows beside the
    call signs; none for roles that may not see units)."""
    assignees = await ctx.services.tasks.assignees(ctx.actor)
    units = await ctx.services.units.board(ctx.actor) if ctx.can(Permission.UNIT_READ) else []
    return assignees, units


def ask_task_done(parent: QWidget, task: TaskInfo, then: Callable[[], None]) -> QMessageBox:
    """ "Mark task … as done?" – ``then`` runs on yes (the pane and the reminder ask alike)."""
    return ask(
        parent,
        "ConfirmTaskDone",
        QCoreApplication.translate("TaskDialog", "Task done"),
        QCoreApplication.translate("TaskDialog", "Mark task %1 “%2” as done?")
        .replace("%1", task.number)
        .replace("%2", task.title),
        QCoreApplication.translate("TaskDialog", "&Done"),
        then,
    )


#: Fields compared to tell the user what someone else changed.
COMPARED_FIELDS = (
    "title",
    "description",
    "category",
    "address",
    "due_at",
    "follow_up_at",
    "follow_up_note",
    "assigned_unit_id",
    "assigned_user_id",
)


class TaskDialog(WorkItemDialog[TaskInfo]):
    """New or edit an Auftrag; with ``from_report`` it turns that Meldung into the Auftrag."""

    row_type = TaskInfo
    compared_fields = COMPARED_FIELDS

    def __init__(
        self,
        ctx: UiContext,
        task: TaskInfo | None,
        assignees: Sequence[Assignee],
        units: Sequence[UnitInfo] = (),
        from_report: ReportInfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, task, parent)
        self.setObjectName("TaskDialog")
        self.from_report = from_report
        if task is not None:
            self.setWindowTitle(self.tr("Task %1").replace("%1", task.number))
        elif from_report is not None:
            self.setWindowTitle(
                self.tr("New task from report %1").replace("%1", from_report.number)
            )
        else:
            self.setWindowTitle(self.tr("New task"))

        self.title = QLineEdit(self)
        self.title.setObjectName("taskTitle")
        self.title.setMaxLength(MAX_TITLE)
        self.title.setPlaceholderText(self.tr("e.g. patrol the Wiesdorf pedestrian zone"))
        self.category = CategoryCombo(self.tr("– none –"), self)
        self.category.setObjectName("taskCategory")
        self.address = AddressField(ctx, self, full_label=False)
        self.address.setObjectName("taskAddress")
        self.address.setPlaceholderText(self.tr("Street and house number"))
        self.place = PlaceLabel(self.address, self)
        self.place.setObjectName("taskPlace")
        self.due = OptionalDateTime(self.tr("Due by"), self)
        self.due.setObjectName("taskDue")
        self.due.check.setObjectName("taskDueCheck")
        self.due.edit.setObjectName("taskDueEdit")
        self.follow_up = OptionalDateTime(self.tr("Remind at"), self)
        self.follow_up.setObjectName("taskFollowUp")
        self.follow_up.check.setObjectName("taskFollowUpCheck")
        self.follow_up.edit.setObjectName("taskFollowUpEdit")
        self.follow_up_note = QLineEdit(self)
        self.follow_up_note.setObjectName("taskFollowUpNote")
        self.follow_up_note.setMaxLength(MAX_NOTE)
        self.follow_up_note.setPlaceholderText(self.tr("What to check then"))
        self.assignee = QComboBox(self)
        self.assignee.setObjectName("taskAssignee")
        self.assignee.addItem(self.tr("– not assigned –"), None)
        status = {u.id: u.status for u in units}
        for a in assignees:
            if a.kind == "unit":
                text = a.label
                if a.id in status:
                    text = f"{a.label}  ({unit_status_display(status[a.id])})"
            else:
                text = self.tr("%1 (field officer)").replace("%1", a.label)
            self.assignee.addItem(text, f"{a.kind}:{a.id}")
        fit_popup(self.assignee)
        self.description = QPlainTextEdit(self)
        self.description.setObjectName("taskDescription")
        self.description.setMinimumHeight(90)
        self.add_multiline(self.description)

        self.form.addRow(self.tr("&Title:"), self.title)
        self.form.addRow(self.tr("&Category:"), self.category)
        address_label = QLabel(self.tr("&Address:"), self)
        address_label.setBuddy(self.address)
        self.form.addRow(address_label, address_with_place(self.address, self.place))
        self.form.addRow(self.tr("&Due:"), self.due)
        self.form.addRow(self.tr("&Assigned to:"), self.assignee)
        self.form.addRow(self.tr("&Follow-up:"), self.follow_up)
        self.form.addRow(self.tr("&Note:"), self.follow_up_note)
        self.form.addRow(self.tr("&Description:"), self.description)
        if task is not None and task.source_report_number:
            source = QLabel(
                self.tr("From report %1").replace("%1", task.source_report_number), self
            )
            source.setObjectName("taskSourceReport")
            self.form.addRow("", source)
        self.field_widgets = {
            "title": self.title,
            "category": self.category,
            "address": self.address,
            "lat": self.address,
            "due_at": self.due.edit,
            "follow_up_at": self.follow_up.edit,
            "follow_up_note": self.follow_up_note,
            "assigned_unit_id": self.assignee,
            "assigned_user_id": self.assignee,
            "description": self.description,
        }
        self.require("title", self.title, self.tr("Enter a title for the task."))
        self.add_reload_button()
        self.set_tab_order(
            [
                self.title,
                self.category,
                self.address,
                self.due.check,
                self.due.edit,
                self.assignee,
                self.follow_up.check,
                self.follow_up.edit,
                self.follow_up_note,
                self.description,
            ]
        )

        if task is not None:
            self.fill(task)
        elif from_report is not None:
            self.title.setText(from_report.subject)
            self.description.setPlainText(from_report.text)
            self.category.set_code(from_report.category)
            self.address.set_address(from_report.address, from_report.lat, from_report.lon)
            self.due.set_value(None, next_full_hour(24))
            self.follow_up.set_value(None, next_full_hour(24))
        else:
            self.due.set_value(None, next_full_hour(24))
            self.follow_up.set_value(None, next_full_hour(24))
        self.title.setFocus()
        self.resize(max(self.sizeHint().width(), 560), self.sizeHint().height())

    # -- values --------------------------------------------------------------------------------

    def fill(self, task: TaskInfo) -> None:
        """Show the values of ``task``."""
        self.title.setText(task.title)
        self.category.set_code(task.category)
        self.address.set_address(task.address, task.lat, task.lon)
        self.due.set_value(task.due_at, next_full_hour(24))
        self.follow_up.set_value(task.follow_up_at, next_full_hour(24))
        self.follow_up_note.setText(task.follow_up_note or "")
        self.select_assignee(task.assigned_unit_id, task.assigned_user_id)
        self.description.setPlainText(task.description)

    def select_assignee(self, unit_id: int | None, user_id: int | None) -> None:
        """Select the unit (or else the officer) in the choice."""
        if unit_id is not None:
            at = self.assignee.findData(f"unit:{unit_id}")
        elif user_id is not None:
            at = self.assignee.findData(f"user:{user_id}")
        else:
            at = 0
        self.assignee.setCurrentIndex(max(at, 0))

    def assigned(self) -> tuple[int | None, int | None]:
        """(unit id, user id) of the choice."""
        data = self.assignee.currentData()
        if not data:
            return None, None
        kind, _, ident = str(data).partition(":")
        return (int(ident), None) if kind == "unit" else (None, int(ident))

    def values(self) -> dict[str, Any]:
        """The form as task fields."""
        unit_id, user_id = self.assigned()
        coords = self.address.coordinates
        follow_up = self.follow_up.value()
        return {
            "title": self.title.text().strip(),
            "description": self.description.toPlainText().strip(),
            "category": self.category.code(),
            "address": self.address.text().strip(),
            "lat": coords[0] if coords else None,
            "lon": coords[1] if coords else None,
            "due_at": self.due.value(),
            "follow_up_at": follow_up,
            "follow_up_note": (self.follow_up_note.text().strip() or None) if follow_up else None,
            "assigned_unit_id": unit_id,
            "assigned_user_id": user_id,
        }

    def unchanged(self, field: str, old: Any, new: Any) -> bool:
        if field in ("description", "address") and (old or "") == (new or ""):
            return True
        if field in ("due_at", "follow_up_at") and same_minute(old, new):
            return True
        return super().unchanged(field, old, new)

    def changes(self) -> dict[str, Any]:
        """Fields that differ from the version being edited."""
        result = super().changes()
        if "address" not in result and self.address.coordinates is None:
            # Same text as before: keep the stored position unless a new address was chosen.
            result.pop("lat", None)
            result.pop("lon", None)
        return result

    async def create_item(self, values: dict[str, Any]) -> Any:
        services, actor = self._ctx.services, self._ctx.actor
        draft = TaskDraft(**values)
        if self.from_report is not None:
            return await services.reports.convert_to_task(
                actor, self.from_report.id, self.from_report.version, draft
            )
        return await services.tasks.create(actor, draft)

    async def update_item(self, item_id: int, version: int, changes: dict[str, Any]) -> Any:
        return await self._ctx.services.tasks.update(self._ctx.actor, item_id, version, changes)

    def unnamed_change(self) -> str:
        return self.tr("its status")

    def field_labels(self) -> dict[str, str]:
        return {
            "title": self.tr("Title"),
            "description": self.tr("Description"),
            "category": self.tr("Category"),
            "address": self.tr("Address"),
            "due_at": self.tr("Due"),
            "follow_up_at": self.tr("Follow-up"),
            "follow_up_note": self.tr("Note"),
            "assigned_unit_id": self.tr("Assigned to"),
            "assigned_user_id": self.tr("Assigned to"),
        }


class FollowUpDialog(WorkFormDialog):
    """Set (or clear) the Wiedervorlage of one Auftrag."""

    def __init__(self, ctx: UiContext, task: TaskInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("FollowUpDialog")
        self._ctx = ctx
        self.task = task
        self.setWindowTitle(self.tr("Follow-up for %1").replace("%1", task.number))
        self.when = BerlinDateTimeEdit(self)
        self.when.setObjectName("followUpWhen")
        self.when.set_value(task.follow_up_at or next_full_hour(24))
        self.note = QLineEdit(self)
        self.note.setObjectName("followUpNote")
        self.note.setMaxLength(MAX_NOTE)
        self.note.setText(task.follow_up_note or "")
        self.note.setPlaceholderText(self.tr("What to check then"))
        title = QLabel(f"{task.number} – {task.title}", self)
        title.setWordWrap(True)
        self.form.addRow(title)
        self.form.addRow(self.tr("&Remind at:"), self.when)
        self.form.addRow(self.tr("&Note:"), self.note)
        if task.follow_up_at is not None:
            self.form.addRow(
                "",
                QLabel(self.tr("Currently: %1").replace("%1", format_local(task.follow_up_at))),
            )
        self.field_widgets = {"follow_up_at": self.when, "follow_up_note": self.note}
        self.clear_button = self.add_extra_button(self.tr("&Remove follow-up"), "clearFollowUp")
        self.clear_button.setEnabled(task.follow_up_at is not None)
        self.clear_button.clicked.connect(self._clear)
        self._clearing = False
        self.set_tab_order([self.when, self.note])
        self.setMinimumWidth(460)
        self.when.setFocus()

    def _clear(self) -> None:
        self._clearing = True
        self.try_submit()

    async def submit(self) -> Any:
        services, actor = self._ctx.services, self._ctx.actor
        try:
            if self._clearing:
                return await services.tasks.clear_follow_up(actor, self.task.id, self.task.version)
            return await services.tasks.set_follow_up(
                actor, self.task.id, self.when.value(), self.note.text(), self.task.version
            )
        finally:
            self._clearing = False
