"""Races between workstations: one unit, two dispatchers; one incident, two editors.

Each "workstation" is its own :class:`Database` (own connection pool) on the same database;
the two operations start together with ``asyncio.gather``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest
import pytest_asyncio
from sqlalchemy import text

from app.domain.dto import IncidentDetail, IncidentDraft
from app.platform.changefeed import changes_after, last_change_id
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.errors import ConflictError
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from app.services.incidents import UnitUnavailable
from tests.multiws import fixtures
from tests.multiws.harness import psycopg_dsn

pg = fixtures.pg
multiws_template = fixtures.multiws_template
PgDb = fixtures.PgDb
DISPO_A = Actor(None, "cli:dispo-a", Role.DISPATCHER, "Arbeitsplatz A")
DISPO_B = Actor(None, "cli:dispo-b", Role.DISPATCHER, "Arbeitsplatz B")
LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD)
ADMIN = Actor(None, "cli:admin", Role.ADMIN)


@pytest_asyncio.fixture
async def two(db_target: DatabaseTarget) -> AsyncIterator[tuple[Services, Services]]:
    """Two workstations on one database (both engines)."""
    a = Database(db_target, workstation="ws-a")
    b = Database(db_target, workstation="ws-b")
    try:
        yield Services.create(a), Services.create(b)
    finally:
        await a.dispose()
        await b.dispose()


@pytest.mark.asyncio
async def test_same_unit_assigned_at_once_from_two_workstations(
    two: tuple[Services, Services],
) -> None:
    a, b = two
    for round_ in range(5):
        unit = await a.units.create(LEAD, f"KOD {round_ + 1}1", home=(51.03, 6.98))
        inc_a = await a.incidents.create(DISPO_A, IncidentDraft("noise", address=f"A-Weg {round_}"))
        inc_b = await b.incidents.create(DISPO_B, IncidentDraft("dog", address=f"B-Weg {round_}"))
        results = await asyncio.gather(
            a.incidents.assign_unit(DISPO_A, inc_a.id, unit.id),
            b.incidents.assign_unit(DISPO_B, inc_b.id, unit.id),
            return_exceptions=True,
        )
        ok = [r for r in results if isinstance(r, IncidentDetail)]
        refused = [r for r in results if isinstance(r, BaseException)]
        assert len(ok) == 1 and len(refused) == 1, results
        err = refused[0]
        # A clear, German message naming the unit and where it is committed.
        assert isinstance(err, UnitUnavailable | ConflictError), repr(err)
        if isinstance(err, UnitUnavailable):
            assert unit.call_sign in str(err) and ok[0].number in str(err)
        winner = ok[0]
        assert [x.call_sign for x in winner.active_assignments] == [unit.call_sign]
        loser_id = inc_b.id if winner.id == inc_a.id else inc_a.id
        loser = await a.incidents.get(DISPO_A, loser_id)
        assert loser.active_assignments == () and loser.status == "new"
        info = await b.units.get(DISPO_B, unit.id)
        assert info.incident_id == winner.id and info.alarmed_at is not None


@pytest.mark.asyncio
async def test_concurrent_edits_of_one_incident_surface_as_conflict(
    two: tuple[Services, Services],
) -> None:
    a, b = two
    inc = await a.incidents.create(DISPO_A, IncidentDraft("noise", address="Markt 3"))
    for _ in range(3):
        seen_a = await a.incidents.get(DISPO_A, inc.id)
        seen_b = await b.incidents.get(DISPO_B, inc.id)
        assert seen_a.version == seen_b.version
        results = await asyncio.gather(
            a.incidents.update(DISPO_A, inc.id, seen_a.version, {"priority": 1}),
            b.incidents.update(
                DISPO_B, inc.id, seen_b.version, {"description": f"v{seen_b.version}"}
            ),
            return_exceptions=True,
        )
        conflicts = [r for r in results if isinstance(r, ConflictError)]
        ok = [r for r in results if isinstance(r, IncidentDetail)]
        assert len(ok) == 1 and len(conflicts) == 1, results
        assert conflicts[0].current is not None
        assert conflicts[0].current.version == ok[0].version
        await a.incidents.update(DISPO_A, inc.id, ok[0].version, {"priority": 2})


@pytest.mark.asyncio
async def test_active_assignment_index_stops_two_raw_transactions(pg: PgDb) -> None:
    """Even bypassing the services' locks, the partial unique index admits one active row."""
    db = Database(pg.target())
    services = Services.create(db)
    unit = await services.units.create(LEAD, "KOD 99", home=(51.03, 6.98))
    i1 = await services.incidents.create(DISPO_A, IncidentDraft("noise", address="X 1"))
    i2 = await services.incidents.create(DISPO_A, IncidentDraft("noise", address="X 2"))
    await db.dispose()
    sql = "INSERT INTO incident_unit (incident_id, unit_id, assigned_at) VALUES (%s, %s, now())"
    c1 = await psycopg.AsyncConnection.connect(psycopg_dsn(pg.url))
    c2 = await psycopg.AsyncConnection.connect(psycopg_dsn(pg.url))
    try:
        await c1.execute(sql, (i1.id, unit.id))
        # The second insert waits for the first transaction, then fails.
        second = asyncio.ensure_future(c2.execute(sql, (i2.id, unit.id)))
        await asyncio.sleep(0.2)
        assert not second.done()
        await c1.commit()
        with pytest.raises(psycopg.errors.UniqueViolation, match="uq_incident_unit_active_unit"):
            await second
    finally:
        await c1.close()
        await c2.close()


@pytest.mark.asyncio
async def test_many_devices_change_status_at_once_and_every_change_is_kept_in_order(
    two: tuple[Services, Services],
) -> None:
    """Status changes run side by side (row locks, not one writer at a time): none is lost,
    the audit chain stays a chain and the change feed has every change in id order."""
    a, b = two
    units = [await a.units.create(LEAD, f"KOD 7{n}") for n in range(6)]
    head = await last_change_id(a.db)
    statuses = ["3", "4", "1", "6", "2", "3"]
    calls = []
    for round_, status in enumerate(statuses):
        for i, unit in enumerate(units):
            side = a if (i + round_) % 2 else b
            calls.append(side.units.set_status(DISPO_A, unit.id, status))
    # Each unit's changes in their order, all units at once.
    for start in range(0, len(calls), len(units)):
        await asyncio.gather(*calls[start : start + len(units)])
    board = {u.id: u.status for u in await a.units.board(LEAD)}
    assert all(board[u.id] == "3" for u in units)
    for unit in units:
        history = [h.status for h in await a.units.history(DISPO_A, unit.id)]
        assert history[: len(statuses)] == list(reversed(statuses))
    verified = await a.audit_log.verify(ADMIN)
    assert verified.ok, verified.problem
    fed = [c for c in await changes_after(a.db, head) if c.entity == "unit"]
    assert [c.id for c in fed] == sorted(c.id for c in fed)
    assert len([c for c in fed if c.op == "status"]) == len(calls)


@pytest.mark.asyncio
async def test_a_status_change_does_not_wait_for_another_devices_open_status_change(
    pg_target: DatabaseTarget,
) -> None:
    """While one field device's status change is still open, another unit's status goes
    through; work that must run alone (here: creating a unit) waits until it has ended."""
    db = Database(pg_target, workstation="ws-a")
    services = Services.create(db)
    try:
        first = await services.units.create(LEAD, "KOD 81")
        second = await services.units.create(LEAD, "KOD 82")
        async with db.write_session({}, shared=True) as open_one:
            await open_one.execute(
                text("SELECT 1 FROM unit WHERE id = :i FOR UPDATE"), {"i": first.id}
            )
            done = await asyncio.wait_for(
                services.units.set_status(DISPO_A, second.id, "2"), timeout=10
            )
            assert done.status == "2"
            alone = asyncio.ensure_future(services.units.create(LEAD, "KOD 83"))
            await asyncio.sleep(0.5)
            assert not alone.done()
        created = await asyncio.wait_for(alone, timeout=10)
        assert created.call_sign == "KOD 83"
    finally:
        await db.dispose()


@pytest.mark.asyncio
async def test_a_writer_that_stalls_before_its_commit_holds_up_no_other(
    pg_target: DatabaseTarget,
) -> None:
    """A writer that has sent its last statement (its change-feed entry and audit record) and
    then stalls before the commit — a client whose event loop is busy — holds up no other
    status change: the feed's order and the audit chain are fixed when the server commits.
    Ids still become visible in commit order, and the chain stays a chain."""
    db = Database(pg_target, workstation="ws-a")
    services = Services.create(db)
    try:
        first = await services.units.create(LEAD, "KOD 91")
        second = await services.units.create(LEAD, "KOD 92")
        head = await last_change_id(db)
        async with db.write_session({"kod.actor": "cli:dispo-a"}, shared=True) as stalled:
            await stalled.execute(
                text("SELECT 1 FROM unit WHERE id = :i FOR UPDATE"), {"i": first.id}
            )
            await stalled.execute(
                text(
                    "INSERT INTO change_feed (occurred_at, entity, entity_id, op, version, origin)"
                    " VALUES (now(), 'unit', :i, 'status', NULL, 'ws-a')"
                ),
                {"i": first.id},
            )
            await stalled.execute(
                text("SELECT kod_audit('unit.status', 'unit', CAST(:i AS bigint))"),
                {"i": first.id},
            )
            done = await asyncio.wait_for(
                services.units.set_status(DISPO_B, second.id, "1"), timeout=5
            )
            assert done.status == "1"
            # The other change is in the feed already; the stalled one is not.
            seen = [(c.entity_id, c.op) for c in await changes_after(db, head)]
            assert (second.id, "status") in seen and (first.id, "status") not in seen
        fed = [c for c in await changes_after(db, head) if c.op == "status"]
        assert [c.entity_id for c in fed] == [second.id, first.id]
        assert [c.id for c in fed] == sorted(c.id for c in fed) and fed[0].id > head
        verified = await services.audit_log.verify(ADMIN)
        assert verified.ok, verified.problem
        async with db.read_single() as s:
            stalled_record = await s.scalar(
                text(
                    "SELECT count(*) FROM audit_log WHERE action = 'unit.status' "
                    "AND entity_id = :i AND username = 'cli:dispo-a'"
                ),
                {"i": first.id},
            )
        assert stalled_record == 1
    finally:
        await db.dispose()
