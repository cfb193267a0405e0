"""The units on an incident (on scene, release) and the incident's actions (assign, close,
reopen)."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.domain.codes import UnitStatus
from app.domain.dto import IncidentDetail
from app.domain.unit_state import alarm_overdue, state_text
from app.platform.timeutil import local
from ui import theme
from ui.models.unit_board import STATUS_STYLES
from ui.views.flow_layout import FlowLayout

#: An alarm nobody confirmed in time, or a unit in Notruf: in the board's Notruf colours.
OVERDUE_STYLE = (
    f"color: {STATUS_STYLES['N'].foreground.name()}; "
    f"background: {STATUS_STYLES['N'].background.name()}; font-weight: bold; padding: 1px 3px;"
)


class UnitsSection(QGroupBox):
    """Each assigned unit with "on scene" and "release" buttons; released ones below; then
    the action buttons of the incident."""

    #: The alarmed unit confirmed by radio: status 3 (unit id).
    confirmRequested = Signal(int)
    #: The unit reports on scene (unit id).
    arriveRequested = Signal(int)
    #: Release the unit to status 1 or 2 (unit id, status).
    releaseRequested = Signal(int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Units"))
        self.setObjectName("detailUnits")
        self.units_area = QScrollArea(self)
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
        # (While a unit is alarmed its "Confirmed (3)" button comes first; the row wraps.)
        self.units_area.setMinimumWidth(sum(probe) + 3 * 8)
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._detail: IncidentDetail | None = None
        self._can_assign = False
        self._reason = ""
        # An alarm becomes overdue by the clock alone: show it again at its due time.
        self._due_timer = QTimer(self)
        self._due_timer.setSingleShot(True)
        self._due_timer.timeout.connect(self._redraw)

        self.assign_button = QPushButton(self.tr("Assign unit …"), self)
        self.assign_button.setObjectName("detailAssign")
        self.close_button = QPushButton(self.tr("Close incident …"), self)
        self.close_button.setObjectName("detailClose")
        self.close_button.setToolTip(self.tr("Close with an outcome (Ctrl+E)"))
        self.reopen_button = QPushButton(self.tr("Reopen …"), self)
        self.reopen_button.setObjectName("detailReopen")
        actions = QGridLayout()
        actions.addWidget(self.assign_button, 0, 0, 1, 2)
        actions.addWidget(self.close_button, 1, 0)
        actions.addWidget(self.reopen_button, 1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.units_area, 1)
        layout.addLayout(actions)

    def _redraw(self) -> None:
        if self._detail is not None:
            self.show_units(self._detail, self._can_assign, self._reason)

    def unconfirmed(self) -> list[int]:
        """Units on the incident that were alarmed and have not confirmed (oldest first)."""
        if self._detail is None:
            return []
        return [a.unit_id for a in self._detail.active_assignments if a.confirmed_at is None]

    def confirm_first(self) -> None:
        """Alt+3: the one unconfirmed unit confirms; with several, the first one's button
        takes the focus (Space confirms it, Tab moves on) so that no wrong unit is confirmed."""
        waiting = [
            b
            for b in (self.unit_buttons.get(f"unitConfirm_{u}") for u in self.unconfirmed())
            if b is not None and b.isEnabled()
        ]
        if len(waiting) == 1:
            waiting[0].click()
        elif waiting:
            waiting[0].setFocus(Qt.FocusReason.ShortcutFocusReason)

    def show_units(self, d: IncidentDetail, can_assign: bool, reason: str) -> None:
        """Rebuild the unit rows for ``d`` (the focused button keeps the focus).

        Each unit's state is its status on the board (one truth), or its open alarm.
        """
        self._detail, self._can_assign, self._reason = d, can_assign, reason
        now = self.now()
        focused = self.focusWidget()
        focused_name = focused.objectName() if focused in self.unit_buttons.values() else ""
        while self.units_grid.count():
            item = self.units_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.unit_buttons = {}
        if not d.assignments:
            empty = QLabel(self.tr("No unit assigned."), self.units_host)
            empty.setObjectName("detailNoUnits")
            empty.setStyleSheet(theme.text_style("placeholder"))
            self.units_grid.addWidget(empty, 0, 0, 1, 2)
        row = 0
        for a in d.active_assignments:
            name = QLabel(f"<b>{html.escape(a.call_sign)}</b>", self.units_host)
            alarmed = a.confirmed_at is None
            overdue = alarmed and alarm_overdue(a.confirm_due_at, now)
            state = state_text(
                a.status,
                a.assigned_at if alarmed else None,
                a.confirm_due_at,
                now,
                local(a.assigned_at).strftime("%H:%M"),
            )
            if not alarmed and a.status == UnitStatus.ON_SCENE and a.on_scene_at is not None:
                state += " " + self.tr("since %1").replace(
                    "%1", local(a.on_scene_at).strftime("%H:%M")
                )
            elif not alarmed and a.status == UnitStatus.EN_ROUTE:
                state += " " + self.tr("since %1").replace(
                    "%1", local(a.confirmed_at or a.assigned_at).strftime("%H:%M")
                )
            state_label = QLabel(state, self.units_host)
            state_label.setObjectName(f"unitState_{a.unit_id}")
            state_label.setWordWrap(True)
            state_label.setProperty("alarm", "overdue" if overdue else "open" if alarmed else "")
            if overdue or a.status == UnitStatus.EMERGENCY:
                state_label.setStyleSheet(OVERDUE_STYLE)
            buttons = QWidget(self.units_host)
            button_row = FlowLayout(buttons)
            button_row.setContentsMargins(0, 0, 0, 6)
            for text, name_prefix, tip, slot in (
                (
                    self.tr("Confirmed (3)"),
                    "unitConfirm",
                    self.tr("The unit confirmed the alarm by radio (Alt+3)"),
                    self._confirm(a.unit_id),
                ),
                (self.tr("On scene (4)"), "unitArrive", "", self._arrive(a.unit_id)),
                (
                    self.tr("Release → 1"),
                    "unitRelease1",
                    self.tr("Release the unit: available on radio (status 1)"),
                    self._release(a.unit_id, "1"),
                ),
                (
                    self.tr("Release → 2"),
                    "unitRelease2",
                    self.tr("Release the unit: available at the station (status 2)"),
                    self._release(a.unit_id, "2"),
                ),
            ):
                button = QPushButton(text, self.units_host)
                button.setObjectName(f"{name_prefix}_{a.unit_id}")
                button.setToolTip(tip if can_assign else reason)
                button.setEnabled(can_assign)
                button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
                button.clicked.connect(slot)
                button_row.addWidget(button)
                self.unit_buttons[button.objectName()] = button
            self.unit_buttons[f"unitConfirm_{a.unit_id}"].setVisible(alarmed)
            self.unit_buttons[f"unitConfirm_{a.unit_id}"].setEnabled(can_assign and alarmed)
            self.unit_buttons[f"unitArrive_{a.unit_id}"].setEnabled(
                can_assign and a.status != UnitStatus.ON_SCENE
            )
            self.units_grid.addWidget(name, row, 0)
            self.units_grid.addWidget(state_label, row, 1)
            self.units_grid.addWidget(buttons, row + 1, 0, 1, 2)
            row += 2
        for a in d.assignments:
            if a.released_at is None:
                continue
            label = QLabel(
                self.tr("%1 released %2")
                .replace("%1", a.call_sign)
                .replace("%2", local(a.released_at).strftime("%H:%M")),
                self.units_host,
            )
            label.setObjectName(f"unitReleased_{a.unit_id}")
            label.setStyleSheet(theme.text_style("placeholder"))
            self.units_grid.addWidget(label, row, 0, 1, 2)
            row += 1
        self.units_grid.setColumnStretch(1, 1)
        self.units_grid.setRowStretch(row + 1, 1)
        if focused_name and focused_name in self.unit_buttons:
            button = self.unit_buttons[focused_name]
            if button.isEnabled():
                button.setFocus()
        due = [
            a.confirm_due_at
            for a in d.active_assignments
            if a.confirm_due_at is not None and a.confirm_due_at > now
        ]
        if due:
            wait_ms = int((min(due) - now).total_seconds() * 1000) + 50
            self._due_timer.start(max(0, wait_ms))
        else:
            self._due_timer.stop()

    def _confirm(self, unit_id: int) -> Callable[..., None]:
        return lambda _c=False: self.confirmRequested.emit(unit_id)

    def _arrive(self, unit_id: int) -> Callable[..., None]:
        return lambda _c=False: self.arriveRequested.emit(unit_id)

    def _release(self, unit_id: int, status: str) -> Callable[..., None]:
        return lambda _c=False: self.releaseRequested.emit(unit_id, status)
