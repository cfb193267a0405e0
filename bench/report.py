"""Time to make the printed reports: prints ``report_month_s`` (the statistics PDF of a month
with ``KOD_BENCH_INCIDENTS`` incidents, 10,000 by default, charts included: figures read,
charts drawn, pages written) and ``shift_report_s`` (the Schichtbericht PDF of a day shift of
that month, read and written). Goals: ≤ 3 s and ≤ 1 s.

Sets up its own databases (SQLite and PostgreSQL, the slower one counts): the demo's staff, units and gazetteer, the month's incidents
in bulk (as the demo writes its history), and unit status changes for the unit hours.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.pop(0)  # bench/queue.py must not shadow the standard library (see call_to_dispatch.py)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KOD_LANG", "de")

from PySide6.QtWidgets import QApplication
from sqlalchemy import Connection, func, insert, select

from app.domain.periods import month
from app.domain.shifts import DEFAULT_STARTS, parse_starts, shift_at
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.timeutil import BERLIN
from app.platform.uow import Actor
from app.services import Services
from bench._common import temp_postgres, temp_sqlite
from db.models import Incident, IncidentUnit, JournalEntry, Unit, UnitStatusChange, User
from demodata.bulk import bulk_insert, in_transaction, max_id, table_of
from demodata.gazetteer import demo_gazetteer
from demodata.generate import generate_demo
from demodata.history import HistoryBuilder, Ids, history_rows
from ui.i18n import install_translations
from ui.printing.render import Letterhead, write_pdf
from ui.printing.shift_report import shift_report_document
from ui.printing.statistics import statistics_document

INCIDENTS = int(os.environ.get("KOD_BENCH_INCIDENTS", "10000"))
#: The demo history ends the day before: the month before lies wholly inside it.
UNTIL = datetime(2026, 12, 1, 12, 0, tzinfo=BERLIN)
MONTH = month(2026, 11)
LEAD = Actor(None, "bench:lead", Role.SHIFT_LEAD, "Bench")
HEAD = Letterhead("Stadt Leverkusen", "Kommunaler Ordnungsdienst")


def _month_of_incidents(conn: Connection) -> dict[str, int]:
    """INCIDENTS closed incidents (journal, assignments) called in during the month, and a
    status change every hour or so for every unit."""
    rng = random.Random(11)
    addresses = demo_gazetteer(seed=1)
    units = conn.execute(select(Unit.id, Unit.call_sign)).all()
    staff = list(conn.execute(select(User.id).where(User.role_code == "dispatcher")).scalars())
    builder = HistoryBuilder(rng, addresses, [u.id for u in units], staff)
    builder.call_signs = {u.id: u.call_sign for u in units}
    builder.numbers[2026] = int(conn.execute(select(func.count(Incident.id))).scalar() or 0)
    ids = Ids(
        incident=max_id(conn, table_of(Incident)) + 1,
        journal=max_id(conn, table_of(JournalEntry)) + 1,
        assignment=max_id(conn, table_of(IncidentUnit)) + 1,
        status_change=max_id(conn, table_of(UnitStatusChange)) + 1,
    )
    last = (MONTH.end - timedelta(hours=12)).astimezone(BERLIN).date()
    times = builder.times(INCIDENTS, MONTH.first_day, last)
    incidents, journal, assignments = history_rows(builder, times, ids, 0, 0, 0)
    bulk_insert(conn, table_of(Incident), incidents)
    bulk_insert(conn, table_of(IncidentUnit), assignments)
    bulk_insert(conn, table_of(JournalEntry), journal)
    steps = []
    for unit in units:
        at = MONTH.start
        while at < MONTH.end:
            steps.append({"unit_id": unit.id, "status": rng.choice("123462"), "changed_at": at})
            at += timedelta(minutes=rng.randint(20, 120))
    conn.execute(insert(UnitStatusChange), steps)
    conn.exec_driver_sql("ANALYZE")
    return {"incident": len(incidents), "unit_status_change": len(steps)}


async def _prepare(target: object) -> tuple[Database, Services]:
    db = Database(target)  # type: ignore[arg-type]
    await db.check()
    services = Services.create(db)
    # Staff, units and the gazetteer from the demo; the month's incidents added in bulk.
    await generate_demo(services, Actor.cli(), incidents=8, seed=7, until=UNTIL, offence_cases=0)
    engine = db.sync_engine()
    try:
        await asyncio.to_thread(in_transaction, engine, _month_of_incidents)
    finally:
        engine.dispose()
    return db, services


async def _run(target: object, folder: Path) -> tuple[float, float, int]:
    db, services = await _prepare(target)
    try:
        start = time.perf_counter()
        stats = await services.statistics.build(LEAD, MONTH)
        write_pdf(statistics_document(stats), HEAD, folder / "statistik.pdf")
        month_s = time.perf_counter() - start
        # A day shift in the middle of the month (about a third of a day's incidents).
        starts = parse_starts(list(DEFAULT_STARTS))
        shift = shift_at(MONTH.start + timedelta(days=14, hours=10), starts)
        start = time.perf_counter()
        report = await services.shift_reports.build(LEAD, shift)
        write_pdf(shift_report_document(report), HEAD, folder / "schicht.pdf")
        shift_s = time.perf_counter() - start
    finally:
        await db.dispose()
    return month_s, shift_s, stats.incidents


def main() -> None:
    """Set up the month, make both reports once and print the figures."""
    app = QApplication.instance() or QApplication([])
    install_translations(app)
    with temp_sqlite() as target, tempfile.TemporaryDirectory(prefix="kod-bench-") as folder:
        month_s, shift_s, incidents = asyncio.run(_run(target, Path(folder)))
    with temp_postgres() as target, tempfile.TemporaryDirectory(prefix="kod-bench-") as folder:
        month_pg_s, shift_pg_s, _ = asyncio.run(_run(target, Path(folder)))
    print(f"report_month_incidents: {incidents}")
    print(f"report_month_sqlite_s: {month_s:.3f}")
    print(f"report_month_postgresql_s: {month_pg_s:.3f}")
    print(f"shift_report_sqlite_s: {shift_s:.3f}")
    print(f"shift_report_postgresql_s: {shift_pg_s:.3f}")
    # The goals hold for both engines: the slower one counts.
    print(f"report_month_s: {max(month_s, month_pg_s):.3f}")
    print(f"shift_report_s: {max(shift_s, shift_pg_s):.3f}")


if __name__ == "__main__":
    main()
