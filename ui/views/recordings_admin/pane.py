"""The pane "Aufnahmen: Löschfristen und Sperren": deletions coming up and holds not lifted.

Top: the recordings the deletion job takes within the days chosen (no hold keeps them). Below:
every hold not lifted, those waiting for a second person first. Ctrl+Shift+H proposes a hold on
the selected recording, Ctrl+Shift+F proposes lifting (or refusing) the selected hold,
Ctrl+Shift+J confirms the selected proposal as the second person (the shift lead; the server
refuses the proposer with its German message, shown here), Ctrl+Shift+X exports the selected
recordings as evidence. The lists follow the change feed. No clip is opened here.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.domain.changes import ChangeSet, Entity
from app.platform.errors import KodError
from app.platform.i18n import count_text
from app.platform.permissions import Permission
from app.services.recording_desk import HoldState, OpenHold, RecordingRef
from ui import theme
from ui.asyncutil import spawn
from ui.commands import pane_action
from ui.context import UiContext
from ui.models.work_table import alive
from ui.views.flow_layout import FlowLayout
from ui.views.list_detail import ListDetailPane, header
from ui.views.recordings_admin.dialogs import ProposeHoldDialog, ProposeReleaseDialog
from ui.views.recordings_admin.export import EvidenceExportDialog
from ui.views.recordings_admin.models import (
    HOLD_REASON,
    HOLD_RECORDING,
    UP_ID,
    UP_OFFICER,
    HoldTableModel,
    RowRole,
    UpcomingTableModel,
)
from ui.views.work_table_view import WorkTableView, current_item, select_row

#: How many days ahead the list looks at first.
DEFAULT_DAYS = 3


def fit_columns_once(table: WorkTableView, stretch: int) -> None:
    """Fit the columns to their first rows (dates and numbers whole); the stretching column
    keeps taking the spare width. Later reloads keep what the user set."""
    if table.property("fitted") or not table.model().rowCount():
        return
    table.setProperty("fitted", True)
    for column in range(table.model().columnCount()):
        if column != stretch:
            table.resizeColumnToContents(column)


class RecordingHoldsPane(ListDetailPane):
    """Upcoming deletions and holds of bodycam recordings, with the two-person steps."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "RecordingHoldsPane", "recordingMessage", parent)
        self.can_hold = ctx.can(Permission.RECORDING_HOLD)
        self.can_confirm = ctx.can(Permission.RECORDING_HOLD_CONFIRM)
        self.can_export = ctx.can(Permission.RECORDING_EXPORT)
        self._last_table: WorkTableView | None = None
        self._reloading = False

        self.days = QSpinBox(self)
        self.days.setObjectName("recordingDays")
        self.days.setRange(0, 60)
        self.days.setValue(DEFAULT_DAYS)
        self.days.setSuffix(self.tr(" days"))
        self.days.valueChanged.connect(lambda _v: self._reload_timer.start())
        days_label = QLabel(self.tr("Deletions within the next"), self)
        days_label.setBuddy(self.days)
        self.upcoming_count = QLabel(self)
        self.upcoming_count.setObjectName("recordingUpcomingCount")
        self.upcoming = UpcomingTableModel(self)
        self.upcoming_table = self._table("recordingUpcoming", self.upcoming, UP_OFFICER)
        self.holds = HoldTableModel(self)
        self.hold_table = self._table("recordingHolds", self.holds, HOLD_REASON)
        self.hold_count = QLabel(self)
        self.hold_count.setObjectName("recordingHoldCount")

        buttons = FlowLayout()
        self.propose_button = self._button(self.tr("Propose hold …"), "recordingPropose", buttons)
        self.confirm_button = self._button(self.tr("Confirm"), "recordingConfirm", buttons)
        self.release_button = self._button(
            self.tr("Propose lifting / refuse …"), "recordingRelease", buttons
        )
        self.export_button = self._button(self.tr("Export …"), "recordingExport", buttons)
        self.propose_button.setVisible(self.can_hold)
        self.release_button.setVisible(self.can_hold)
        self.confirm_button.setVisible(self.can_confirm)
        self.export_button.setVisible(self.can_export)
        self.propose_button.clicked.connect(self.propose_hold)
        self.confirm_button.clicked.connect(self.confirm)
        self.release_button.clicked.connect(self.propose_release)
        self.export_button.clicked.connect(self.export)
        hint = QLabel(
            self.tr(
                "Ctrl+Shift+H propose a hold · Ctrl+Shift+J confirm (second person) · "
                "Ctrl+Shift+F propose lifting · Ctrl+Shift+X export · the lists follow every "
                "change"
            ),
            self,
        )
        hint.setWordWrap(True)
        hint.setStyleSheet(theme.hint_style())

        top = self.part(
            header(days_label, self.days, None, self.upcoming_count), (self.upcoming_table, 1)
        )
        holds_label = QLabel(self.tr("Holds (not lifted)"), self)
        bottom = self.part(header(holds_label, None, self.hold_count), (self.hold_table, 1))
        self.arrange(Qt.Orientation.Vertical, (top, bottom), (self.message, buttons, hint))

        if self.can_hold:
            pane_action("recordings.propose_hold", self, self.propose_hold)
            pane_action("recordings.propose_release", self, self.propose_release)
        if self.can_confirm:
            pane_action("recordings.confirm", self, self.confirm)
        if self.can_export:
            pane_action("recordings.export", self, self.export)
        ctx.bridge.changes.connect(self._on_changes)
        self._update_buttons()

    def _table(self, name: str, model: QAbstractItemModel, stretch: int) -> WorkTableView:
        table = self.work_table(name, model, stretch, 160)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.follow_current(table, self._on_current)
        return table

    def _button(self, text: str, name: str, row: FlowLayout) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        row.addWidget(button)
        return button

    # -- loading ------------------------------------------------------------------------------

    async def _load(self) -> None:
        self._busy = True
        desk = self.ctx.services.recording_admin.desk
        try:
            upcoming = await desk.upcoming(self.ctx.actor, self.days.value())
            holds = await desk.open_holds(self.ctx.actor)
        except KodError as exc:
            if alive(self):
                self.say(str(exc), error=True)
            return
        finally:
            self._busy = False
        if not alive(self):
            return
        up_id, hold_id = self._selected_id(self.upcoming_table), self._selected_id(self.hold_table)
        # Selecting again after the reload is no choice of the user's: the list used last stays.
        self._reloading = True
        try:
            self.upcoming.set_upcoming(upcoming)
            self.holds.set_rows(holds)
            self._reselect(self.upcoming_table, self.upcoming.row_of(up_id or -1), UP_ID)
            self._reselect(self.hold_table, self.holds.row_of(hold_id or -1), HOLD_RECORDING)
        finally:
            self._reloading = False
        for table, stretch in ((self.upcoming_table, UP_OFFICER), (self.hold_table, HOLD_REASON)):
            fit_columns_once(table, stretch)
        self.upcoming_count.setText(
            count_text(len(upcoming), self.tr("1 recording"), self.tr("%1 recordings"))
        )
        waiting = sum(1 for h in holds if h.state is not HoldState.IN_FORCE)
        self.hold_count.setText(
            count_text(len(holds), self.tr("1 hold"), self.tr("%1 holds"))
            + " · "
            + count_text(waiting, self.tr("1 waiting"), self.tr("%1 waiting"))
        )
        self._update_buttons()

    @staticmethod
    def _selected_id(table: WorkTableView) -> int | None:
        value = table.model().data(table.currentIndex(), RowRole)
        if isinstance(value, OpenHold):
            return value.id
        return value.id if isinstance(value, RecordingRef) else None

    @staticmethod
    def _reselect(table: WorkTableView, row: int, column: int) -> None:
        if row >= 0:
            select_row(table, row, column)
        elif table.model().rowCount() and not table.currentIndex().isValid():
            select_row(table, 0, column)

    def _on_changes(self, changes: ChangeSet) -> None:
        if changes.touches(Entity.RECORDING):
            self._reload_timer.start()

    # -- selection ----------------------------------------------------------------------------

    def focus_main(self) -> None:
        """Put the keyboard in the upcoming deletions (the holds if there are none)."""
        table = self.hold_table if not self.upcoming.rowCount() else self.upcoming_table
        table.setFocus()

    def _on_current(self, table: WorkTableView, _current: QModelIndex) -> None:
        if not self._reloading:
            self._last_table = table
        self._update_buttons()

    def selected_hold(self) -> OpenHold | None:
        """The hold selected in the hold list."""
        return current_item(self.hold_table, RowRole, OpenHold)

    def selected_recordings(self) -> list[RecordingRef]:
        """The recordings selected in the list used last (several for an export)."""
        table = self._last_table or self.upcoming_table
        found: dict[int, RecordingRef] = {}
        for index in table.selectionModel().selectedRows():
            value = table.model().data(index, RowRole)
            rec = value.recording if isinstance(value, OpenHold) else value
            if isinstance(rec, RecordingRef):
                found.setdefault(rec.id, rec)
        current = table.model().data(table.currentIndex(), RowRole)
        current = current.recording if isinstance(current, OpenHold) else current
        if not found and isinstance(current, RecordingRef):
            found[current.id] = current
        return list(found.values())

    def _update_buttons(self) -> None:
        hold = self.selected_hold()
        recordings = self.selected_recordings()
        self.propose_button.setEnabled(len(recordings) == 1)
        self.export_button.setEnabled(bool(recordings))
        self.confirm_button.setEnabled(hold is not None and hold.state is not HoldState.IN_FORCE)
        self.release_button.setEnabled(
            hold is not None and hold.state is not HoldState.RELEASE_PROPOSED
        )

    # -- actions ------------------------------------------------------------------------------

    def propose_hold(self) -> None:
        """Propose a hold on the selected recording."""
        recordings = self.selected_recordings()
        if self.can_hold and len(recordings) == 1:
            self._open(ProposeHoldDialog(self.ctx, recordings[0], self))

    def propose_release(self) -> None:
        """Propose lifting the selected hold (or refusing a proposed one)."""
        hold = self.selected_hold()
        if self.can_hold and hold is not None and hold.state is not HoldState.RELEASE_PROPOSED:
            self._open(ProposeReleaseDialog(self.ctx, hold, self))

    def confirm(self) -> None:
        """Confirm the selected proposal (a hold, or lifting one) as the second person."""
        hold = self.selected_hold()
        if self.can_confirm and hold is not None and hold.state is not HoldState.IN_FORCE:
            spawn(self._confirm(hold))

    async def _confirm(self, hold: OpenHold) -> None:
        holds = self.ctx.services.recording_admin.holds
        try:
            if hold.state is HoldState.PROPOSED:
                await holds.confirm_hold(self.ctx.actor, hold.id)
                text = self.tr("The hold on recording no. %1 is in force.")
            else:
                await holds.confirm_release(self.ctx.actor, hold.id)
                text = self.tr("The hold on recording no. %1 is lifted.")
        except KodError as exc:
            if alive(self):
                self.say(str(exc), error=True)
            return
        if alive(self):
            self.say(text.replace("%1", str(hold.recording.id)), error=False)
            self._reload_timer.start()

    def export(self) -> None:
        """Export the selected recordings as evidence."""
        recordings = self.selected_recordings()
        if not self.can_export or not recordings:
            return
        dialog = EvidenceExportDialog(self.ctx, recordings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.dialog = dialog
        dialog.open()

    def _after_save(self, _row: object) -> None:
        dialog = self.dialog
        if isinstance(dialog, ProposeHoldDialog):
            text = self.tr("Hold on recording no. %1 proposed: a second person confirms it.")
            self.say(text.replace("%1", str(dialog.recording.id)), error=False)
        elif isinstance(dialog, ProposeReleaseDialog):
            text = self.tr("Lifting the hold on recording no. %1 proposed.")
            self.say(text.replace("%1", str(dialog.hold.recording.id)), error=False)
        self._reload_timer.start()
