"""Building blocks of the Auftrag and Meldung dialogs: Berlin date/time fields, address field
with gazetteer completion, category choice, and a form frame that saves through a service.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QDateTime,
    QEvent,
    QObject,
    QStringListModel,
    Qt,
    QTimer,
    QTimeZone,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.codes import CATEGORIES
from app.domain.gazetteer import Address
from app.platform.errors import ConflictError, KodError, ValidationError
from app.platform.permissions import Permission
from app.platform.timeutil import utcnow
from ui.asyncutil import report_error, spawn
from ui.commands import command_keys
from ui.context import UiContext

BERLIN_TZ = QTimeZone(b"Europe/Berlin")
DATETIME_FORMAT = "dd.MM.yyyy HH:mm"


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


def is_ctrl_enter(event: QEvent) -> bool:
    """Ctrl+Enter (submits a dialog also from a multi-line field)."""
    return (
        isinstance(event, QKeyEvent)
        and event.type() == QEvent.Type.KeyPress
        and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        and bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
    )


class BerlinDateTimeEdit(QDateTimeEdit):
    """Date and time in Berlin time (whatever the machine's zone), with a calendar popup."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTimeZone(BERLIN_TZ)
        self.setDisplayFormat(DATETIME_FORMAT)
        self.setCalendarPopup(True)
        self.set_value(next_full_hour())
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("00.00.0000 00:00") + 48)

    def value(self) -> datetime:
        """The chosen moment (UTC, aware)."""
        return from_qdatetime(self.dateTime())

    def set_value(self, value: datetime) -> None:
        """Show ``value`` in Berlin time."""
        self.setDateTime(to_qdatetime(value))


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


class CategoryCombo(QComboBox):
    """Incident categories with a "none" entry; type-ahead by the label."""

    def __init__(self, none_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.addItem(none_text, None)
        for cat in sorted(CATEGORIES, key=lambda c: c.label):
            self.addItem(cat.label, cat.code)

    def code(self) -> str | None:
        """The chosen category code (None: no category)."""
        value = self.currentData()
        return str(value) if value else None

    def set_code(self, code: str | None) -> None:
        """Select ``code`` (the "none" entry if unknown)."""
        at = self.findData(code) if code else 0
        self.setCurrentIndex(max(at, 0))


class AddressField(QLineEdit):
    """Address with completion from the gazetteer; a chosen address brings its coordinates.

    Typing after a choice drops the coordinates again (they belonged to the chosen address).
    """

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.coordinates: tuple[float, float] | None = None
        self._found: dict[str, Address] = {}
        self._list = QStringListModel(self)
        self._completer = QCompleter(self._list, self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self._completer.activated[str].connect(self._chosen)
        self.setCompleter(self._completer)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self._search)
        self.textEdited.connect(self._edited)
        self._enabled = ctx.can(Permission.INCIDENT_READ) and hasattr(ctx.services, "gazetteer")

    def set_address(self, text: str, lat: float | None, lon: float | None) -> None:
        """Show a stored address with its coordinates."""
        self.setText(text)
        self.coordinates = (lat, lon) if lat is not None and lon is not None else None

    def _edited(self, _text: str) -> None:
        self.coordinates = None
        if self._enabled:
            self._debounce.start()

    def _search(self) -> None:
        text = self.text().strip()
        if len(text) < 3:
            return
        spawn(self._ctx.services.gazetteer.search(self._ctx.actor, text, 12), self._show)

    def _show(self, found: Sequence[Address]) -> None:
        self._found = {a.label: a for a in found}
        self._list.setStringList(list(self._found))
        if found and self.hasFocus():
            self._completer.complete()

    def _chosen(self, label: str) -> None:
        address = self._found.get(label)
        if address is None:
            return
        # The completer has written the label into the field; keep street and number only.
        QTimer.singleShot(0, lambda: self._apply(address))

    def _apply(self, address: Address) -> None:
        self.setText(f"{address.street} {address.house_number}".strip())
        self.coordinates = (address.lat, address.lon)


class WorkFormDialog(QDialog):
    """A form that saves through an async service call and stays open when it is refused.

    Subclasses build the form into :attr:`form`, implement :meth:`submit` (returns the saved
    row) and may override :meth:`on_conflict`. Ctrl+Enter saves from any field; the typed input
    is never lost on a refusal.
    """

    #: Emitted with the saved row before the dialog closes.
    saved = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(True)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.message = QLabel(self)
        self.message.setObjectName("formMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020; font-weight: bold;")
        self.message.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveButton")
        self.save_button.setText(QCoreApplication.translate("WorkDialog", "&Save"))
        self.save_button.setDefault(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(
            QCoreApplication.translate("WorkDialog", "Cancel")
        )
        self.buttons.accepted.connect(self.try_submit)
        self.buttons.rejected.connect(self.reject)
        self.extra_buttons = QHBoxLayout()
        bottom = QHBoxLayout()
        bottom.addLayout(self.extra_buttons)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addLayout(bottom)
        shortcut = QShortcut(self)
        shortcut.setKeys([QKeySequence(k) for k in command_keys("form.submit")])
        shortcut.activated.connect(self.try_submit)
        self.busy = False
        self.result_row: Any = None
        #: Field name (as the service reports it) -> widget to focus on a refusal.
        self.field_widgets: dict[str, QWidget] = {}

    def add_multiline(self, edit: QPlainTextEdit) -> None:
        """Tab leaves a multi-line field and Ctrl+Enter saves from it."""
        edit.setTabChangesFocus(True)
        edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if is_ctrl_enter(event):
            self.try_submit()
            return True
        return super().eventFilter(watched, event)

    async def submit(self) -> Any:
        """Do the service call; return the saved row. Raise to refuse."""
        raise NotImplementedError

    def check_input(self) -> bool:
        """Quick checks before the service call (False: show_error was called)."""
        return True

    def try_submit(self) -> None:
        """Save (once at a time)."""
        if self.busy or not self.check_input():
            return
        self.busy = True
        self.save_button.setEnabled(False)
        spawn(self._run())

    async def _run(self) -> None:
        try:
            row = await self.submit()
        except ValidationError as exc:
            self.show_error(str(exc), exc.field)
            return
        except ConflictError as exc:
            self.on_conflict(exc)
            return
        except KodError as exc:
            self.show_error(str(exc))
            return
        except Exception as exc:
            self.show_error(
                QCoreApplication.translate("WorkDialog", "Saving failed. Your input is still here.")
            )
            report_error(exc)
            return
        finally:
            self.busy = False
            self.save_button.setEnabled(True)
        self.result_row = row
        self.saved.emit(row)
        self.accept()

    def show_error(self, text: str, field: str | None = None) -> None:
        """Say why saving was refused and put the cursor where the problem is."""
        self.message.setText(text)
        self.message.show()
        widget = self.field_widgets.get(field or "")
        if widget is not None:
            widget.setFocus()

    def on_conflict(self, exc: ConflictError) -> None:
        """Someone else saved first (default: show the message)."""
        self.show_error(str(exc))

    def set_tab_order(self, widgets: Sequence[QWidget]) -> None:
        """Tab goes through ``widgets`` in form order, then the extra buttons, Save, Cancel."""
        chain = [
            *widgets,
            *(
                self.extra_buttons.itemAt(i).widget()
                for i in range(self.extra_buttons.count())
                if self.extra_buttons.itemAt(i).widget() is not None
            ),
            self.save_button,
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel),
        ]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def add_extra_button(self, text: str, name: str) -> QPushButton:
        """A button left of Save/Cancel (e.g. "Load their version")."""
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAutoDefault(False)
        self.extra_buttons.addWidget(button)
        return button
