"""Input checks every write passes, whatever service sent it, on both database engines.

A control character (a NUL above all: PostgreSQL cannot store it, SQLite would store it and
break searches), a value longer than its column or a date outside a sane range is refused with
a German message before anything reaches the database. Services still check their own fields
with their own words first; this is the net under them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, String, event
from sqlalchemy.orm import Session, UOWTransaction

from app.platform.errors import ValidationError
from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.i18n import tr
from app.platform.timeutil import EARLIEST_DATE, LATEST_DATE
from db.types import UTCDateTime

#: Timestamps the program stores lie in these years (due dates, events, recordings).
DATETIME_YEARS = (EARLIEST_DATE.year, LATEST_DATE.year)
#: Calendar dates (birth dates included) lie in these years.
DATE_YEARS = (1900, 2100)
#: Control characters allowed in free text: tab, line feed, carriage return.
_ALLOWED_CONTROL = frozenset("\t\n\r")

FIELD_LABELS: dict[str, str] = {
    "description": N_("fields", "Description"),
    "address": N_("fields", "Address"),
    "caller_name": N_("fields", "Caller"),
    "caller_phone": N_("fields", "Phone"),
    "text": N_("fields", "Text"),
    "title": N_("fields", "Title"),
    "subject": N_("fields", "Subject"),
    "reporter_name": N_("fields", "Reporter"),
    "reporter_contact": N_("fields", "Contact"),
    "note": N_("fields", "Note"),
    "outcome_note": N_("fields", "Outcome note"),
    "follow_up_note": N_("fields", "Follow-up note"),
    "display_name": N_("fields", "Name"),
    "call_sign": N_("fields", "Call sign"),
    "due_at": N_("fields", "Due"),
    "follow_up_at": N_("fields", "Follow-up"),
}


def field_label(name: str) -> str:
    """The German label of a column (its name if it has none)."""
    return tr("fields", FIELD_LABELS[name]) if name in FIELD_LABELS else name


def has_control_character(value: str) -> bool:
    """True if ``value`` holds a control character other than tab and line breaks."""
    return any(
        (ord(c) < 32 and c not in _ALLOWED_CONTROL) or ord(c) == 127 or 0x80 <= ord(c) < 0xA0
        for c in value
    )


def check_text(value: str, field: str) -> None:
    """Refuse control characters in ``value`` (field ``field``)."""
    if has_control_character(value):
        raise ValidationError(
            tr(
                "validation",
                "The field %1 contains a control character that cannot be stored. Please "
                "type the text again.",
                field_label(field),
            ),
            field,
        )


def search_text(raw: str) -> str:
    """A search input, trimmed; refused if it holds a control character."""
    text = raw.strip()
    if has_control_character(text):
        raise ValidationError(
            tr("validation", "The search contains a control character. Please type it again."),
            "search",
        )
    return text


def like_pattern(text: str) -> str:
    """``text`` as a substring pattern for ``LIKE … ESCAPE '\\'`` (``%`` and ``_`` literal)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def check_when(value: datetime | date, field: str) -> None:
    """Refuse a date or timestamp outside the sane range."""
    low, high = DATETIME_YEARS if isinstance(value, datetime) else DATE_YEARS
    if not low <= value.year <= high:
        raise ValidationError(
            tr(
                "validation",
                "%1: the date %2 is outside the possible range (%3 to %4).",
                field_label(field),
                value.strftime("%d.%m.%Y"),
                low,
                high,
            ),
            field,
        )


def _check_object(obj: Any) -> None:
    table = getattr(obj, "__table__", None)
    if table is None:
        return
    for column in table.columns:
        value = getattr(obj, column.key, None)
        if value is None:
            continue
        if isinstance(value, str) and isinstance(column.type, String):
            check_text(value, column.key)
            length = column.type.length
            if length is not None and len(value) > length:
                raise ValidationError(
                    tr(
                        "validation",
                        "%1 is too long (at most %2 characters).",
                        field_label(column.key),
                        length,
                    ),
                    column.key,
                )
        elif (isinstance(value, datetime) and isinstance(column.type, UTCDateTime)) or (
            isinstance(value, date) and isinstance(column.type, Date)
        ):
            check_when(value, column.key)


def _before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    for obj in (*session.new, *session.dirty):
        _check_object(obj)


class ValidatingSession(Session):
    """The ORM session of every service: checks new and changed rows before each flush."""


event.listen(ValidatingSession, "before_flush", _before_flush)
