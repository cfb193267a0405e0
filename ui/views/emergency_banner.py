"""What the emergency alarm shows: the flashing banner and the strip that reserves its place.

The strip sits under the menu bar at a fixed height all the time (quietly saying "no open
emergency", or warning that the alarm sound cannot be heard). The banner lies over it: the panes
never move when an emergency comes in or is acknowledged; a second emergency's line lies over the
top of the panes for as long as it is open.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.dto import Emergency
from app.domain.geo import format_coordinates
from app.platform.timeutil import format_local, local, utcnow
from app.services.stadtteile import last_known_stadtteil
from ui import theme
from ui.models.incident_queue import format_duration
from ui.position_age import position_age

#: Margins and button height of one banner line (the strip reserves exactly that much).
LINE_MARGIN = 5
BUTTON_HEIGHT = 34
FONT_SCALE = 1.35
#: Marks an old position inside the red banner.
STALE_STYLE = theme.html_mark_style()


def _banner_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setBold(True)
    font.setPointSizeF(max(font.pointSizeF(), 9.0) * FONT_SCALE)
    return font


def _native(keys: str) -> str:
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


class EmergencyBanner(QFrame):
    """Flashing red banner: one line per open emergency with its acknowledge button."""

    #: The user pressed an acknowledge button (unit id).
    acknowledgeRequested = Signal(int)
    #: The banner flashed (phase 0 or 1): the window title flashes along.
    flashed = Signal(int)
    #: Lines came or went, or a text changed its length: whoever places the banner re-places it.
    contentChanged = Signal()

    FLASH_MS = 600

    def __init__(
        self, can_acknowledge: bool, keys: str = "Ctrl+Shift+A", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("EmergencyBanner")
        self._can_ack = can_acknowledge
        self._keys = keys
        self._emergencies: list[Emergency] = []
        self._lines: list[tuple[QLabel, QPushButton]] = []
        self._phase = 0
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(12, LINE_MARGIN, 12, LINE_MARGIN)
        self._layout.setSpacing(2)
        self.sound_warning = QLabel(self)
        self.sound_warning.setObjectName("emergencySoundWarning")
        self.sound_warning.setWordWrap(True)
        self.sound_warning.setFont(_banner_font(self.font()))
        self.sound_warning.hide()
        self._layout.addWidget(self.sound_warning)
        self._flash = QTimer(self)
        self._flash.setInterval(self.FLASH_MS)
        self._flash.timeout.connect(self._toggle)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._update_texts)
        self._apply_style()
        self.hide()

    @staticmethod
    def line_height(font: QFont) -> int:
        """Height of a banner with one line (of one text row) in ``font``'s family."""
        text = QFontMetrics(_banner_font(font)).lineSpacing()
        return 2 * LINE_MARGIN + max(BUTTON_HEIGHT, text + 4)

    @staticmethod
    def warning_height(font: QFont) -> int:
        """Height of the banner's line saying that the alarm cannot be heard."""
        return QFontMetrics(_banner_font(font)).lineSpacing() + 6

    @property
    def emergencies(self) -> list[Emergency]:
        """The emergencies shown (oldest first)."""
        return list(self._emergencies)

    def buttons(self) -> list[QPushButton]:
        """The acknowledge buttons, one per emergency."""
        return [b for _l, b in self._lines]

    def labels(self) -> list[QLabel]:
        """The text lines, one per emergency."""
        return [lbl for lbl, _b in self._lines]

    def set_sound_problem(self, problem: str) -> None:
        """Say in the banner that the alarm cannot be heard here (empty: it can)."""
        self.sound_warning.setText(
            "\u26a0 "
            + self.tr("NO ALARM SOUND on this workstation (%1): watch the screen!").replace(
                "%1", problem
            )
        )
        self.sound_warning.setVisible(bool(problem))
        self.contentChanged.emit()

    def set_emergencies(self, emergencies: Sequence[Emergency]) -> None:
        """Show these emergencies (hide the banner when there are none)."""
        self._emergencies = list(emergencies)
        while len(self._lines) > len(self._emergencies):
            label, _button = self._lines.pop()
            row = label.parentWidget()
            assert row is not None
            row.hide()
            row.deleteLater()
        while len(self._lines) < len(self._emergencies):
            self._lines.append(self._add_line())
        for (_label, button), e in zip(self._lines, self._emergencies, strict=True):
            button.setProperty("unit_id", e.unit_id)
            button.setObjectName(f"acknowledgeEmergency_{e.unit_id}")
        self._update_texts()
        if self._emergencies:
            self.show()
            self.raise_()
            if not self._flash.isActive():
                self._flash.start()
                self._clock.start()
        else:
            self._flash.stop()
            self._clock.stop()
            self.hide()
        self.contentChanged.emit()

    def _add_line(self) -> tuple[QLabel, QPushButton]:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(row)
        label.setObjectName("emergencyText")
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setFont(_banner_font(label.font()))
        label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        button = QPushButton(row)
        button.setObjectName("acknowledgeEmergency")
        button.setText(self.tr("Acknowledge (%1)").replace("%1", _native(self._keys)))
        button.setFixedHeight(BUTTON_HEIGHT)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        # Never takes the keyboard: a click must not leave the focus on a button that vanishes
        # with the emergency (Qt would hand the focus to some other widget).
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setEnabled(self._can_ack)
        if not self._can_ack:
            button.setToolTip(
                self.tr(
                    "Only a dispatcher or the shift lead can acknowledge an emergency. "
                    "Tell them at once."
                )
            )
        else:
            button.setToolTip(
                self.tr("Take over the emergency: stops the alarm on every workstation")
            )
        button.clicked.connect(lambda: self._clicked(button))
        layout.addWidget(label, 1)
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        self._layout.insertWidget(self._layout.count() - 1, row)
        return label, button

    def _clicked(self, button: QPushButton) -> None:
        unit_id = button.property("unit_id")
        if unit_id is not None:
            self.acknowledgeRequested.emit(int(unit_id))

    def text_for(self, e: Emergency) -> str:
        """The banner line for one emergency (rich text: an old position is marked)."""
        parts = [
            html.escape("\u26a0 " + self.tr("EMERGENCY (Notruf) %1").replace("%1", e.call_sign)),
            html.escape(
                self.tr("since %1 (%2)")
                .replace("%1", local(e.raised_at).strftime("%H:%M:%S"))
                .replace("%2", format_duration((utcnow() - e.raised_at).total_seconds()))
            ),
        ]
        if e.lat is not None and e.lon is not None:
            where = last_known_stadtteil(e.lat, e.lon) or self.tr("outside the city")
            parts.append(
                html.escape(
                    self.tr("last position %1 (%2)")
                    .replace("%1", where)
                    .replace("%2", format_coordinates(e.lat, e.lon))
                )
                + " "
                + self._age_html(e)
            )
        else:
            parts.append(html.escape(self.tr("no position known")))
        if e.incident_number:
            parts.append(
                html.escape(
                    self.tr("incident %1, %2")
                    .replace("%1", e.incident_number)
                    .replace("%2", e.incident_address or "")
                    .rstrip(", ")
                )
            )
        return " &nbsp;·&nbsp; ".join(parts)

    def _age_html(self, e: Emergency) -> str:
        age = position_age(e.position_at)
        if not age.stale:
            return html.escape(self.tr("– position %1").replace("%1", age.text))
        text = "\u26a0 " + self.tr("OLD POSITION (%1)").replace("%1", age.text)
        return f"<span style='{STALE_STYLE}'>&nbsp;{html.escape(text)}&nbsp;</span>"

    def _update_texts(self) -> None:
        for (label, _button), e in zip(self._lines, self._emergencies, strict=True):
            label.setText(self.text_for(e))
            label.setToolTip(
                self.tr("Raised %1").replace("%1", format_local(e.raised_at, with_seconds=True))
            )

    def _toggle(self) -> None:
        self._phase ^= 1
        self._apply_style()
        self.flashed.emit(self._phase)

    @property
    def phase(self) -> int:
        """Flash phase (0 or 1): changes while the banner flashes."""
        return self._phase

    def _apply_style(self) -> None:
        self.setStyleSheet(theme.emergency_banner_style(self._phase))


_PLACE_EVENTS = (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show)


class AlarmStrip(QFrame):
    """The place reserved for the emergency banner, under the menu bar, at a fixed height.

    Quiet, it says that no emergency is open, or warns that the alarm sound cannot be heard.
    The banner (a child of ``window``, outside every layout) is laid over it whenever it shows.
    """

    def __init__(self, banner: EmergencyBanner, window: QWidget) -> None:
        super().__init__()
        self.setObjectName("alarmStrip")
        self._banner = banner
        self._window = window
        self._problem = ""
        self.idle = QLabel(self)
        self.idle.setObjectName("alarmStripText")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 0, 12, 0)
        layout.addWidget(self.idle)
        self.set_sound_problem("")
        banner.setParent(window)
        banner.contentChanged.connect(self._place_soon)
        self.installEventFilter(self)
        banner.installEventFilter(self)

    def set_sound_problem(self, problem: str) -> None:
        """Quiet text, or the warning that the alarm cannot be heard here.

        While the sound is missing the strip also keeps room for the banner's line saying so
        (that changes the layout once, when the audio device goes or comes, never with an alarm).
        """
        self._problem = problem
        font = self._window.font()
        extra = EmergencyBanner.warning_height(font) if problem else 0
        self.setFixedHeight(EmergencyBanner.line_height(font) + extra)
        if problem:
            self.idle.setText(
                "\u26a0 "
                + self.tr(
                    "Alarm sound not available on this workstation (%1): an emergency is "
                    "only shown on the screen."
                ).replace("%1", problem)
            )
            self.setStyleSheet(theme.alarm_strip_style(warning=True))
        else:
            self.idle.setText(self.tr("No open emergency"))
            self.setStyleSheet(theme.alarm_strip_style(warning=False))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self and event.type() in _PLACE_EVENTS) or (
            watched is self._banner and event.type() == QEvent.Type.LayoutRequest
        ):
            self._place_soon()
        return super().eventFilter(watched, event)

    def _place_soon(self) -> None:
        # After the banner's layout has taken in new lines (their sizes are known then).
        QTimer.singleShot(0, self, self.place)

    def place(self) -> None:
        """Lay the banner over the strip (taller if its lines need it)."""
        banner = self._banner
        if not self.isVisible():
            return
        top_left = self.mapTo(self._window, QPoint(0, 0))
        width = self.width()
        layout = banner.layout()
        assert layout is not None
        layout.activate()
        needed = max(layout.heightForWidth(width), layout.minimumSize().height())
        height = max(self.height(), needed)
        banner.setGeometry(top_left.x(), top_left.y(), width, height)
        banner.raise_()
