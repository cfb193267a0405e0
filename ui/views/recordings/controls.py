"""The clip player's controls: seek bar with time, play/pause, frame step, speed, sound, full
screen. Their tooltips name the keys declared in :mod:`ui.command_list`."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.command_list import command
from ui.views.recordings.timeline import TimelineBar


def rate_text(rate: float) -> str:
    """A speed as people say it: 1/8×, 1/2×, 1×, 4×."""
    if rate >= 1:
        return f"{rate:g}×"
    return f"1/{round(1 / rate)}×"


def _button(parent: QWidget, text: str, command_id: str, checkable: bool = False) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setObjectName(command_id)
    spec = command(command_id)
    keys = spec.keys_text()
    label = spec.text().replace("&", "")
    button.setToolTip(f"{label} ({keys})" if keys else label)
    button.setCheckable(checkable)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


class ControlBar(QWidget):
    """Seek bar over one row of buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clipControls")
        self.timeline = TimelineBar(self)
        self.time_label = QLabel("0:00.00 / 0:00.00", self)
        self.time_label.setObjectName("clipTime")
        self.time_label.setMinimumWidth(
            self.time_label.fontMetrics().horizontalAdvance("0:00:00.00 / 0:00:00.00")
        )
        self.play_button = _button(
            self, QCoreApplication.translate("ClipPlayer", "Play"), "clip.play"
        )
        self.step_button = _button(
            self, QCoreApplication.translate("ClipPlayer", "Next frame"), "clip.step"
        )
        self.slower_button = _button(
            self, QCoreApplication.translate("ClipPlayer", "Slower"), "clip.slower"
        )
        self.rate_label = QLabel(self)
        self.rate_label.setObjectName("clipRate")
        self.rate_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rate_label.setMinimumWidth(self.rate_label.fontMetrics().horizontalAdvance("1/8× "))
        self.faster_button = _button(
            self, QCoreApplication.translate("ClipPlayer", "Faster"), "clip.faster"
        )
        self.mute_button = _button(
            self, QCoreApplication.translate("ClipPlayer", "Mute"), "clip.mute", checkable=True
        )
        self.volume = QSlider(Qt.Orientation.Horizontal, self)
        self.volume.setObjectName("clipVolume")
        self.volume.setRange(0, 100)
        self.volume.setValue(80)
        self.volume.setMinimumWidth(70)
        self.volume.setMaximumWidth(110)
        self.volume.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.volume.setToolTip(QCoreApplication.translate("ClipPlayer", "Volume"))
        self.fullscreen_button = _button(
            self,
            QCoreApplication.translate("ClipPlayer", "Full screen"),
            "clip.fullscreen",
            checkable=True,
        )
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (
            self.play_button,
            self.step_button,
            self.slower_button,
            self.rate_label,
            self.faster_button,
        ):
            row.addWidget(widget)
        row.addWidget(self.time_label)
        row.addStretch(1)
        row.addWidget(self.mute_button)
        row.addWidget(self.volume)
        row.addWidget(self.fullscreen_button)
        self.extra = QHBoxLayout()
        self.extra.setContentsMargins(0, 0, 0, 0)
        row.insertLayout(row.count() - 3, self.extra)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.timeline)
        layout.addLayout(row)

    def set_playing(self, playing: bool) -> None:
        """Show Pause while playing, else Play."""
        self.play_button.setText(
            QCoreApplication.translate("ClipPlayer", "Pause")
            if playing
            else QCoreApplication.translate("ClipPlayer", "Play")
        )

    def set_rate(self, rate: float) -> None:
        """Show the speed chosen."""
        self.rate_label.setText(rate_text(rate))

    def set_time_text(self, text: str) -> None:
        """Show position and length."""
        self.time_label.setText(text)
