"""The head of the incident detail: number, priority, status, category, place and the times.

Nothing here is cut: the category and the address wrap onto further lines when the pane is
narrow (German labels run long), and the coordinates are written the German way.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.domain.codes import (
    IncidentStatus,
    category_label,
    outcome_label,
    priority_label,
    status_label,
)
from app.domain.dto import IncidentDetail
from app.domain.geo import format_coordinates
from app.platform.timeutil import format_local, utcnow
from ui import theme
from ui.models.incident_queue import PRIORITY_COLOURS, format_duration


def _since(start: datetime, until: datetime) -> str:
    return format_duration((until - start).total_seconds())


class IncidentHeader(QWidget):
    """Shows who, what, where and when of one incident; the running times tick every second."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("IncidentHeader")
        self._detail: IncidentDetail | None = None

        def label(name: str, wrap: bool = False) -> QLabel:
            widget = QLabel(self)
            widget.setObjectName(name)
            widget.setWordWrap(wrap)
            return widget

        self.number_label = label("detailNumber")
        self.number_label.setStyleSheet(theme.heading_style())
        self.number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = label("detailStatus")
        self.priority_label = label("detailPriority")
        self.category_label = label("detailCategory", wrap=True)
        self.category_label.setStyleSheet(theme.text_style(bold=True))
        self.outcome_label = label("detailOutcome", wrap=True)
        self.address_label = label("detailAddress", wrap=True)
        self.address_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stadtteil_label = label("detailStadtteil")
        self.coordinates_label = label("detailCoordinates")
        self.coordinates_label.setStyleSheet(theme.text_style("muted"))
        self.coordinates_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.setSpacing(10)
        for w in (self.number_label, self.priority_label, self.status_label):
            top.addWidget(w)
        top.addWidget(self.category_label, 2)
        top.addWidget(self.outcome_label, 1)
        place = QHBoxLayout()
        place.setSpacing(10)
        place.addWidget(self.address_label, 1)
        place.addWidget(self.stadtteil_label)
        place.addWidget(self.coordinates_label)

        self.created_label = label("detailCreated")
        self.dispatched_label = label("detailDispatched")
        self.on_scene_label = label("detailOnScene")
        self.closed_label = label("detailClosed")
        times = QHBoxLayout()
        times.setSpacing(18)
        for w in (self.created_label, self.dispatched_label, self.on_scene_label):
            times.addWidget(w)
        times.addWidget(self.closed_label, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addLayout(top)
        box.addLayout(place)
        box.addLayout(times)

        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._tick_times)
        self._tick.start()

    def show_detail(self, d: IncidentDetail) -> None:
        """Show ``d``."""
        self._detail = d
        self.number_label.setText(d.number)
        self.status_label.setText(status_label(d.status))
        closed = d.status == IncidentStatus.CLOSED
        self.status_label.setStyleSheet(
            theme.chip_style("closed_chip", "text_soft")
            if closed
            else theme.chip_style("open_chip")
        )
        colour = PRIORITY_COLOURS.get(d.priority)
        self.priority_label.setText(priority_label(d.priority))
        self.priority_label.setStyleSheet(
            theme.chip_style(f"priority_{d.priority}" if colour is not None else None, border=True)
            + ("font-weight: bold;" if d.priority == 1 else "")
        )
        self.category_label.setText(category_label(d.category))
        self.address_label.setText(d.address or self.tr("No address"))
        self.stadtteil_label.setText(d.stadtteil or self.tr("District unknown"))
        self.coordinates_label.setText(
            format_coordinates(d.lat, d.lon)
            if d.lat is not None and d.lon is not None
            else self.tr("no coordinates")
        )
        self.outcome_label.setText(
            self.tr("Outcome: %1").replace("%1", outcome_label(d.outcome)) if d.outcome else ""
        )
        self.outcome_label.setToolTip(d.outcome_note or "")
        self.update_times()

    def _tick_times(self) -> None:
        if self.isVisible() and self._detail is not None and self._detail.closed_at is None:
            self.update_times()

    def update_times(self) -> None:
        """Received, dispatched, on scene, closed – with the running durations."""
        d = self._detail
        if d is None:
            return
        now = utcnow()
        end = d.closed_at or now
        created = self.tr("Received %1").replace("%1", format_local(d.created_at))
        if d.closed_at is None:
            created += " · " + self.tr("running %1").replace("%1", _since(d.created_at, now))
        self.created_label.setText(created)
        if d.dispatched_at is not None:
            text = self.tr("Dispatched %1 (+%2)").replace("%1", format_local(d.dispatched_at))
            self.dispatched_label.setText(text.replace("%2", _since(d.created_at, d.dispatched_at)))
        else:
            self.dispatched_label.setText(self.tr("Not dispatched"))
        if d.on_scene_at is not None:
            start = d.dispatched_at or d.created_at
            text = self.tr("On scene %1 (+%2)").replace("%1", format_local(d.on_scene_at))
            self.on_scene_label.setText(text.replace("%2", _since(start, d.on_scene_at)))
        elif d.dispatched_at is not None and d.closed_at is None:
            self.on_scene_label.setText(
                self.tr("En route for %1").replace("%1", _since(d.dispatched_at, end))
            )
        else:
            self.on_scene_label.setText("")
        if d.closed_at is not None:
            text = self.tr("Closed %1 (total %2)").replace("%1", format_local(d.closed_at))
            self.closed_label.setText(text.replace("%2", _since(d.created_at, d.closed_at)))
        else:
            self.closed_label.setText("")
