"""The SQL of the statistics: where the figures come from, and the few expressions that differ
between SQLite and PostgreSQL (seconds between two times, the hour a time falls in, the larger
and the smaller of two values).

On PostgreSQL the statistics read views that expose aggregates' raw material only — no names,
no addresses, no free text (``db/pg_security/statistics.sql``): roles that may see statistics
need no right on the tables themselves. On SQLite (one workstation, checked by the services)
the same columns come from the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Integer,
    String,
    TableClause,
    cast,
    column,
    func,
    select,
    table,
)
from sqlalchemy.sql import FromClause

from db.models import Incident, Recording, RecordingDeletion, RecordingHold, Task, UnitStatusChange
from db.types import UTCDateTime

#: A task (Auftrag) whose title or description names the police is a joint patrol.
JOINT_PATROL_WORD = "polizei"


@dataclass(frozen=True)
class Sources:
    """The relations the statistics read, with the same column names on both engines."""

    incident: FromClause
    unit_status: FromClause
    task: FromClause
    recording: FromClause
    recording_hold: FromClause
    recording_deletion: FromClause


def _view(name: str, *columns: tuple[str, Any]) -> TableClause:
    return table(name, *(column(n, t) for n, t in columns))


def _joint(title: Any, description: Any) -> ColumnElement[bool]:
    pattern = f"%{JOINT_PATROL_WORD}%"
    return func.lower(title).like(pattern) | func.lower(func.coalesce(description, "")).like(
        pattern
    )


def sources(postgresql: bool) -> Sources:
    """The statistics' relations: the aggregate views on PostgreSQL, the tables on SQLite."""
    if postgresql:
        return Sources(
            incident=_view(
                "kod_incident_statistics",
                ("id", Integer()),
                ("category", String()),
                ("priority", Integer()),
                ("status", String()),
                ("stadtteil", String()),
                ("created_at", UTCDateTime()),
                ("dispatched_at", UTCDateTime()),
                ("on_scene_at", UTCDateTime()),
                ("closed_at", UTCDateTime()),
            ),
            unit_status=_view(
                "kod_unit_status_statistics",
                ("id", Integer()),
                ("unit_id", Integer()),
                ("status", String()),
                ("changed_at", UTCDateTime()),
            ),
            task=_view(
                "kod_task_statistics",
                ("id", Integer()),
                ("created_at", UTCDateTime()),
                ("joint_patrol", Boolean()),
            ),
            recording=_view(
                "kod_recording_statistics",
                ("id", Integer()),
                ("started_at", UTCDateTime()),
            ),
            recording_hold=_view(
                "kod_recording_hold_statistics",
                ("id", Integer()),
                ("created_at", UTCDateTime()),
            ),
            # A definer function (statistics.sql), read as a table.
            recording_deletion=func.kod_recording_deletion_statistics()
            .table_valued(
                column("id", Integer()),
                column("started_at", UTCDateTime()),
                column("deleted_at", UTCDateTime()),
            )
            .alias("recording_deletion_statistics"),
        )
    task = select(
        Task.id, Task.created_at, _joint(Task.title, Task.description).label("joint_patrol")
    ).subquery("task_statistics")
    return Sources(
        incident=Incident.__table__,
        unit_status=UnitStatusChange.__table__,
        task=task,
        recording=Recording.__table__,
        recording_hold=RecordingHold.__table__,
        recording_deletion=RecordingDeletion.__table__,
    )


class Dialect:
    """The expressions that differ between the two engines."""

    def __init__(self, postgresql: bool) -> None:
        self.postgresql = postgresql

    def seconds(self, later: Any, earlier: Any) -> ColumnElement[float]:
        """Seconds from ``earlier`` to ``later``."""
        if self.postgresql:
            return cast(func.extract("epoch", later - earlier), Float)
        # Rounded to milliseconds: julianday's floating point would put a dispatch of exactly
        # 15 minutes a hair over its target.
        return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3)

    def epoch_hour(self, moment: Any) -> ColumnElement[int]:
        """Whole hours since 1970 (UTC) of ``moment``: the hour bucket it falls in."""
        if self.postgresql:
            return cast(func.floor(func.extract("epoch", moment) / 3600), Integer)
        return cast(func.strftime("%s", moment), Integer) // 3600

    def greater(self, a: Any, b: Any) -> ColumnElement[Any]:
        """The later (larger) of two values."""
        return func.greatest(a, b) if self.postgresql else func.max(a, b)

    def lesser(self, a: Any, b: Any) -> ColumnElement[Any]:
        """The earlier (smaller) of two values."""
        return func.least(a, b) if self.postgresql else func.min(a, b)
