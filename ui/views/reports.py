"""The Meldungen pane: incoming reports, create/edit, and turning one into an Einsatz or Auftrag."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QWidget

from app.domain.dto_work import ReportInfo, ReportQuery, report_status_label
from app.platform.permissions import Permission
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.dialogs.confirm import ask
from ui.dialogs.reports import ConvertToIncidentDialog, ReportDialog
from ui.dialogs.tasks import TaskDialog, task_choices
from ui.models.reports import (
    COL_ADDRESS,
    COL_CATEGORY,
    COL_LINK,
    COL_NUMBER,
    COL_RECEIVED,
    COL_SOURCE,
    COL_STATUS,
    COL_SUBJECT,
    PLATFORM_MARK_COLOUR,
    ReportRole,
    ReportTableModel,
)
from ui.models.work_table import alive
from ui.views.work_items import FILTER_ALL, WorkItemPane, install_pane

if TYPE_CHECKING:
    from ui.main_window import MainWindow

FILTER_OPEN = "open"


class ReportPane(WorkItemPane[ReportInfo]):
    """Meldungen: open ones first, newest first; convert into an Einsatz or an Auftrag."""

    #: The user wants to see this incident (double-click on the link).
    incidentRequested = QtSignal(int)
    #: The user wants to see this task.
    taskRequested = QtSignal(int)
    #: Emitted with the report after a conversion (the link is set).
    converted = QtSignal(object)

    row_type = ReportInfo

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "report", parent)
        self.setObjectName("ReportPane")
        self.model = ReportTableModel(ctx, parent=self)
        self.can_write = ctx.can(Permission.REPORT_WRITE)
        self.can_incident = self.can_write and ctx.can(Permission.INCIDENT_WRITE)
        self.can_task = self.can_write and ctx.can(Permission.TASK_WRITE)

        self.filter.addItem(self.tr("Open reports"), FILTER_OPEN)
        self.filter.addItem(self.tr("All reports"), FILTER_ALL)
        self.search.setPlaceholderText(self.tr("Search number, subject, address, reporter …"))
        self.count_text = self.tr("%1 reports")
        self.count_one = self.tr("1 report")
        self.read_only_what = self.tr("change reports")

        self.new_button = self._button(self.tr("New report …"), "reportNew", self.new_report)
        self.edit_button = self._button(self.tr("Edit …"), "reportEdit", self.edit_selected)
        self.progress_button = self._button(
            self.tr("In progress"), "reportInProgress", lambda: self.set_status("in_progress")
        )
        self.close_button = self._button(
            self.tr("Close"), "reportClose", lambda: self.set_status("closed")
        )
        self.to_incident_button = self._button(
            self.tr("Convert to incident …"), "reportToIncident", self.convert_to_incident
        )
        self.to_task_button = self._button(
            self.tr("Convert to task …"), "reportToTask", self.convert_to_task
        )
        self.link_label = QLabel(self)
        self.link_label.setObjectName("reportLink")
        self.link_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.link_label.setOpenExternalLinks(False)
        self.link_label.linkActivated.connect(self._on_link)
        self._double_click_handled = False
        self._build(
            [
                self.new_button,
                self.edit_button,
                self.progress_button,
                self.close_button,
                self.to_incident_button,
                self.to_task_button,
            ],
            rare=[self.progress_button, self.close_button],
            main_column=COL_SUBJECT,
            widths=(
                (COL_NUMBER, 115),
                (COL_RECEIVED, 115),
                (COL_SOURCE, 105),
                (COL_CATEGORY, 175),
                (COL_ADDRESS, 170),
                (COL_STATUS, 115),
                (COL_LINK, 150),
            ),
            top_extra=[self.link_label],
        )
        self.table.doubleClicked.connect(self._on_double_clicked)

    def build_query(self) -> ReportQuery:
        """The query of the filter widgets."""
        text = self.search.text().strip()
        if self.filter.currentData() == FILTER_ALL:
            return ReportQuery(text=text)
        return ReportQuery(open_only=True, text=text)

    #: Select a report if it is loaded.
    select_report = WorkItemPane.select_item

    def _enable_actions(self, r: ReportInfo | None) -> None:
        is_open = r is not None and r.is_open
        self.new_button.setEnabled(self.can_write)
        self.edit_button.setEnabled(r is not None)
        self.progress_button.setEnabled(self.can_write and r is not None and r.status == "new")
        self.close_button.setEnabled(self.can_write and is_open)
        self.to_incident_button.setEnabled(self.can_incident and is_open)
        self.to_task_button.setEnabled(self.can_task and is_open)
        self.link_label.setText(self.link_html(r))

    def link_html(self, r: ReportInfo | None) -> str:
        """The link to what the report became, or the platform's mark (rich text)."""
        if r is None:
            return ""
        mark = r.platform_mark
        if mark is not None and isinstance(self.model, ReportTableModel):
            # The dispatcher decides: a request closed there is not closed here silently.
            text = html.escape(self.model.platform_text(r)).replace("\n", "<br>")
            return f'<span style="color:{PLATFORM_MARK_COLOUR.name()}"><b>{text}</b></span>'
        if r.incident_id and r.incident_number:
            text = self.tr("Became incident %1").replace(
                "%1", f'<a href="incident:{r.incident_id}">{r.incident_number}</a>'
            )
            return text
        if r.task_id and r.task_number:
            return self.tr("Became task %1").replace(
                "%1", f'<a href="task:{r.task_id}">{r.task_number}</a>'
            )
        return ""

    def _on_link(self, href: str) -> None:
        kind, _, ident = href.partition(":")
        if not ident.isdigit():
            return
        if kind == "incident":
            self.incidentRequested.emit(int(ident))
        elif kind == "task":
            self.taskRequested.emit(int(ident))

    def follow_link(self, report: ReportInfo) -> bool:
        """Ask for what ``report`` became (incident or task); False if it has no link."""
        if report.incident_id:
            self.incidentRequested.emit(report.incident_id)
            return True
        if report.task_id:
            self.taskRequested.emit(report.task_id)
            return True
        return False

    def _on_double_clicked(self, index: QModelIndex) -> None:
        # A double-click on the "became" cell follows the link instead of opening the report.
        value = self.model.data(index, ReportRole)
        if index.column() == COL_LINK and isinstance(value, ReportInfo):
            self._double_click_handled = self.follow_link(value)

    def _on_activated(self, index: QModelIndex) -> None:
        if self._double_click_handled:
            self._double_click_handled = False
            return
        super()._on_activated(index)

    def _extend_menu(self, menu: QMenu) -> None:
        r = self.selected()
        if r is not None and (r.incident_id or r.task_id):
            menu.addSeparator()
            show = QAction(
                self.tr("Show incident") if r.incident_id else self.tr("Show task"), menu
            )
            show.triggered.connect(lambda: self.follow_link(r))
            menu.addAction(show)

    # -- actions -----------------------------------------------------------------------------

    def _announce_saved(self, row: ReportInfo) -> None:
        if row.status == "converted":
            self.converted.emit(row)

    def new_report(self) -> None:
        """Open the dialog for a new Meldung."""
        if self.can_write and not self._busy():
            self._show_dialog(ReportDialog(self.ctx, None, self))

    def edit_report(self, report: ReportInfo) -> None:
        """Open ``report`` in the dialog (fresh from the database)."""

        async def run() -> None:
            fresh = await self.ctx.services.reports.get(self.ctx.actor, report.id)
            if not alive(self) or self._busy():
                return
            self._show_edit_dialog(ReportDialog(self.ctx, fresh, self))

        if not self._busy():
            spawn(run())

    edit_item = edit_report

    def set_status(self, status: str) -> None:
        """Mark the selected Meldung in progress, or closed (after a question)."""
        r = self.selected()
        if r is None or not self.can_write:
            return

        def write() -> None:
            self.act(
                self.ctx.services.reports.set_status(self.ctx.actor, r.id, r.version, status),
                self.tr("Report %1: %2.")
                .replace("%1", r.number)
                .replace("%2", report_status_label(status)),
            )

        if status != "closed":
            write()
            return
        self.confirm(
            lambda: ask(
                self,
                "ConfirmReportClose",
                self.tr("Close report"),
                self.tr("Close report %1 “%2”? It then leaves the open reports.")
                .replace("%1", r.number)
                .replace("%2", r.subject),
                self.tr("&Close report"),
                write,
            )
        )

    def convert_to_incident(self) -> None:
        """Open an Einsatz from the selected Meldung (asks category and priority)."""
        r = self.selected()
        if r is None or not r.is_open or not self.can_incident or self._busy():
            return
        self._show_dialog(ConvertToIncidentDialog(self.ctx, r, self))

    def convert_to_task(self) -> None:
        """Make an Auftrag from the selected Meldung (in the task dialog, prefilled)."""
        r = self.selected()
        if r is None or not r.is_open or not self.can_task or self._busy():
            return

        async def run() -> None:
            assignees, units = await task_choices(self.ctx)
            if alive(self) and not self._busy():
                self._show_dialog(
                    TaskDialog(self.ctx, None, assignees, units, from_report=r, parent=self)
                )

        spawn(run())


def install(window: MainWindow) -> ReportPane | None:
    """Add the Meldungen pane (bottom, tabbed with the Aufträge) and its shortcuts.

    Call after :func:`ui.views.tasks.install`. Roles without access to reports get nothing.
    """
    if not window.ctx.can(Permission.REPORT_READ):
        return None
    pane = ReportPane(window.ctx, window)
    dock = install_pane(
        window,
        pane,
        "reports",
        QCoreApplication.translate("ReportPane", "Reports"),
        ("report.new", "go.reports"),
        pane.new_report,
    )
    tasks_dock = window.docks.get("tasks")
    if tasks_dock is not None:
        window.tabifyDockWidget(tasks_dock, dock)
        tasks_dock.raise_()
    navigator = window.navigator
    # What a Meldung became: an incident that may be on its way through the change feed.
    pane.incidentRequested.connect(
        lambda incident_id: navigator.show_incident(incident_id, wait_ms=2000)
    )
    pane.taskRequested.connect(lambda task_id: navigator.show_task(task_id))
    window.when_started(pane.model.reload)
    return pane
