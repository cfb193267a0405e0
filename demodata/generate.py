"""A realistic, deterministic Leverkusen demo dataset.

Staff accounts, about 30 field officers in units with call signs, months of incident history
whose categories, priorities and time-of-day pattern follow DOMAIN.md (about 25 calls a day,
Leitstelle opening hours, evenings busier, noise at night, lakes in summer), a few live
incidents, tasks and reports, the demo gazetteer and the offence catalogue seed.

Bulk rows are inserted in batches (PostgreSQL: COPY), so ``--incidents 1000000`` takes minutes,
not hours. The same seed and the same day give the same data.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, text

from app.domain.geo import load_stadtteile
from app.evidence.config import EvidenceConfig
from app.platform.i18n import tr
from app.platform.timeutil import BERLIN, utcnow
from app.platform.uow import Actor, unit_of_work
from db.models import (
    Incident,
    IncidentUnit,
    JournalEntry,
    Report,
    Task,
    Unit,
    UnitStatusChange,
    User,
)
from demodata.bulk import bulk_insert, in_transaction, max_id, table_of
from demodata.history import HistoryBuilder, Ids, history_rows, live_situation_rows
from demodata.offences import generate_offence_cases
from demodata.recordings import generate_demo_recordings
from demodata.reference import insert_reference_data, load_catalogue_seed
from demodata.staff import insert_units_and_officers
from demodata.vocabulary import DEMO_PASSWORD, DEMO_STAFF, FIRST_NAMES, LAST_NAMES, opening_hours
from demodata.work_items import tasks_and_reports

if TYPE_CHECKING:  # avoids an import cycle
    from app.services import Services

#: Names other modules import from here (they live in the modules named above).
__all__ = [
    "DEMO_PASSWORD",
    "DEMO_STAFF",
    "bulk_insert",
    "generate_demo",
    "load_catalogue_seed",
    "opening_hours",
]


async def generate_demo(
    services: Services,
    actor: Actor,
    incidents: int = 6000,
    seed: int = 2024,
    only_if_empty: bool = False,
    progress: Callable[[str], None] | None = None,
    until: datetime | None = None,
    offence_cases: int | None = None,
    recordings: int = 0,
    evidence: EvidenceConfig | None = None,
) -> str:
    """Fill the database with the demo dataset; returns a German summary.

    ``offence_cases`` defaults to one per ten incidents, at most 300. ``recordings``: bodycam
    clips made by ffmpeg and imported into the store of ``evidence`` (default: the configured
    one; a missing master key is created there).
    """
    db = services.db
    say = progress or (lambda _m: None)
    async with db.read() as s:
        existing = int(await s.scalar(select(func.count(Incident.id))) or 0)
        has_users = await s.scalar(select(User.id).where(User.username == "disponent"))
    if only_if_empty and existing > 0:
        return tr("demo", "The database already holds %1 incidents; no demo data added.", existing)
    now = until or utcnow()
    started = time.perf_counter()

    if has_users is None:
        say(tr("demo", "Creating staff accounts and units …"))
        for username, name, role in DEMO_STAFF:
            await services.users.add(actor, username, name, role, DEMO_PASSWORD)
    rng = random.Random(seed)
    stadtteile = {s.name: s for s in load_stadtteile()}

    def sync_job(conn: Connection) -> dict[str, int]:
        return _generate_bulk(
            conn, rng, stadtteile, incidents, now, seed, say, create_units=has_users is None
        )

    engine = db.sync_engine()
    try:
        counts = await asyncio.to_thread(in_transaction, engine, sync_job)
    finally:
        engine.dispose()
    if offence_cases is None:
        offence_cases = min(300, incidents // 10)
    if offence_cases:
        say(tr("demo", "Creating offence cases …"))
        counts["offence_case"] = await generate_offence_cases(
            services, rng, offence_cases, FIRST_NAMES, LAST_NAMES
        )
    if recordings:
        counts["recording"] = await generate_demo_recordings(
            services, rng, recordings, say, evidence
        )
    elapsed = time.perf_counter() - started
    async with unit_of_work(db, actor, None) as w:
        await w.audit("demo.generate", details={**counts, "seed": seed})
        w.changed("demo", 0, "reload")
    rows = sum(counts.values())
    return (
        tr(
            "demo",
            "Demo data created: %1 incidents, %2 rows in all, in %3 s (%4 rows/s).",
            counts.get("incident", 0),
            rows,
            f"{elapsed:.1f}",
            f"{rows / elapsed:.0f}" if elapsed > 0 else "–",
        )
        + "\n"
        + tr(
            "demo",
            "Demo logins: disponent, schichtleitung, sachbearbeitung, datenschutz, "
            "admin – password: %1",
            DEMO_PASSWORD,
        )
    )


def _generate_bulk(
    conn: Connection,
    rng: random.Random,
    stadtteile: dict[str, Any],
    incident_count: int,
    now: datetime,
    seed: int,
    say: Callable[[str], None],
    create_units: bool,
) -> dict[str, int]:
    # The order of the steps is part of the data: they share one random generator.
    counts: dict[str, int] = {}
    t_user, t_unit = table_of(User), table_of(Unit)
    if create_units:
        counts.update(insert_units_and_officers(conn, rng, stadtteile, now))
    units = conn.execute(select(t_unit.c.id, t_unit.c.call_sign)).all()
    unit_ids = [u.id for u in units]
    staff = (
        conn.execute(
            select(t_user.c.id).where(t_user.c.role_code.in_(["dispatcher", "shift_lead"]))
        )
        .scalars()
        .all()
    )
    staff_ids = list(staff) or [None]

    addresses, written = insert_reference_data(conn, say)
    counts.update(written)

    # --- incident history ---------------------------------------------------------------
    builder = HistoryBuilder(rng, addresses, unit_ids, staff_ids)
    builder.call_signs = {u.id: u.call_sign for u in units}
    for year_row in conn.execute(select(Incident.number).order_by(Incident.number.desc()).limit(1)):
        year, seq = year_row.number.split("-")[1:3]
        builder.numbers[int(year)] = int(seq)
    live = min(8, incident_count)
    history = incident_count - live
    days = max(30, min(1095, math.ceil(history / 25)))
    end_day = (now.astimezone(BERLIN) - timedelta(days=1)).date()
    start_day = end_day - timedelta(days=days - 1)
    say(tr("demo", "Generating %1 incidents over %2 days …", incident_count, days))
    ids = Ids(
        incident=max_id(conn, table_of(Incident)) + 1,
        journal=max_id(conn, table_of(JournalEntry)) + 1,
        assignment=max_id(conn, table_of(IncidentUnit)) + 1,
        status_change=max_id(conn, table_of(UnitStatusChange)) + 1,
    )
    n_inc = n_j = n_a = 0
    chunk_size = 20_000
    remaining = history
    while remaining > 0:
        batch = min(chunk_size, remaining)
        remaining -= batch
        # Spread each batch over the whole span so the history stays sorted per batch.
        times = builder.times(batch, start_day, end_day)
        inc_rows, j_rows, a_rows = history_rows(builder, times, ids, n_inc, n_j, n_a)
        bulk_insert(conn, table_of(Incident), inc_rows)
        bulk_insert(conn, table_of(IncidentUnit), a_rows)
        bulk_insert(conn, table_of(JournalEntry), j_rows)
        n_inc += len(inc_rows)
        n_j += len(j_rows)
        n_a += len(a_rows)
        if history > 50_000:
            say(tr("demo", "%1 of %2 incidents …", n_inc, incident_count))

    # --- live situation: a few open incidents in the last two hours ---------------------
    live_rows, live_j, live_a, status_rows = live_situation_rows(
        builder, now, live, ids, n_inc, n_j, n_a, units, conn
    )
    bulk_insert(conn, table_of(Incident), live_rows)
    bulk_insert(conn, table_of(IncidentUnit), live_a)
    bulk_insert(conn, table_of(JournalEntry), live_j)
    if status_rows:
        conn.execute(insert(table_of(UnitStatusChange)), status_rows)
    n_inc += len(live_rows)
    n_j += len(live_j)
    n_a += len(live_a)
    counts["incident"] = n_inc
    counts["journal_entry"] = n_j
    counts["incident_unit"] = n_a

    # --- tasks and reports --------------------------------------------------------------
    t_rows, r_rows = tasks_and_reports(rng, addresses, unit_ids, now, conn)
    conn.execute(insert(table_of(Task)), t_rows)
    conn.execute(insert(table_of(Report)), r_rows)
    counts["task"] = len(t_rows)
    counts["report"] = len(r_rows)

    # Fresh statistics after a bulk load, so the planners pick the queue's indexes at once.
    conn.exec_driver_sql("ANALYZE")
    if conn.dialect.name == "postgresql":
        for table in (
            "user_account",
            "unit",
            "incident",
            "journal_entry",
            "incident_unit",
            "unit_status_change",
            "task",
            "report",
            "gazetteer_address",
            "offence_catalogue_entry",
            "unit_member",
        ):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table}), 1))"
                )
            )
    return counts
