"""Choosing a unit for an incident: proposals by availability and distance, Enter assigns.

Used after "save and dispatch" in call-taking, from the queue ("assign unit to the selected
incident", Ctrl+D) and from the incident detail pane.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.changes import ChangeSet, Entity
from app.domain.codes import category_label, priority_label
from app.domain.dto import IncidentDetail, UnitProposal
from app.platform.errors import KodError
from app.services.incidents import UnitUnavailable
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.models.unit_proposals import (
    COL_CALL_SIGN,
    COL_DISTANCE,
    COL_INCIDENT,
    COL_MEMBERS,
    COL_POSITION,
    COL_STATUS,
    UnitIdRole,
    UnitProposalTableModel,
)
from ui.widgets.elide import header_width, keep_stretched, tooltip_when_cut


class AssignUnitDialog(QDialog):
    """Lists the units for one incident (available and nearest first); Enter assigns.

    The first proposal is preselected. Assigning an unavailable unit asks for confirmation
    (Yes/No) or shows the refusal, as the service decides. Statuses update live while the
    dialog is open.
    """

    #: Emitted after a unit was assigned: (incident id, unit id).
    assigned = Signal(int, int)
    #: Emitted when the proposals are shown (tests and the call-taking flow wait for it).
    proposalsLoaded = Signal()

    def __init__(self, ctx: UiContext, incident_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AssignUnitDialog")
        self.ctx = ctx
        self.incident_id = incident_id
        self.incident: IncidentDetail | None = None
        self.loaded = False
        self._busy = False
        self._reload_pending = False
        self.confirm_box: QMessageBox | None = None
        self.setWindowTitle(self.tr("Assign unit"))

        self.summary = QLabel(self.tr("Loading …"), self)
        self.summary.setObjectName("assignIncidentSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setStyleSheet(theme.text_style(bold=True))

        self.model = UnitProposalTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("assignProposalTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_CALL_SIGN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_DISTANCE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_POSITION, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_INCIDENT, QHeaderView.ResizeMode.ResizeToContents)
        # The crew stretches, but never narrower than its title ("Besatzung", not "satzu").
        keep_stretched(self.table, COL_MEMBERS, lambda: header_width(self.table, COL_MEMBERS))
        tooltip_when_cut(self.table)
        self.table.doubleClicked.connect(lambda _i: self.assign_current())

        self.message = QLabel(self)
        self.message.setObjectName("assignMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(theme.error_style())
        self.message.hide()

        hint = QLabel(
            self.tr("↑/↓ choose a unit · Enter assigns · Esc closes"),
            self,
        )
        hint.setStyleSheet(theme.hint_style())

        self.assign_button = QPushButton(self.tr("&Assign"), self)
        self.assign_button.setObjectName("assignButton")
        self.assign_button.setDefault(True)
        self.assign_button.setEnabled(False)
        self.assign_button.clicked.connect(self.assign_current)
        self.close_button = QPushButton(self.tr("Close"), self)
        self.close_button.setObjectName("assignCloseButton")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        buttons.addWidget(hint, 1)
        buttons.addWidget(self.assign_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(780, 500)
        self.setMinimumWidth(560)

        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(250)
        self._live_timer.timeout.connect(self.reload)
        ctx.bridge.changes.connect(self._on_changes)
        self._following = True
        self.reload()

    # -- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        """(Re)load the incident and the proposals; keeps the chosen unit selected."""
        if self._busy:
            self._reload_pending = True
            return
        spawn(self._load())

    async def _load(self) -> None:
        try:
            incident = await self.ctx.services.incidents.get(self.ctx.actor, self.incident_id)
            proposals = await self.ctx.services.units.proposals(self.ctx.actor, self.incident_id)
        except KodError as exc:
            self.show_message(str(exc))
            return
        self._show(incident, proposals)

    def _show(self, incident: IncidentDetail, proposals: list[UnitProposal]) -> None:
        keep = self.current_unit_id()
        self.incident = incident
        self.setWindowTitle(self.tr("Assign unit – %1").replace("%1", incident.number))
        place = incident.address or "–"
        if incident.stadtteil and incident.stadtteil not in place:
            place += f" ({incident.stadtteil})"
        self.summary.setText(
            f"{incident.number} · {category_label(incident.category)} · "
            f"{priority_label(incident.priority)}\n{place}"
        )
        self.model.set_proposals(proposals)
        row = self.model.row_of(keep) if keep is not None else -1
        if row < 0 and self.model.rowCount() > 0:
            row = 0
        if row >= 0:
            index = self.model.index(row, COL_CALL_SIGN)
            self.table.selectionModel().setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(index)
        if not proposals:
            self.show_message(self.tr("There are no active units."))
        first_load = not self.loaded
        self.loaded = True
        self.assign_button.setEnabled(bool(proposals) and not self._busy)
        if first_load:
            self.table.setFocus()
        self.proposalsLoaded.emit()

    def _on_changes(self, changes: ChangeSet) -> None:
        if changes.touches(Entity.UNIT) or changes.touches(Entity.INCIDENT, self.incident_id):
            self._live_timer.start()

    # -- assigning ----------------------------------------------------------------------------

    def current_unit_id(self) -> int | None:
        """The unit in the current row."""
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        value = self.model.data(index, UnitIdRole)
        return int(value) if value is not None else None

    def assign_current(self) -> None:
        """Assign the unit in the current row."""
        unit_id = self.current_unit_id()
        if unit_id is None or self._busy or not self.loaded:
            return
        self._start(unit_id, confirm_unavailable=False)

    def _start(self, unit_id: int, confirm_unavailable: bool) -> None:
        self._set_busy(True)
        self.message.hide()
        spawn(self._assign(unit_id, confirm_unavailable))

    async def _assign(self, unit_id: int, confirm_unavailable: bool) -> None:
        try:
            await self.ctx.services.incidents.assign_unit(
                self.ctx.actor, self.incident_id, unit_id, confirm_unavailable=confirm_unavailable
            )
        except UnitUnavailable as exc:
            self._set_busy(False)
            if exc.needs_confirmation and not confirm_unavailable:
                self._ask_confirmation(unit_id, str(exc))
            else:
                self.show_message(str(exc))
            return
        except KodError as exc:
            self._set_busy(False)
            self.show_message(str(exc))
            return
        self._set_busy(False)
        self.assigned.emit(self.incident_id, unit_id)
        self.accept()

    def _ask_confirmation(self, unit_id: int, text: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("Unit not available"),
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("ConfirmUnavailableDialog")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.confirm_box = box

        def done(_result: int) -> None:
            yes = box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
            self.confirm_box = None
            box.deleteLater()
            self.activateWindow()
            self.table.setFocus()
            if yes:
                self._start(unit_id, confirm_unavailable=True)

        box.finished.connect(done)
        box.open()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.assign_button.setEnabled(not busy and self.model.rowCount() > 0)
        if not busy and self._reload_pending:
            self._reload_pending = False
            self.reload()

    def show_message(self, text: str) -> None:
        """Show an error or refusal inside the dialog (the choice stays open)."""
        self.message.setText(text)
        self.message.show()

    def done(self, result: int) -> None:
        self._live_timer.stop()
        if self._following:
            self._following = False
            self.ctx.bridge.changes.disconnect(self._on_changes)
        super().done(result)
        parent = self.parentWidget()
        if parent is not None:
            parent.activateWindow()
