"""Date and time fields in Berlin time that never change by accident.

A QDateTimeEdit accepts anything from 14.09.1752 and changes its value under the arrow keys and
the mouse wheel as soon as the cursor passes through it. These fields keep to the accepted range
(:data:`app.platform.timeutil.EARLIEST_DATE` to :data:`~app.platform.timeutil.LATEST_DATE`, the
same range the services check) and step with the arrow keys or the wheel only once the user
has deliberately started editing them (typed a digit, clicked into them, opened the calendar).
Tabbing through a date field leaves it as it was.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, QEvent, QObject, Qt, QTimeZone, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QDateTimeEdit, QHBoxLayout, QWidget

from app.platform.timeutil import BERLIN, EARLIEST_DATE, LATEST_DATE, utcnow

BERLIN_TZ = QTimeZone(b"Europe/Berlin")
#: The range the fields offer: the accepted range, within whole years of Berlin time.
FIRST = max(EARLIEST_DATE, datetime(EARLIEST_DATE.year, 1, 1, tzinfo=BERLIN))
LAST = min(LATEST_DATE, datetime(LATEST_DATE.year, 12, 31, 23, 59, tzinfo=BERLIN))
DATETIME_FORMAT = "dd.MM.yyyy HH:mm"
#: Keys that step the value of a spin box (only once the field is being edited).
STEP_KEYS = frozenset({Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown})
#: Keys (besides digits) that start editing a date field deliberately.
EDIT_KEYS = frozenset({Qt.Key.Key_Backspace, Qt.Key.Key_Delete, Qt.Key.Key_F4})


def to_qdatetime(value: datetime) -> QDateTime:
    """An aware datetime as a QDateTime in Berlin time."""
    secs = int(value.timestamp())
    return QDateTime.fromSecsSinceEpoch(secs, BERLIN_TZ)


def from_qdatetime(value: QDateTime) -> datetime:
    """A QDateTime (any zone) as an aware UTC datetime, to the minute."""
    return datetime.fromtimestamp(value.toSecsSinceEpoch(), UTC).replace(second=0, microsecond=0)


def same_minute(a: datetime | None, b: datetime | None) -> bool:
    """True if both are None or name the same minute (pickers show minutes, not seconds)."""
    if a is None or b is None:
        return a is None and b is None
    return a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)


def next_full_hour(hours: int = 1) -> datetime:
    """Now plus ``hours``, rounded down to the full hour (a sensible default in pickers)."""
    return (utcnow() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


class BerlinDateTimeEdit(QDateTimeEdit):
    """Date and time in Berlin time (whatever the machine's zone), with a calendar popup.

    Only dates in the accepted range can be entered. Arrow keys and the wheel change the value
    only while the field is *armed*: after a digit was typed, a click into it or the calendar
    was opened; leaving the field disarms it again.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTimeZone(BERLIN_TZ)
        self.setDisplayFormat(DATETIME_FORMAT)
        self.setCalendarPopup(True)
        self.setMinimumDateTime(to_qdatetime(FIRST))
        self.setMaximumDateTime(to_qdatetime(LAST))
        # An impossible entry goes back to the value before, never to the "nearest" one.
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToPreviousValue)
        # The wheel must not pull the focus (and then the value) while scrolling past.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip(
            self.tr(
                "Type the date and time (years %1 to %2); ↑/↓ change the part under the cursor "
                "once you have started typing; Alt+↓ opens the calendar."
            )
            .replace("%1", str(EARLIEST_DATE.year))
            .replace("%2", str(LATEST_DATE.year))
        )
        self._armed = False
        self.set_value(next_full_hour())
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("00.00.0000 00:00") + 48)
        self.lineEdit().installEventFilter(self)

    @property
    def armed(self) -> bool:
        """True while arrow keys and the wheel may change the value."""
        return self._armed

    def value(self) -> datetime:
        """The chosen moment (UTC, aware)."""
        return from_qdatetime(self.dateTime())

    def set_value(self, value: datetime) -> None:
        """Show ``value`` in Berlin time (clamped to the accepted range)."""
        self.setDateTime(to_qdatetime(min(max(value, FIRST), LAST)))

    # -- events -----------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if key in STEP_KEYS and not alt:
            if not self._armed:
                event.ignore()  # passing through: nothing changes
                return
        elif event.text().isdigit() or key in EDIT_KEYS or (alt and key == Qt.Key.Key_Down):
            self._armed = True  # typing, deleting or opening the calendar is deliberate
        super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if not (self.hasFocus() and self._armed):
            event.ignore()  # let the form scroll; the value stays
            return
        super().wheelEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._armed = True
        super().mousePressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self._armed = False
        super().focusOutEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.lineEdit() and event.type() == QEvent.Type.MouseButtonPress:
            self._armed = True
        return super().eventFilter(watched, event)


class OptionalDateTime(QWidget):
    """A check box that switches a Berlin date/time field on (a due date, a Wiedervorlage)."""

    changed = Signal()

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = QCheckBox(label, self)
        self.edit = BerlinDateTimeEdit(self)
        self.edit.setEnabled(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.edit)
        layout.addStretch(1)
        self.check.toggled.connect(self._toggled)
        self.edit.dateTimeChanged.connect(lambda _d: self.changed.emit())
        self.setFocusProxy(self.check)

    def _toggled(self, on: bool) -> None:
        self.edit.setEnabled(on)
        if on:
            self.edit.setFocus()
        self.changed.emit()

    def value(self) -> datetime | None:
        """The moment, or None when switched off."""
        return self.edit.value() if self.check.isChecked() else None

    def set_value(self, value: datetime | None, default: datetime | None = None) -> None:
        """Switch on with ``value``, or off (showing ``default`` for when it is switched on)."""
        self.check.blockSignals(True)
        self.check.setChecked(value is not None)
        self.check.blockSignals(False)
        self.edit.setEnabled(value is not None)
        shown = value or default
        if shown is not None:
            self.edit.set_value(shown)
