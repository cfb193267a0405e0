"""The orders of the live tables, once in SQL and once in Python, side by side.

The database pages a table in its SQL order; a live update places a changed row among the
loaded ones with the Python key of the same order. The two must agree exactly (ties broken by
id), or a live-inserted row lands somewhere a reload would not put it; ``tests/test_ordering.py``
compares them on real data on SQLite and PostgreSQL.

Incident queue: whatever the sort, open incidents come first (a dispatcher never loses an open
incident among the history), then the closed ones. Within each part the chosen column orders,
or the queue order (open: priority, then age; closed: newest closed first). Empty values sort
first when ascending and last when descending on both engines (SQLite's own rule).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import total_ordering
from typing import Any

from sqlalchemy import case, literal_column
from sqlalchemy.sql.elements import ColumnElement

from app.domain.dto import IncidentQuery, IncidentRow
from app.domain.dto_work import OPEN_REPORT_STATUSES, ReportInfo, TaskInfo
from db.models import Incident, Report, Task

_MIN = datetime.min.replace(tzinfo=UTC)


@total_ordering
class Desc:
    """Wraps a value so that it sorts in reverse."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: Desc) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Desc) and other.v == self.v

    def __hash__(self) -> int:
        return hash(self.v)

    def __repr__(self) -> str:
        return f"Desc({self.v!r})"


@total_ordering
class _Empty:
    """Sorts before every other value (an empty cell, ascending)."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return not isinstance(other, _Empty)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Empty)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY = _Empty()


# --- incident queue -------------------------------------------------------------------------

#: Sort fields of the queue's columns (besides ``"queue"``, the default order).
INCIDENT_SORT_FIELDS = (
    "number",
    "priority",
    "category",
    "status",
    "address",
    "stadtteil",
    "created_at",
    "dispatched_at",
    "since_created",
    "since_dispatch",
)

#: Columns sorted by their stored value.
_PLAIN_COLUMNS: dict[str, Any] = {
    "number": Incident.id,
    "category": Incident.category,
    "priority": Incident.priority,
    "status": Incident.status,
    "address": Incident.address,
    "stadtteil": Incident.stadtteil,
    "created_at": Incident.created_at,
    "dispatched_at": Incident.dispatched_at,
}


def _micros_sqlite(column: str) -> str:
    return (
        f"CAST(strftime('%s', {column}) AS INTEGER) * 1000000 "
        f"+ CAST(substr({column}, 21, 6) AS INTEGER)"
    )


#: SQLite: the closed incident's duration in whole microseconds from the stored UTC text
#: (``YYYY-MM-DD HH:MM:SS.ffffff``; exact, no floating julian days). Literal SQL, the same as
#: the sort indexes of migration 0006: SQLite uses an expression index only for the very same
#: expression (bound parameters would not match).
_SQLITE_DURATIONS: dict[str, ColumnElement[Any]] = {
    field: literal_column(
        f"({_micros_sqlite('incident.closed_at')}) - ({_micros_sqlite('incident.' + start)})"
    )
    for field, start in (("since_created", "created_at"), ("since_dispatch", "dispatched_at"))
}


def duration_expr(field: str, sqlite: bool) -> ColumnElement[Any]:
    """SQL duration of a closed incident for ``since_created``/``since_dispatch``."""
    if sqlite:
        return _SQLITE_DURATIONS[field]
    start = Incident.created_at if field == "since_created" else Incident.dispatched_at
    return Incident.closed_at - start


def _nullable(field: str) -> bool:
    return field in ("stadtteil", "dispatched_at", "since_dispatch")


def incident_open_order(q: IncidentQuery) -> list[Any]:
    """ORDER BY of the open incidents matching ``q``."""
    if q.sort not in INCIDENT_SORT_FIELDS:
        return [Incident.priority, Incident.created_at, Incident.id]
    if q.sort in ("since_created", "since_dispatch"):
        # Running: the longer it runs, the earlier it started.
        column = Incident.created_at if q.sort == "since_created" else Incident.dispatched_at
        descending = not q.descending
    else:
        column, descending = _PLAIN_COLUMNS[q.sort], q.descending
    return _column_order(column, descending, _nullable(q.sort), ascending_id=not q.descending)


def incident_closed_order(q: IncidentQuery, sqlite: bool) -> list[Any]:
    """ORDER BY of the closed incidents matching ``q``."""
    if q.sort not in INCIDENT_SORT_FIELDS:
        if q.closed_by_number:
            return [Incident.id.desc()]
        return [Incident.closed_at.desc(), Incident.id.desc()]
    nullable = _nullable(q.sort)
    if q.sort in ("since_created", "since_dispatch"):
        column: Any = duration_expr(q.sort, sqlite)
        # PostgreSQL's index of the duration (migration 0006) holds empty values first; only
        # an ORDER BY that says so walks it (the call's running time is never empty anyway).
        nullable = nullable or not sqlite
    else:
        column = _PLAIN_COLUMNS[q.sort]
    return _column_order(column, q.descending, nullable, ascending_id=not q.descending)


def _column_order(column: Any, descending: bool, nullable: bool, ascending_id: bool) -> list[Any]:
    order = column.desc() if descending else column.asc()
    if nullable:
        # Only where needed: the clause keeps PostgreSQL from walking a plain index.
        order = order.nulls_last() if descending else order.nulls_first()
    return [order, Incident.id.asc() if ascending_id else Incident.id.desc()]


def _duration(end: datetime, start: datetime | None) -> timedelta | None:
    return None if start is None else end - start


def incident_sort_key(row: IncidentRow, q: IncidentQuery) -> tuple[Any, ...]:
    """The SQL order of :func:`incident_open_order` / :func:`incident_closed_order`."""
    closed = row.closed_at is not None
    if q.sort not in INCIDENT_SORT_FIELDS:
        if not closed:
            return (False, row.priority, row.created_at, row.id)
        if q.closed_by_number:
            return (True, Desc(row.id))
        return (True, Desc(row.closed_at), Desc(row.id))
    descending = q.descending
    value: Any
    if q.sort in ("since_created", "since_dispatch"):
        start = row.created_at if q.sort == "since_created" else row.dispatched_at
        if row.closed_at is None:
            value = start
            descending = not descending
        else:
            value = _duration(row.closed_at, start)
    elif q.sort == "number":
        value = row.id
    else:
        value = getattr(row, q.sort)
    if value is None:
        value = EMPTY
    ident: Any = Desc(row.id) if q.descending else row.id
    return (closed, Desc(value) if descending else value, ident)


# --- Aufträge ---------------------------------------------------------------------------------


def task_order() -> list[Any]:
    """ORDER BY of the Aufträge: open first by due time (none last), then the latest changed.

    Each CASE is constant inside the other group, so the groups do not mix.
    """
    closed = Task.status != "open"
    return [
        case((closed, 1), else_=0),
        case((~closed & Task.due_at.is_(None), 1), else_=0),
        case((closed, None), else_=Task.due_at),
        case((closed, Task.updated_at), else_=None).desc(),
        case((closed, -Task.id), else_=Task.id),
    ]


def task_sort_key(t: TaskInfo) -> tuple[Any, ...]:
    """:func:`task_order` in Python."""
    if t.status == "open":
        return (0, 1 if t.due_at is None else 0, t.due_at or _MIN, t.id)
    return (1, Desc(t.updated_at), Desc(t.id))


# --- Meldungen --------------------------------------------------------------------------------


def report_order() -> list[Any]:
    """ORDER BY of the Meldungen: open first, newest first in each group."""
    return [
        case((Report.status.in_(sorted(OPEN_REPORT_STATUSES)), 0), else_=1),
        Report.received_at.desc(),
        Report.id.desc(),
    ]


def report_sort_key(r: ReportInfo) -> tuple[Any, ...]:
    """:func:`report_order` in Python."""
    return (0 if r.is_open else 1, Desc(r.received_at), Desc(r.id))
