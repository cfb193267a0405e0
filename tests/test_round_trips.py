"""How many statements the hot paths send, on SQLite and PostgreSQL.

A status change holds its unit's row lock (PostgreSQL) for as many round trips as it sends
statements, and every workstation reads the changed unit's board row after it: with hundreds of
field devices both decide how long a status takes to reach the boards. Counting statements is
deterministic; the time it takes is measured by bench/field.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from app.domain.dto import IncidentDraft
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from fieldapi.call_audit import CallAuditWriter, CallRecord
from tests.conftest import ADMIN
from tests.field_setup import GATEWAY_LOGIN, api_client, gateway_target, officer_with_device
from tests.pg_logins import PASSWORD

pytestmark = pytest.mark.asyncio
LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD)

#: Statements of a status change of a unit without an incident, BEGIN (SQLite) included:
#: PostgreSQL: the writers' lock (shared) with the session settings, the unit locked with its
#: assignment, the unit's update, the status history row, the board row answered, the
#: change-feed entry with its NOTIFY and the audit record (under the order lock, until the
#: commit). SQLite: BEGIN IMMEDIATE, the account still
#: active, the unit, its update, the history row, the audit chain's head and the record, the
#: board row, the change-feed entry.
STATUS_CHANGE_MAX = {"postgresql": 6, "sqlite": 9}


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    """Every statement ``db``'s pool sends meanwhile."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split())[:120])

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _queries(sent: list[str]) -> list[str]:
    """Without SQLite's BEGIN (PostgreSQL reads these without a transaction)."""
    return [s for s in sent if s != "BEGIN"]


def _engine(db: Database) -> str:
    return "sqlite" if db.target.is_sqlite else "postgresql"


async def test_a_status_change_sends_few_statements(services: Services, dispatcher: Actor) -> None:
    unit = await services.units.create(LEAD, "KOD 11")
    with counted(services.db) as sent:
        info = await services.units.set_status(dispatcher, unit.id, "6")
    assert info.status == "6"
    assert len(sent) <= STATUS_CHANGE_MAX[_engine(services.db)], "\n".join(sent)
    # Nothing the guarantees need is left out: audited, fed, in the history.
    history = await services.units.history(dispatcher, unit.id)
    assert [h.status for h in history][:1] == ["6"]


async def test_a_field_device_status_change_reads_nothing_back(
    services: Services, dispatcher: Actor
) -> None:
    """The field API's answer comes from the rows the change locked and wrote: one statement
    fewer than the desk's, which answers with the board row (crew, device, timeout)."""
    counts = []
    for call_sign, change in (
        ("KOD 11", services.units.set_status),
        ("KOD 12", services.units.report_status),
    ):
        unit = await services.units.create(LEAD, call_sign)
        draft = IncidentDraft("noise", address="Markt 1")
        incident = await services.incidents.create(dispatcher, draft)
        await services.incidents.assign_unit(dispatcher, incident.id, unit.id)
        with counted(services.db) as sent:
            answer = await change(dispatcher, unit.id, "3")
        assert (answer.status, answer.incident_number) == ("3", incident.number)
        counts.append(len(sent))
    assert counts[1] == counts[0] - 1, counts


async def test_board_rows_take_one_statement_for_any_number_of_units(
    services: Services, dispatcher: Actor
) -> None:
    zora = await services.users.add(ADMIN, "zora", "Zora Zett", Role.FIELD_OFFICER, PASSWORD)
    anna = await services.users.add(ADMIN, "anna", "Anna Acker", Role.FIELD_OFFICER, PASSWORD)
    await services.settings.set(ADMIN, "dispatch.confirm_timeout_s", 90)
    units = [await services.units.create(LEAD, f"KOD {n}") for n in range(21, 26)]
    crewed = units[0]
    await services.unit_admin.set_crew(LEAD, crewed.id, [zora.id, anna.id], crewed.version)
    device = await services.field_devices.register(ADMIN, "anna", "KOD 21", "Handy 1")
    incident = await services.incidents.create(dispatcher, IncidentDraft("noise", address="Markt"))
    await services.incidents.assign_unit(dispatcher, incident.id, units[1].id)
    ids = [u.id for u in units]
    with counted(services.db) as sent:
        rows = {r.id: r for r in await services.units.rows(dispatcher, ids)}
    assert len(_queries(sent)) == 1, "\n".join(sent)
    assert rows[crewed.id].members == ("Anna Acker", "Zora Zett")
    assert rows[crewed.id].device_seen_at is None and rows[crewed.id].device_connected is False
    alarmed = rows[units[1].id]
    assert alarmed.incident_number == incident.number and alarmed.alarmed_at is not None
    assert alarmed.confirm_due_at == alarmed.alarmed_at + timedelta(seconds=90)
    assert rows[units[2].id].incident_id is None and rows[units[2].id].members == ()
    # The whole board too.
    with counted(services.db) as sent:
        board = await services.units.board(dispatcher)
    assert len(_queries(sent)) == 1 and {u.id for u in board} >= set(ids)
    # A revoked device no longer shows.
    await services.field_devices.revoke(ADMIN, device.device.id)
    assert (await services.units.get(dispatcher, crewed.id)).device_connected is False


def _terminate_others(target: DatabaseTarget) -> int:
    url = make_url(target.sync_url)
    with psycopg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        pids = [
            r[0]
            for r in conn.execute(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (url.database,),
            )
        ]
        # Ended, as after a restart: the processes are gone (pg_terminate_backend only asks).
        for _ in range(500):
            left = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)
            ).fetchone()
            if not left or not left[0]:
                break
            time.sleep(0.01)
    return len(pids)


async def test_a_pooled_connection_the_server_ended_is_replaced_unseen(
    pg_target: DatabaseTarget,
) -> None:
    """After a failover or a restart the pool's connections are dead: the next action — also
    one right after the last — gets a fresh connection instead of "database unavailable"
    (the offline outbox replays at once when the link is back)."""
    db = Database(pg_target, "test-ws")
    services = Services.create(db)
    try:
        await services.units.create(LEAD, "KOD 31")
        assert _terminate_others(pg_target) >= 1
        assert [u.call_sign for u in await services.units.board(LEAD)] == ["KOD 31"]
        assert _terminate_others(pg_target) >= 1
        assert [u.call_sign for u in await services.units.board(LEAD)] == ["KOD 31"]
    finally:
        await db.dispose()


async def test_call_records_name_the_officer_one_statement_each(
    services: Services, db_target: DatabaseTarget
) -> None:
    setup = await officer_with_device(services)
    auth = {"Authorization": f"Bearer {setup.token}"}
    async with api_client(db_target) as client:
        for status in ("3", "6", "1"):
            answer = await client.post("/v1/status", json={"status": status}, headers=auth)
            assert answer.status_code == 200, answer.text
        refused = {"Authorization": "Bearer kodf_1_falsch"}
        assert (await client.get("/v1/device", headers=refused)).status_code == 401
    engine = services.db.sync_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT action, username FROM audit_log "
                    "WHERE action LIKE 'field.%' AND action <> 'field.device_register' ORDER BY id"
                )
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows if r[0] == "field.call"] == [("field.call", "streife1")] * 3
    refusals = [r[1] for r in rows if r[0] == "field.refused"]
    gateway = "field-api" if db_target.is_sqlite else GATEWAY_LOGIN
    assert refusals == [gateway]


async def test_a_batch_of_call_records_takes_one_statement_per_record(
    pg_target: DatabaseTarget,
) -> None:
    db = Database(pg_target, "test-ws")
    services = Services.create(db)
    try:
        setup = await officer_with_device(services)
        api_db = Database(gateway_target(pg_target), "field-api")
        writer = CallAuditWriter(api_db)
        officer = Actor(None, "streife1", Role.FIELD_OFFICER)
        for n in range(5):
            writer.add(CallRecord(officer, "field.call", setup.device_id, {"n": n}))
        with counted(api_db) as sent:
            await writer.close()
        await api_db.dispose()
        assert len(sent) == 1 + 5, "\n".join(sent)  # the writers' lock, then one per record
    finally:
        await db.dispose()
