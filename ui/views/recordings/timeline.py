"""The clip viewer's seek bar: the played part, the bookmarks as marks, click or drag to seek."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ui import theme
from ui.models.recording_text import format_clip_time

_MARGIN = 8
_TRACK = 6
_MARK_HALF = 4


class TimelineBar(QWidget):
    """A horizontal seek bar over the clip's length with bookmark marks."""

    #: The position (ms) the user clicked or dragged to.
    seekRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clipTimeline")
        self.setMinimumHeight(24)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._length = 0
        self._position = 0
        self._marks: list[tuple[int, str]] = []
        self._dragging = False

    def sizeHint(self) -> QSize:
        return QSize(400, 24)

    # -- state ------------------------------------------------------------------------------

    def set_length(self, ms: int) -> None:
        """The clip's length in milliseconds (0: unknown)."""
        self._length = max(0, int(ms))
        self.update()

    def length(self) -> int:
        """The clip's length in milliseconds."""
        return self._length

    def set_position(self, ms: int) -> None:
        """Where playback is (ignored while the user drags)."""
        if not self._dragging:
            self._position = max(0, int(ms))
            self.update()

    def position(self) -> int:
        """The position shown (ms)."""
        return self._position

    def set_marks(self, marks: Sequence[tuple[int, str]]) -> None:
        """The bookmarks: (position ms, note) each."""
        self._marks = list(marks)
        self.update()

    # -- geometry ---------------------------------------------------------------------------

    def _track(self) -> QRect:
        return QRect(_MARGIN, (self.height() - _TRACK) // 2, self.width() - 2 * _MARGIN, _TRACK)

    def x_of(self, ms: int) -> int:
        """The x coordinate of position ``ms``."""
        track = self._track()
        if self._length <= 0:
            return track.left()
        return track.left() + round(track.width() * min(ms, self._length) / self._length)

    def ms_at(self, x: int) -> int:
        """The position under x coordinate ``x``."""
        track = self._track()
        if self._length <= 0 or track.width() <= 0:
            return 0
        share = min(max((x - track.left()) / track.width(), 0.0), 1.0)
        return round(share * self._length)

    def _mark_at(self, pos: QPoint) -> tuple[int, str] | None:
        for ms, note in self._marks:
            if abs(self.x_of(ms) - pos.x()) <= _MARK_HALF + 1:
                return ms, note
        return None

    # -- painting and mouse -----------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        track = self._track()
        painter.fillRect(track, theme.qcolor("timeline_track"))
        played = QRect(track)
        played.setRight(self.x_of(self._position))
        painter.fillRect(played, theme.qcolor("timeline_played"))
        painter.setPen(QPen(theme.qcolor("timeline_bookmark"), 3))
        for ms, _note in self._marks:
            x = self.x_of(ms)
            painter.drawLine(x, 2, x, self.height() - 3)
        x = self.x_of(self._position)
        painter.setPen(QPen(theme.qcolor("timeline_handle"), 2))
        painter.setBrush(theme.qcolor("timeline_track"))
        painter.drawEllipse(QPoint(x, self.height() // 2), 6, 6)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._length > 0:
            self._dragging = True
            self._position = self.ms_at(round(event.position().x()))
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._dragging:
            self._position = self.ms_at(round(event.position().x()))
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._dragging:
            self._dragging = False
            self._position = self.ms_at(round(event.position().x()))
            self.seekRequested.emit(self._position)

    def event(self, event: object) -> bool:
        if isinstance(event, QHelpEvent):
            mark = self._mark_at(event.pos())
            if mark is not None:
                QToolTip.showText(
                    event.globalPos(), f"{format_clip_time(mark[0])} – {mark[1]}", self
                )
            elif self._length > 0:
                QToolTip.showText(
                    event.globalPos(), format_clip_time(self.ms_at(event.pos().x())), self
                )
            return True
        return super().event(event)  # type: ignore[arg-type]
