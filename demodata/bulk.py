"""Writing many rows fast: COPY on PostgreSQL, executemany on SQLite, one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Table, func, select

from db.types import UTCDateTime


def chunks(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """``items`` in lists of at most ``size``."""
    chunk: list[dict[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _sqlite_datetime(value: datetime | None) -> str | None:
    # The exact text SQLAlchemy's SQLite DATETIME stores (naive UTC), so UTCDateTime reads it back.
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _sqlite_converters(table: Table, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    converters: list[Callable[[Any], Any] | None] = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, UTCDateTime):
            converters.append(_sqlite_datetime)
        elif isinstance(column_type, Boolean):
            converters.append(lambda v: None if v is None else int(v))
        else:
            converters.append(None)
    return converters


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows fast: COPY on PostgreSQL, a plain executemany on SQLite."""
    if not rows:
        return
    columns = list(rows[0].keys())
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
            with cur.copy(sql) as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        return
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    converters = list(zip(columns, _sqlite_converters(table, columns), strict=True))
    values = [
        tuple(row[c] if conv is None else conv(row[c]) for c, conv in converters) for row in rows
    ]
    conn.exec_driver_sql(sql, values)


def in_transaction(engine: Any, job: Callable[[Connection], dict[str, int]]) -> dict[str, int]:
    """Run ``job`` on one connection in one write transaction; afterwards VACUUM on PostgreSQL."""
    with engine.connect() as conn:
        conn = conn.execution_options(kod_write=True)
        with conn.begin():
            if engine.dialect.name == "postgresql":
                # The server would audit every generated row; the owner's bulk load leaves one
                # summary record instead (demo.generate). Honoured for the owner only.
                conn.exec_driver_sql("SELECT set_config('kod.bulk', 'on', true)")
            counts = job(conn)
    if engine.dialect.name == "postgresql":
        # After a bulk load PostgreSQL would otherwise mark every new row on its first read
        # (hint bits) and could not answer from the index alone until autovacuum comes by:
        # the first queries would be slow. VACUUM needs its own, non-transactional statement.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(
                "VACUUM (ANALYZE) incident, journal_entry, incident_unit, unit_status_change"
            )
    return counts


def table_of(model: Any) -> Table:
    """The Core table of an ORM class."""
    table: Table = model.__table__
    return table


def max_id(conn: Connection, table: Table) -> int:
    """The highest id in ``table`` (0 if empty): generated ids continue after it."""
    return int(conn.execute(select(func.max(table.c.id))).scalar() or 0)
