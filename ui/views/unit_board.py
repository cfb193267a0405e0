"""The unit status board pane: BOS status per unit, set by the dispatcher with digit keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QObject,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.codes import UnitStatus, unit_status_display, unit_status_label
from app.domain.dto import UnitInfo
from app.domain.unit_state import takes_off_incident
from app.platform.permissions import Permission
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.dialogs.confirm import ask
from ui.models.unit_board import (
    COL_CALL_SIGN,
    COL_INCIDENT,
    COL_MEMBERS,
    COL_POSITION_AGE,
    COL_SINCE,
    COL_STATUS,
    COL_STATUS_TEXT,
    UnitStatusTableModel,
)
from ui.views.unit_parts import StatusRowDelegate, UnitStatusHistoryDialog
from ui.views.unit_typing import CallSignTyping
from ui.views.work_table_view import keep_selection, select_row
from ui.widgets.elide import header_width, keep_stretched, tooltip_when_cut

if TYPE_CHECKING:
    from ui.main_window import MainWindow

#: Statuses the dispatcher sets with a digit key, in menu order.
DIGIT_STATUSES = ("1", "2", "3", "4", "5", "6", "0")
_DIGIT_KEYS = {
    Qt.Key.Key_0: "0",
    Qt.Key.Key_1: "1",
    Qt.Key.Key_2: "2",
    Qt.Key.Key_3: "3",
    Qt.Key.Key_4: "4",
    Qt.Key.Key_5: "5",
    Qt.Key.Key_6: "6",
}
#: Modifiers that still count as a plain digit (the number pad sets KeypadModifier).
_PLAIN = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)


class UnitStatusBoard(QWidget):
    """Every unit with its BOS status; digits 0–6 set the selected unit's status, N a Notruf."""

    #: The user asked to see the incident a unit is assigned to (incident id).
    incidentRequested = Signal(int)
    #: The selected unit changed (unit id).
    unitSelected = Signal(int)
    #: A status change or emergency was sent for a unit (unit id, status code).
    statusRequested = Signal(int, str)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("UnitStatusBoard")
        self._ctx = ctx
        self.model = UnitStatusTableModel(ctx, self)

        self.talk_banner = QLabel(self)
        self.talk_banner.setObjectName("talkRequests")
        self.talk_banner.setWordWrap(True)
        self.talk_banner.hide()

        self.table = QTableView(self)
        self.table.setObjectName("unitBoardTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_CALL_SIGN, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setItemDelegate(StatusRowDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(30)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)
        self.table.installEventFilter(self)
        self.table.viewport().installEventFilter(self)
        # The crew stretches, but never narrower than its title ("Besatzung", not "satzu").
        keep_stretched(self.table, COL_MEMBERS, lambda: header_width(self.table, COL_MEMBERS))
        tooltip_when_cut(self.table)

        self.hint = QLabel(
            self.tr(
                "Type a call sign to select · 0–6: set status (3: alarm confirmed) · "
                "Ctrl+Z: undo · N: emergency (Notruf) · Enter: history · menu key: more"
            ),
            self,
        )
        self.hint.setObjectName("unitBoardHint")
        self.hint.setStyleSheet(theme.hint_style())
        self.hint.setWordWrap(True)
        self.typed = QLabel(self)
        self.typed.setObjectName("unitBoardTyped")
        self.typed.hide()
        self.undo_hint = QLabel(self)
        self.undo_hint.setObjectName("unitBoardUndo")
        self.undo_hint.hide()
        self.count_label = QLabel(self)
        self.count_label.setObjectName("unitBoardCount")
        # The count appears once the board has loaded: it must not widen the pane then.
        self.count_label.setWordWrap(True)
        footer = QHBoxLayout()
        footer.setContentsMargins(0, 0, 0, 0)
        footer.addWidget(self.typed)
        footer.addWidget(self.undo_hint)
        footer.addWidget(self.hint, 1)
        footer.addWidget(self.count_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.talk_banner)
        layout.addWidget(self.table)
        layout.addLayout(footer)

        self.table.activated.connect(lambda _i: self.show_history())
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.model.loaded.connect(lambda _n: self._refresh_summary())
        self.model.loaded.connect(lambda _n: self.fit_columns())
        self.model.updated.connect(self._refresh_summary)
        keep_selection(self.model, self._selected_unit_id, self.select_unit)
        #: The confirmation currently shown for a manual Notruf (tests reach it here).
        self.emergency_confirmation: QMessageBox | None = None
        self.menu: QMenu | None = None
        self._can_set = ctx.can(Permission.UNIT_STATUS)
        self._can_raise = ctx.can(Permission.EMERGENCY_RAISE)
        self.typing = CallSignTyping(self.table, self.model.units, self.select_unit, self.typed)
        #: The last status change sent from this board: (unit id, call sign, from, to).
        self.last_change: tuple[int, str, str, str] | None = None
        #: The question before a status change that takes a unit off its incident.
        self.release_question: QMessageBox | None = None

    def fit_columns(self) -> None:
        """Size the columns to their contents (German status texts run long); crew stretches."""
        for col in (COL_CALL_SIGN, COL_STATUS, COL_STATUS_TEXT, COL_INCIDENT):
            self.table.resizeColumnToContents(col)
        # Running timers grow: leave room for h:mm:ss in bold.
        font = QFont(self.table.font())
        font.setBold(True)
        timer = QFontMetrics(font).horizontalAdvance("88:88:88") + 16
        header = self.table.horizontalHeader()
        for col in (COL_SINCE, COL_POSITION_AGE):
            title = str(self.model.headerData(col, Qt.Orientation.Horizontal))
            needed = header.fontMetrics().horizontalAdvance(title) + 24
            self.table.setColumnWidth(col, max(timer, needed))

    # -- selection ----------------------------------------------------------------------------

    def selected_unit(self) -> UnitInfo | None:
        """The selected unit (from the model's cache)."""
        index = self.table.currentIndex()
        return self.model.unit_at(index.row()) if index.isValid() else None

    def select_unit(self, unit_id: int) -> bool:
        """Select a unit by id."""
        return select_row(self.table, self.model.row_of(unit_id), COL_CALL_SIGN)

    def focus_table(self) -> None:
        """Keyboard focus on the board (first unit if none is selected)."""
        self.table.setFocus()
        if self.table.selectionModel().hasSelection():
            return
        # Focusing may have set a current row without selecting it: select it (or the first).
        unit = self.selected_unit() or self.model.unit_at(0)
        if unit is not None:
            self.select_unit(unit.id)

    def _selected_unit_id(self) -> int | None:
        unit = self.selected_unit()
        return unit.id if unit else None

    def _on_current(self, current: object, _previous: object) -> None:
        unit = self.selected_unit()
        if unit is not None:
            self.unitSelected.emit(unit.id)

    # -- keyboard and context menu ----------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if self._handle_key(event):
                return True
        if event.type() == QEvent.Type.ContextMenu:
            assert isinstance(event, QContextMenuEvent)
            if watched is self.table.viewport():
                # Mouse: the menu is for the row under the pointer.
                index = self.table.indexAt(event.pos())
                if not index.isValid():
                    return True
                self.table.setCurrentIndex(index)
                self.show_context_menu(event.globalPos())
                return True
            if watched is self.table:
                self.show_context_menu()
                return True
        return super().eventFilter(watched, event)

    def _handle_key(self, event: QKeyEvent) -> bool:
        key = Qt.Key(event.key())
        if key == Qt.Key.Key_Menu or (
            key == Qt.Key.Key_F10 and event.modifiers() == Qt.KeyboardModifier.ShiftModifier
        ):
            self.show_context_menu()
            return True
        if self.typing.feed(event):
            return True  # part of a call sign: only an exact call sign selects a unit
        if key == Qt.Key.Key_Z and event.modifiers() == Qt.KeyboardModifier.ControlModifier:
            self.undo_last()
            return True
        if event.modifiers() not in _PLAIN:
            return False
        if key in _DIGIT_KEYS:
            unit = self.selected_unit()
            if unit is not None:
                self.set_status(unit.id, _DIGIT_KEYS[key])
            return True
        if key == Qt.Key.Key_N:
            unit = self.selected_unit()
            if unit is not None:
                self.confirm_emergency(unit)
            return True
        return False

    def build_menu(self, unit: UnitInfo) -> QMenu:
        """The context menu for ``unit``: every status, Notruf, history, go to incident."""
        menu = QMenu(self)
        menu.setObjectName("unitBoardMenu")
        title = menu.addAction(f"{unit.call_sign} – {unit_status_label(unit.status)}")
        title.setEnabled(False)
        menu.addSeparator()
        for code in DIGIT_STATUSES:
            action = menu.addAction(unit_status_display(code))
            action.setObjectName(f"actionUnitStatus{code}")
            action.setShortcut(QKeySequence(code))
            # The digit is handled by the board itself; the menu only shows it.
            action.setShortcutVisibleInContextMenu(True)
            action.setCheckable(True)
            action.setChecked(unit.status == code)
            action.setEnabled(self._can_set)
            action.triggered.connect(lambda _c=False, c=code: self.set_status(unit.id, c))
        menu.addSeparator()
        notruf = menu.addAction(self.tr("Trigger emergency (Notruf) …"))
        notruf.setObjectName("actionUnitEmergency")
        notruf.setShortcut(QKeySequence("N"))
        notruf.setShortcutVisibleInContextMenu(True)
        notruf.setEnabled(self._can_raise)
        notruf.triggered.connect(lambda: self.confirm_emergency(unit))
        menu.addSeparator()
        history = menu.addAction(self.tr("Status history …"))
        history.setObjectName("actionUnitHistory")
        history.triggered.connect(lambda: self.show_history(unit))
        go = menu.addAction(
            self.tr("Go to incident %1").replace("%1", unit.incident_number)
            if unit.incident_number
            else self.tr("Go to incident")
        )
        go.setObjectName("actionUnitGoToIncident")
        go.setEnabled(unit.incident_id is not None)
        go.triggered.connect(lambda: self._go_to_incident(unit))
        for action in menu.actions():
            # The keys work inside the open menu only; on the table the board handles them.
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        return menu

    def show_context_menu(self, global_pos: QPoint | None = None) -> None:
        """Open the context menu for the selected unit (by default beside its row)."""
        unit = self.selected_unit()
        if unit is None:
            return
        if global_pos is None:
            rect = self.table.visualRect(self.table.currentIndex())
            global_pos = self.table.viewport().mapToGlobal(rect.bottomLeft())
        if self.menu is not None:
            self.menu.deleteLater()
        self.menu = self.build_menu(unit)
        self.menu.popup(global_pos)

    # -- actions ------------------------------------------------------------------------------

    def set_status(self, unit_id: int, status: str) -> None:
        """Set a BOS status (the service stores the change with its timestamp).

        A change that takes the unit off its incident (1, 2 or 6 while assigned) asks first.
        """
        if not self._can_set:
            return
        unit = self.model.unit_at(self.model.row_of(unit_id))
        if unit is None or unit.status == status:
            return
        if takes_off_incident(status, unit.status, unit.incident_id is not None):
            text = (
                self.tr("%1 is on incident %2. Set status %3 and take it off the incident?")
                .replace("%1", unit.call_sign)
                .replace("%2", unit.incident_number or "")
                .replace("%3", unit_status_display(status))
            )
            self.release_question = ask(
                self,
                "ConfirmReleaseDialog",
                self.tr("Take the unit off the incident"),
                text,
                self.tr("Set status %1").replace("%1", status),
                lambda: self._send_status(unit, status),
            )
            return
        self._send_status(unit, status)

    def _send_status(self, unit: UnitInfo, status: str) -> None:
        self.statusRequested.emit(unit.id, status)

        def done(_info: UnitInfo) -> None:
            self.last_change = (unit.id, unit.call_sign, unit.status, status)
            self.undo_hint.setText(
                self.tr("%1: %2 → %3 (Ctrl+Z undoes it)")
                .replace("%1", unit.call_sign)
                .replace("%2", unit.status)
                .replace("%3", status)
            )
            self.undo_hint.show()

        spawn(self._ctx.services.units.set_status(self._ctx.actor, unit.id, status), done)

    def undo_last(self) -> None:
        """Undo the last status change sent from this board (refused if it moved on since)."""
        if self.last_change is None or not self._can_set:
            return
        unit_id, call_sign, _old, new = self.last_change
        self.last_change = None
        self.undo_hint.setText(self.tr("%1: status change undone").replace("%1", call_sign))
        spawn(self._ctx.services.units.undo_status(self._ctx.actor, unit_id, new))

    def confirm_emergency(self, unit: UnitInfo) -> None:
        """Ask before raising a Notruf on the unit's behalf (alarms every workstation)."""
        if not self._can_raise:
            return
        box = QMessageBox(self)
        box.setObjectName("ConfirmEmergencyDialog")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Trigger emergency"))
        box.setText(
            self.tr("Trigger an emergency alarm (Notruf) for %1?").replace("%1", unit.call_sign)
        )
        box.setInformativeText(
            self.tr(
                "Every workstation will sound the alarm until a dispatcher acknowledges it. "
                "Use this when the unit reports an emergency by radio or telephone, or to "
                "test the alarm."
            )
        )
        trigger = box.addButton(self.tr("Trigger alarm"), QMessageBox.ButtonRole.AcceptRole)
        trigger.setObjectName("confirmEmergencyButton")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(trigger)
        box.setEscapeButton(cancel)

        def done(_result: int) -> None:
            self.emergency_confirmation = None
            if box.clickedButton() is trigger:
                self.raise_emergency(unit.id)
            box.deleteLater()

        box.finished.connect(done)
        self.emergency_confirmation = box
        box.open()

    def raise_emergency(self, unit_id: int) -> None:
        """Raise the Notruf now (no question asked)."""
        self.statusRequested.emit(unit_id, UnitStatus.EMERGENCY.value)
        spawn(self._ctx.services.units.raise_emergency(self._ctx.actor, unit_id))

    def show_history(self, unit: UnitInfo | None = None) -> UnitStatusHistoryDialog | None:
        """Open the status history of ``unit`` (default: the selected one)."""
        unit = unit or self.selected_unit()
        if unit is None:
            return None
        dialog = UnitStatusHistoryDialog(self._ctx, unit, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _go_to_incident(self, unit: UnitInfo) -> None:
        if unit.incident_id is not None:
            self.incidentRequested.emit(unit.incident_id)

    # -- summary ------------------------------------------------------------------------------

    def _refresh_summary(self) -> None:
        units = self.model.units()
        urgent = [u.call_sign for u in units if u.status == UnitStatus.URGENT_TALK]
        talk = [u.call_sign for u in units if u.status == UnitStatus.TALK]
        parts = []
        if urgent:
            parts.append(self.tr("URGENT request to talk: %1").replace("%1", ", ".join(urgent)))
        if talk:
            parts.append(self.tr("Request to talk: %1").replace("%1", ", ".join(talk)))
        if parts:
            self.talk_banner.setStyleSheet(theme.talk_banner_style(bool(urgent)))
            self.talk_banner.setText("  ·  ".join(parts))
            self.talk_banner.show()
        else:
            self.talk_banner.hide()
        available = sum(1 for u in units if u.status in ("1", "2") and u.incident_id is None)
        self.count_label.setText(
            self.tr("%1 of %2 available")
            .replace("%1", str(available))
            .replace("%2", str(len(units)))
        )


def install(window: MainWindow) -> UnitStatusBoard | None:
    """Add the unit status board (right dock) and its shortcuts to the main window.

    Returns None (and adds nothing) for roles that may not read unit data.
    """
    if not window.ctx.can(Permission.UNIT_READ):
        return None
    board = UnitStatusBoard(window.ctx, window)
    window.add_pane("units", board.tr("Units"), board, Qt.DockWidgetArea.RightDockWidgetArea)
    navigator = window.navigator
    navigator.add_pane("units", board.focus_table, board.select_unit, board.model)
    window.commands.bind("go.units", lambda: navigator.go_to("units"))
    window.commands.list_keys(
        "unit.select",
        "unit.status",
        "unit.confirm",
        "unit.undo",
        "unit.emergency",
        "unit.history",
        "unit.menu",
    )
    board.incidentRequested.connect(lambda incident_id: navigator.show_incident(incident_id))
    window.when_started(board.model.reload)
    return board
