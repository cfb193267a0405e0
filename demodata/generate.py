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
import csv
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Connection, Table, func, insert, select, text

from app.domain.codes import CATEGORY_BY_CODE, OUTCOMES_SOURCE, UnitStatus, outcome_label
from app.domain.gazetteer import Address
from app.domain.geo import load_stadtteile
from app.platform.i18n import tr
from app.platform.permissions import Role
from app.platform.timeutil import BERLIN, utcnow
from app.platform.uow import Actor, unit_of_work
from db.models import (
    GazetteerAddress,
    Incident,
    IncidentUnit,
    JournalEntry,
    OffenceCatalogueEntry,
    Report,
    Task,
    Unit,
    UnitMember,
    UnitStatusChange,
    User,
)
from db.types import UTCDateTime
from demodata.gazetteer import demo_gazetteer
from demodata.offences import generate_offence_cases
from resources.paths import resource_path

if TYPE_CHECKING:  # avoids an import cycle
    from app.services import Services

#: Demo logins (documented in the README). Only for demo databases.
DEMO_PASSWORD = "leitstelle"
DEMO_STAFF: tuple[tuple[str, str, Role], ...] = (
    ("disponent", "Dana Disponentin", Role.DISPATCHER),
    ("disponent2", "Jonas Krämer", Role.DISPATCHER),
    ("disponent3", "Aylin Yıldız", Role.DISPATCHER),
    ("schichtleitung", "Sabine Hoffmann", Role.SHIFT_LEAD),
    ("schichtleitung2", "Marco Lenz", Role.SHIFT_LEAD),
    ("sachbearbeitung", "Petra Nowak", Role.CLERK),
    ("sachbearbeitung2", "Tobias Brandt", Role.CLERK),
    ("datenschutz", "Dr. Ute Wallraff", Role.DATA_PROTECTION),
    ("admin", "IT-Administration", Role.ADMIN),
)

FIRST_NAMES = (
    "Anna",
    "Ben",
    "Carla",
    "Deniz",
    "Elias",
    "Fatma",
    "Gregor",
    "Hanna",
    "Ilias",
    "Julia",
    "Kevin",
    "Lea",
    "Mehmet",
    "Nina",
    "Oliver",
    "Paula",
    "Rafael",
    "Selin",
    "Timo",
    "Vanessa",
    "Yusuf",
    "Zoe",
    "Lukas",
    "Mira",
    "Sven",
    "Katrin",
    "Emre",
    "Laura",
    "Niklas",
    "Sarah",
    "Dominik",
    "Jana",
)
LAST_NAMES = (
    "Müller",
    "Schmitz",
    "Schneider",
    "Fischer",
    "Weber",
    "Becker",
    "Wagner",
    "Schulz",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Hartmann",
    "Krüger",
    "Lange",
    "Werner",
    "Köhler",
    "Kaya",
    "Demir",
    "Yilmaz",
    "Jansen",
    "Peters",
    "Hermanns",
    "Lehmann",
    "Kowalski",
    "Dahmen",
    "Esser",
    "Pohl",
)

#: (category, weight) — share of calls per category.
CATEGORY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("noise", 22),
    ("parking", 15),
    ("waste", 11),
    ("public_order", 10),
    ("dog", 8),
    ("begging", 6),
    ("youth", 5),
    ("alcohol_drugs", 5),
    ("graffiti", 4),
    ("lakes", 4),
    ("glass_ban", 2),
    ("helpless_person", 3),
    ("assault_staff", 1.5),
    ("other", 3.5),
)

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "noise": (
        "Laute Musik aus Wohnung, seit 22 Uhr",
        "Lärm durch Feier im Hinterhof",
        "Ruhestörung durch Baustelle am Sonntag",
        "Laute Personengruppe vor Kiosk",
    ),
    "parking": (
        "Fahrzeug blockiert Einfahrt",
        "Parken auf Gehweg, Kinderwagen kommt nicht vorbei",
        "Falschparker in Feuerwehrzufahrt",
        "Parken auf Behindertenparkplatz ohne Ausweis",
    ),
    "waste": (
        "Sperrmüll illegal am Straßenrand abgestellt",
        "Bauschutt im Waldweg abgeladen",
        "Müllsäcke neben Glascontainer",
        "Altreifen auf Grünfläche",
    ),
    "public_order": (
        "Wildes Urinieren an Hauswand",
        "Personen lagern in Hauseingang",
        "Streit zwischen Nachbarn auf der Straße",
        "Verunreinigung am Spielplatz",
    ),
    "dog": (
        "Freilaufender großer Hund im Park",
        "Hund ohne Leine auf Spielplatz",
        "Bissvorfall gemeldet, Halter uneinsichtig",
        "Hundekot nicht beseitigt, Halter bekannt",
    ),
    "begging": (
        "Aggressives Betteln vor Supermarkt",
        "Bettelnde Person bedrängt Passanten",
        "Organisiertes Betteln in der Fußgängerzone",
    ),
    "youth": (
        "Jugendliche konsumieren Alkohol am Spielplatz",
        "Minderjährige rauchen vor Schule",
        "Jugendliche nach 22 Uhr in Spielhalle",
    ),
    "alcohol_drugs": (
        "Alkoholkonsum auf Spielplatz",
        "Personengruppe konsumiert Cannabis nahe Schule",
        "Betrunkene Person pöbelt Passanten an",
    ),
    "graffiti": (
        "Frisches Graffiti an Brückenpfeiler",
        "Wildes Plakatieren an Stromkasten",
        "Schmierereien am Bahnhofsgebäude",
    ),
    "lakes": (
        "Grillen am Ufer trotz Verbot",
        "Personen baden nachts im See",
        "Zelt am Seeufer aufgebaut",
    ),
    "glass_ban": ("Glasflaschen in der Glasverbotszone", "Verkauf von Glasflaschen an Feiernde"),
    "helpless_person": (
        "Hilflose Person auf Parkbank",
        "Orientierungslose ältere Person",
        "Person liegt regungslos an Bushaltestelle",
    ),
    "assault_staff": (
        "Kollegen bei Kontrolle angegriffen",
        "Bedrohung der Streife mit Messer",
        "Bespucken und Schlagen bei Platzverweis",
    ),
    "other": (
        "Bürgeranfrage zu Sondernutzung",
        "Defekte Straßenlaterne gemeldet",
        "Verdächtiges Fahrzeug seit Tagen abgestellt",
    ),
}

OUTCOME_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("resolved", 45),
    ("caution", 15),
    ("offence_report", 10),
    ("nothing_found", 14),
    ("handed_to_police", 6),
    ("false_alarm", 4),
    ("duplicate", 3),
    ("cancelled", 3),
)

#: Relative call volume per hour of day (Berlin time) inside opening hours.
HOUR_WEIGHTS = (
    0.2,
    0.1,
    0.1,
    0.1,
    0.1,
    0.2,
    0.4,
    1.0,
    1.6,
    2.0,
    2.2,
    2.3,
    2.4,
    2.5,
    2.6,
    2.8,
    3.0,
    3.2,
    3.4,
    3.5,
    3.3,
    2.9,
    2.4,
    1.2,
)

UNIT_LAYOUT: tuple[tuple[str, str, int], ...] = (
    # call sign, home Stadtteil, members
    ("KOD 11", "Wiesdorf", 3),
    ("KOD 12", "Wiesdorf", 3),
    ("KOD 13", "Manfort", 2),
    ("KOD 14", "Rheindorf", 2),
    ("KOD 21", "Opladen", 3),
    ("KOD 22", "Opladen", 3),
    ("KOD 23", "Quettingen", 2),
    ("KOD 24", "Bürrig", 2),
    ("KOD 31", "Schlebusch", 3),
    ("KOD 32", "Steinbüchel", 3),
    ("KOD 33", "Lützenkirchen", 2),
    ("KOD 34", "Alkenrath", 2),
)


def opening_hours(day: date) -> tuple[int, int]:
    """Leitstelle hours (Berlin) for ``day``: Mon–Thu 7–23, Fri/Sat 8–24, Sun 12–20."""
    weekday = day.weekday()
    if weekday <= 3:
        return 7, 23
    if weekday <= 5:
        return 8, 24
    return 12, 20


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for key, w in pairs:
        x -= w
        if x <= 0:
            return key
    return pairs[-1][0]


@dataclass(frozen=True)
class _Ids:
    incident: int
    journal: int
    assignment: int
    status_change: int


def _chunks(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
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


class _HistoryBuilder:
    """Generates incident history rows for a time span."""

    def __init__(
        self,
        rng: random.Random,
        addresses: Sequence[Address],
        unit_ids: Sequence[int],
        user_ids: Sequence[int],
    ) -> None:
        self.rng = rng
        self.addresses = addresses
        self.unit_ids = unit_ids
        self.call_signs: dict[int, str] = {}
        # The journal reads as if the services had written it (same German sentences).
        self.text_created = tr("incidents", "Incident opened: %1, priority %2, %3")
        self.text_assigned = tr("incidents", "%1 assigned (status 3).")
        self.text_arrived = tr("incidents", "%1 on scene (status 4).")
        self.text_released = tr("incidents", "%1 released (status %2).")
        self.text_closed = tr("incidents", "Closed: %1")
        self.category_labels = {code: cat.label for code, cat in CATEGORY_BY_CODE.items()}
        self.outcome_labels = {code: outcome_label(code) for code in OUTCOMES_SOURCE}
        self.user_ids = user_ids
        self.numbers: dict[int, int] = {}

    def times(self, count: int, start: date, end: date) -> list[datetime]:
        """``count`` call times between the days, inside opening hours, weighted by hour."""
        days = (end - start).days + 1
        rng = self.rng
        result: list[datetime] = []
        for _ in range(count):
            day = start + timedelta(days=rng.randrange(days))
            open_h, close_h = opening_hours(day)
            hours = list(range(open_h, close_h))
            weights = [HOUR_WEIGHTS[h % 24] for h in hours]
            hour = rng.choices(hours, weights)[0]
            minute, second = rng.randrange(60), rng.randrange(60)
            local = datetime(day.year, day.month, day.day, tzinfo=BERLIN) + timedelta(
                hours=hour, minutes=minute, seconds=second
            )
            result.append(local.astimezone(UTC))
        result.sort()
        return result

    def category_for(self, when: datetime) -> str:
        local = when.astimezone(BERLIN)
        cat = _weighted(self.rng, CATEGORY_WEIGHTS)
        # Lakes in summer evenings, noise more often late.
        if cat == "lakes" and local.month not in (5, 6, 7, 8, 9):
            cat = "noise" if local.hour >= 20 else "waste"
        if local.hour >= 21 and self.rng.random() < 0.25:
            cat = "noise"
        return cat

    def number(self, when: datetime) -> str:
        year = when.astimezone(BERLIN).year
        seq = self.numbers.get(year, 0) + 1
        self.numbers[year] = seq
        return f"E-{year}-{seq:06d}"


async def generate_demo(
    services: Services,
    actor: Actor,
    incidents: int = 6000,
    seed: int = 2024,
    only_if_empty: bool = False,
    progress: Callable[[str], None] | None = None,
    until: datetime | None = None,
    offence_cases: int | None = None,
) -> str:
    """Fill the database with the demo dataset; returns a German summary.

    ``offence_cases`` defaults to one per ten incidents, at most 300.
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
        counts = await asyncio.to_thread(_in_transaction, engine, sync_job)
    finally:
        engine.dispose()
    if offence_cases is None:
        offence_cases = min(300, incidents // 10)
    if offence_cases:
        say(tr("demo", "Creating offence cases …"))
        counts["offence_case"] = await generate_offence_cases(
            services, rng, offence_cases, FIRST_NAMES, LAST_NAMES
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


def _in_transaction(engine: Any, job: Callable[[Connection], dict[str, int]]) -> dict[str, int]:
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


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _max_id(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.max(table.c.id))).scalar() or 0)


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
    counts: dict[str, int] = {}
    t_user, t_unit = _t(User), _t(Unit)
    # --- units and officers -------------------------------------------------------------
    if create_units:
        officer_rows: list[dict[str, Any]] = []
        unit_rows: list[dict[str, Any]] = []
        member_rows: list[dict[str, Any]] = []
        next_user = _max_id(conn, t_user) + 1
        next_unit = _max_id(conn, t_unit) + 1
        names = [(f, lname) for f, lname in zip(FIRST_NAMES, LAST_NAMES, strict=False)]
        officer_index = 0
        for call_sign, home, members in UNIT_LAYOUT:
            st = stadtteile[home]
            lat = st.centre_lat + rng.uniform(-0.004, 0.004)
            lon = st.centre_lon + rng.uniform(-0.006, 0.006)
            unit_id = next_unit
            next_unit += 1
            unit_rows.append(
                dict(
                    id=unit_id,
                    call_sign=call_sign,
                    kind="Streife",
                    status=UnitStatus.AVAILABLE_STATION.value,
                    status_changed_at=now - timedelta(hours=2),
                    lat=lat,
                    lon=lon,
                    position_at=now - timedelta(minutes=rng.randrange(1, 30)),
                    home_lat=lat,
                    home_lon=lon,
                    active=True,
                    version=1,
                )
            )
            for _ in range(members):
                first, last = names[officer_index % len(names)]
                officer_index += 1
                uid = next_user
                next_user += 1
                officer_rows.append(
                    dict(
                        id=uid,
                        username=f"{first}.{last}".lower()
                        .replace("ü", "ue")
                        .replace("ö", "oe")
                        .replace("ä", "ae")[:64],
                        display_name=f"{first} {last}",
                        role_code=Role.FIELD_OFFICER.value,
                        password_hash=None,
                        active=True,
                        failed_logins=0,
                        created_at=now,
                        personnel_number=f"KOD-{100 + officer_index}",
                        version=1,
                    )
                )
                member_rows.append(
                    dict(unit_id=unit_id, user_id=uid, since=now - timedelta(days=400))
                )
        conn.execute(insert(t_user), officer_rows)
        conn.execute(insert(t_unit), unit_rows)
        conn.execute(insert(_t(UnitMember)), member_rows)
        counts["officer"] = len(officer_rows)
        counts["unit"] = len(unit_rows)
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

    # --- gazetteer and catalogue --------------------------------------------------------
    addresses = demo_gazetteer(seed=1)
    if not conn.execute(select(func.count(GazetteerAddress.id))).scalar():
        say(tr("demo", "Loading the demo gazetteer (%1 addresses) …", len(addresses)))
        seen: set[tuple[str, str]] = set()
        rows = []
        for a in addresses:
            key = (a.street, a.house_number)
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                dict(
                    street=a.street,
                    house_number=a.house_number,
                    postcode=a.postcode,
                    stadtteil=a.stadtteil,
                    lat=a.lat,
                    lon=a.lon,
                    source="demo",
                )
            )
        for chunk in _chunks(iter(rows), 5000):
            bulk_insert(conn, _t(GazetteerAddress), chunk)
        counts["gazetteer_address"] = len(rows)
    if not conn.execute(select(func.count(OffenceCatalogueEntry.id))).scalar():
        cat_rows = load_catalogue_seed()
        conn.execute(insert(_t(OffenceCatalogueEntry)), cat_rows)
        counts["offence_catalogue_entry"] = len(cat_rows)

    # --- incident history ---------------------------------------------------------------
    builder = _HistoryBuilder(rng, addresses, unit_ids, staff_ids)
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
    ids = _Ids(
        incident=_max_id(conn, _t(Incident)) + 1,
        journal=_max_id(conn, _t(JournalEntry)) + 1,
        assignment=_max_id(conn, _t(IncidentUnit)) + 1,
        status_change=_max_id(conn, _t(UnitStatusChange)) + 1,
    )
    n_inc = n_j = n_a = 0
    chunk_size = 20_000
    remaining = history
    while remaining > 0:
        batch = min(chunk_size, remaining)
        remaining -= batch
        # Spread each batch over the whole span so the history stays sorted per batch.
        times = builder.times(batch, start_day, end_day)
        inc_rows, j_rows, a_rows = _history_rows(builder, times, ids, n_inc, n_j, n_a)
        bulk_insert(conn, _t(Incident), inc_rows)
        bulk_insert(conn, _t(IncidentUnit), a_rows)
        bulk_insert(conn, _t(JournalEntry), j_rows)
        n_inc += len(inc_rows)
        n_j += len(j_rows)
        n_a += len(a_rows)
        if history > 50_000:
            say(tr("demo", "%1 of %2 incidents …", n_inc, incident_count))

    # --- live situation: a few open incidents in the last two hours ---------------------
    live_rows, live_j, live_a, status_rows = _live_rows(
        builder, now, live, ids, n_inc, n_j, n_a, units, conn
    )
    bulk_insert(conn, _t(Incident), live_rows)
    bulk_insert(conn, _t(IncidentUnit), live_a)
    bulk_insert(conn, _t(JournalEntry), live_j)
    if status_rows:
        conn.execute(insert(_t(UnitStatusChange)), status_rows)
    n_inc += len(live_rows)
    n_j += len(live_j)
    n_a += len(live_a)
    counts["incident"] = n_inc
    counts["journal_entry"] = n_j
    counts["incident_unit"] = n_a

    # --- tasks and reports --------------------------------------------------------------
    t_rows, r_rows = _tasks_and_reports(rng, addresses, unit_ids, now, conn)
    conn.execute(insert(_t(Task)), t_rows)
    conn.execute(insert(_t(Report)), r_rows)
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


def _history_rows(
    b: _HistoryBuilder, times: list[datetime], ids: _Ids, n_inc: int, n_j: int, n_a: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    rng = b.rng
    inc_rows: list[dict[str, Any]] = []
    j_rows: list[dict[str, Any]] = []
    a_rows: list[dict[str, Any]] = []
    for k, created in enumerate(times):
        iid = ids.incident + n_inc + k
        cat = b.category_for(created)
        prio = CATEGORY_BY_CODE[cat].default_priority
        if rng.random() < 0.08:
            prio = max(1, prio - 1)
        addr = b.addresses[rng.randrange(len(b.addresses))]
        user = rng.choice(b.user_ids)
        outcome = _weighted(rng, OUTCOME_WEIGHTS)
        dispatched = outcome not in ("duplicate", "cancelled") and rng.random() < 0.93
        d_at = created + timedelta(seconds=rng.randint(40, 60 * (4 if prio == 1 else 20)))
        o_at = d_at + timedelta(seconds=rng.randint(180, 60 * (12 if prio == 1 else 30)))
        c_at = (o_at if dispatched else created) + timedelta(minutes=rng.randint(5, 75))
        inc_rows.append(
            dict(
                id=iid,
                number=b.number(created),
                category=cat,
                priority=prio,
                status="closed",
                address=f"{addr.street} {addr.house_number}",
                lat=addr.lat,
                lon=addr.lon,
                stadtteil=addr.stadtteil,
                caller_name=None,
                caller_phone=None,
                description=rng.choice(DESCRIPTIONS[cat]),
                outcome=outcome,
                outcome_note=None,
                created_at=created,
                dispatched_at=d_at if dispatched else None,
                on_scene_at=o_at if dispatched else None,
                closed_at=c_at,
                updated_at=c_at,
                created_by_id=user,
                source_report_id=None,
                version=3,
            )
        )
        jid = ids.journal + n_j + len(j_rows)
        address = f"{addr.street} {addr.house_number}"
        entries = [
            (
                created,
                "created",
                b.text_created.replace("%1", b.category_labels[cat])
                .replace("%2", str(prio))
                .replace("%3", address),
            )
        ]
        if dispatched:
            unit = rng.choice(b.unit_ids)
            a_rows.append(
                dict(
                    id=ids.assignment + n_a + len(a_rows),
                    incident_id=iid,
                    unit_id=unit,
                    assigned_at=d_at,
                    confirmed_at=d_at,
                    confirmed_by_id=user,
                    on_scene_at=o_at,
                    released_at=c_at,
                    assigned_by_id=user,
                )
            )
            sign = b.call_signs.get(unit, "?")
            entries += [
                (d_at, "unit", b.text_assigned.replace("%1", sign)),
                (o_at, "unit", b.text_arrived.replace("%1", sign)),
                (c_at, "unit", b.text_released.replace("%1", sign).replace("%2", "1")),
            ]
        entries.append((c_at, "closed", b.text_closed.replace("%1", b.outcome_labels[outcome])))
        for off, (when, kind, txt) in enumerate(entries):
            j_rows.append(
                dict(
                    id=jid + off,
                    incident_id=iid,
                    created_at=when,
                    user_id=user,
                    kind=kind,
                    text=txt,
                    data=None,
                )
            )
    return inc_rows, j_rows, a_rows


def _live_rows(
    b: _HistoryBuilder,
    now: datetime,
    count: int,
    ids: _Ids,
    n_inc: int,
    n_j: int,
    n_a: int,
    units: Sequence[Any],
    conn: Connection,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:

    rng = b.rng
    incs: list[dict[str, Any]] = []
    journal: list[dict[str, Any]] = []
    assigns: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    free_units = list(units)
    rng.shuffle(free_units)
    busy = (
        conn.execute(select(IncidentUnit.unit_id).where(IncidentUnit.released_at.is_(None)))
        .scalars()
        .all()
    )
    free_units = [u for u in free_units if u.id not in set(busy)]
    for k in range(count):
        created = now - timedelta(minutes=rng.randint(3, 120))
        iid = ids.incident + n_inc + k
        cat = b.category_for(created)
        addr = b.addresses[rng.randrange(len(b.addresses))]
        phase = ("new", "dispatched", "on_scene")[k % 3]
        user = rng.choice(b.user_ids)
        d_at = created + timedelta(minutes=2) if phase != "new" else None
        o_at = created + timedelta(minutes=12) if phase == "on_scene" else None
        if d_at and d_at > now:
            d_at = now
        if o_at and o_at > now:
            o_at = now
        incs.append(
            dict(
                id=iid,
                number=b.number(created),
                category=cat,
                priority=CATEGORY_BY_CODE[cat].default_priority,
                status=phase,
                address=f"{addr.street} {addr.house_number}",
                lat=addr.lat,
                lon=addr.lon,
                stadtteil=addr.stadtteil,
                caller_name=rng.choice(LAST_NAMES),
                caller_phone=f"0214 {rng.randint(100000, 999999)}",
                description=rng.choice(DESCRIPTIONS[cat]),
                outcome=None,
                outcome_note=None,
                created_at=created,
                dispatched_at=d_at,
                on_scene_at=o_at,
                closed_at=None,
                updated_at=o_at or d_at or created,
                created_by_id=user,
                source_report_id=None,
                version=1,
            )
        )
        journal.append(
            dict(
                id=ids.journal + n_j + len(journal),
                incident_id=iid,
                created_at=created,
                user_id=user,
                kind="created",
                text=b.text_created.replace("%1", b.category_labels[cat])
                .replace("%2", str(CATEGORY_BY_CODE[cat].default_priority))
                .replace("%3", f"{addr.street} {addr.house_number}"),
                data=None,
            )
        )
        if phase != "new" and free_units:
            unit = free_units.pop()
            new_status = "4" if phase == "on_scene" else "3"
            assigns.append(
                dict(
                    id=ids.assignment + n_a + len(assigns),
                    incident_id=iid,
                    unit_id=unit.id,
                    assigned_at=d_at,
                    confirmed_at=d_at,
                    confirmed_by_id=user,
                    on_scene_at=o_at,
                    released_at=None,
                    assigned_by_id=user,
                )
            )
            # Journal and status history as the services write them: assigned (3), then
            # for units on scene arrived (4).
            steps = [(d_at, "3", b.text_assigned)]
            if o_at is not None:
                steps.append((o_at, "4", b.text_arrived))
            previous = "2"
            for when, status, text in steps:
                journal.append(
                    dict(
                        id=ids.journal + n_j + len(journal),
                        incident_id=iid,
                        created_at=when,
                        user_id=user,
                        kind="unit",
                        text=text.replace("%1", unit.call_sign),
                        data=None,
                    )
                )
                statuses.append(
                    dict(
                        unit_id=unit.id,
                        status=status,
                        previous_status=previous,
                        changed_at=when,
                        user_id=user,
                        incident_id=iid,
                        note=None,
                    )
                )
                previous = status
            conn.execute(
                _t(Unit)
                .update()
                .where(_t(Unit).c.id == unit.id)
                .values(status=new_status, status_changed_at=o_at or d_at)
            )
    # One unit on a break, one at the station talking to the Leitstelle.
    for unit, status in zip(free_units[:2], ("6", "1"), strict=False):
        conn.execute(
            _t(Unit)
            .update()
            .where(_t(Unit).c.id == unit.id)
            .values(status=status, status_changed_at=now - timedelta(minutes=20))
        )
        statuses.append(
            dict(
                unit_id=unit.id,
                status=status,
                previous_status="2",
                changed_at=now - timedelta(minutes=20),
                user_id=None,
                incident_id=None,
                note=None,
            )
        )
    return incs, journal, assigns, statuses


TASK_TITLES = (
    "Streife Fußgängerzone Wiesdorf",
    "Kontrolle Kiosk Öffnungszeiten",
    "Kontrolle Hundeauslauf Neuland-Park",
    "Präsenz Busbahnhof Opladen",
    "Kontrolle Grillverbot Hitdorfer See",
    "Kontrolle Glasverbot Altstadtfest",
    "Nachkontrolle wilde Müllablagerung",
    "Jugendschutzkontrolle Tankstelle",
    "Streife Stöckenbergsee am Abend",
    "Gemeinsame Streife mit Polizei Schlebusch",
)
REPORT_SUBJECTS = (
    ("noise", "Ständige Ruhestörung durch Nachbarn"),
    ("waste", "Sperrmüll seit Tagen am Straßenrand"),
    ("dog", "Hund läuft täglich ohne Leine"),
    ("parking", "Dauerparker auf Gehweg"),
    ("graffiti", "Graffiti an Schulmauer"),
    ("public_order", "Trinkergruppe am Spielplatz"),
    ("lakes", "Grillfeuer am Ufer"),
    ("youth", "Alkoholverkauf an Jugendliche vermutet"),
)


def _tasks_and_reports(
    rng: random.Random,
    addresses: Sequence[Address],
    unit_ids: Sequence[int],
    now: datetime,
    conn: Connection,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    year = now.astimezone(BERLIN).year
    t_base = int(conn.execute(select(func.count(Task.id))).scalar() or 0)
    r_base = int(conn.execute(select(func.count(Report.id))).scalar() or 0)
    tasks: list[dict[str, Any]] = []
    for k in range(40):
        addr = addresses[rng.randrange(len(addresses))]
        created = now - timedelta(days=rng.randint(0, 30), hours=rng.randint(0, 10))
        due = created + timedelta(days=rng.randint(1, 14))
        done = due < now and rng.random() < 0.8
        follow = now + timedelta(hours=rng.randint(-2, 72)) if not done and k % 3 == 0 else None
        tasks.append(
            dict(
                number=f"A-{year}-{t_base + k + 1:06d}",
                title=rng.choice(TASK_TITLES),
                description="",
                category=None,
                address=f"{addr.street} {addr.house_number}",
                lat=addr.lat,
                lon=addr.lon,
                stadtteil=addr.stadtteil,
                status="done" if done else "open",
                due_at=due,
                follow_up_at=follow,
                follow_up_note="Ergebnis nachhalten" if follow else None,
                assigned_unit_id=rng.choice(unit_ids) if unit_ids else None,
                assigned_user_id=None,
                created_by_id=None,
                created_at=created,
                updated_at=created,
                done_at=due if done else None,
                source_report_id=None,
                version=1,
            )
        )
    reports: list[dict[str, Any]] = []
    for k in range(150):
        cat, subject = REPORT_SUBJECTS[rng.randrange(len(REPORT_SUBJECTS))]
        addr = addresses[rng.randrange(len(addresses))]
        received = now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600))
        status = (
            "closed" if received < now - timedelta(days=5) else rng.choice(("new", "in_progress"))
        )
        reports.append(
            dict(
                number=f"M-{year}-{r_base + k + 1:06d}",
                source=rng.choice(("phone", "email", "online", "online", "field")),
                received_at=received,
                reporter_name=rng.choice(LAST_NAMES),
                reporter_contact=None,
                subject=subject,
                text=f"{subject}. Bitte um Prüfung.",
                category=cat,
                address=f"{addr.street} {addr.house_number}",
                lat=addr.lat,
                lon=addr.lon,
                stadtteil=addr.stadtteil,
                status=status,
                external_id=None,
                incident_id=None,
                task_id=None,
                created_by_id=None,
                updated_at=received,
                version=1,
            )
        )
    return tasks, reports


def load_catalogue_seed() -> list[dict[str, Any]]:
    """Rows of the offence catalogue seed (amounts in cents)."""

    def cents(v: str) -> int | None:
        v = v.strip().replace(",", ".")
        return round(float(v) * 100) if v else None

    rows = []
    path = resource_path("data", "owi-catalogue-seed.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append(
                dict(
                    key=r["key"],
                    group_name=r["group"],
                    description=r["description_de"],
                    legal_basis=r["legal_basis"],
                    catalogue_number=r["catalogue_number"] or None,
                    amount_min_cents=cents(r["amount_min_eur"]),
                    amount_max_cents=cents(r["amount_max_eur"]),
                    statutory_max_cents=cents(r["statutory_max_eur"]),
                    is_traffic=r["group"] == "Parken",
                    source=r["source"],
                    verified=r["verified"].strip().lower() == "yes",
                    notes=r["notes"] or None,
                    active=True,
                    version=1,
                )
            )
    return rows
