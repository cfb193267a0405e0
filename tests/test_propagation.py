"""Live propagation between workstations, connection loss and reconnect without loss.

A follower in the test process plays one workstation; a second *process*
(``tests.multiws.writer``) plays another, writing through the services. PostgreSQL tests run on
the real server; connection loss is produced with ``pg_terminate_backend`` and, for a hung
network or a server that is down, with a TCP proxy in front of the server.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from app.domain.dto import IncidentDraft
from app.platform.changefeed import (
    MAX_NOTIFY_PAYLOAD,
    ChangeFollower,
    LinkState,
    last_change_id,
    listen_connect_kwargs,
)
from app.platform.config import parse_database_url, sqlite_target
from app.platform.database import NOTIFY_CHANNEL, Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from tests.multiws import fixtures
from tests.multiws.fixtures import PgDb
from tests.multiws.harness import (
    Recorder,
    WriterProcess,
    feed_ids,
    psycopg_dsn,
    terminate_backends,
    wait_for,
)
from tests.multiws.proxy import TcpProxy

pg = fixtures.pg
proxy = fixtures.proxy
multiws_template = fixtures.multiws_template
DISPO = Actor(None, "cli:dispo", Role.DISPATCHER, "Test-Disponent")


# --- SQLite: a second process shows up within a second ------------------------------------


@pytest.mark.asyncio
async def test_sqlite_second_process_shows_within_a_second(
    sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "kod.sqlite"
    shutil.copy(sqlite_template, path)
    db = Database(sqlite_target(path), workstation="ws-a")
    follower = ChangeFollower(db, after_id=await last_change_id(db))
    rec = Recorder().attach(follower)
    follower.start()
    try:
        await wait_for(lambda: follower.state == LinkState.ONLINE, 5)
        writer = await WriterProcess.start(f"sqlite:///{path}", 3, 0.3)
        await writer.wait()
        await wait_for(lambda: len(rec.incident_ids()) == 3, 3)
        by_incident = {eid: t for cid, t in rec.changes.items() for eid in [rec.entities[cid][1]]}
        for row in writer.rows:
            latency = by_incident[row["id"]] - row["t"]
            assert latency < 1.0, f"incident {row['number']} arrived after {latency:.2f} s"
    finally:
        await follower.stop()
        await db.dispose()


# --- PostgreSQL --------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_postgres_second_process_propagates_fast(pg: PgDb) -> None:
    db = Database(pg.target(), workstation="ws-a")
    follower = ChangeFollower(db, after_id=await last_change_id(db))
    rec = Recorder().attach(follower)
    follower.start()
    try:
        await wait_for(lambda: follower.state == LinkState.ONLINE, 5)
        writer = await WriterProcess.start(pg.url, 20, 0.02)
        await writer.wait()
        await wait_for(lambda: len(rec.incident_ids()) == 20, 3)
        arrivals = {rec.entities[cid][1]: t for cid, t in rec.changes.items()}
        latencies = sorted(arrivals[r["id"]] - r["t"] for r in writer.rows)
        assert latencies[-1] < 0.5, latencies
        assert rec.duplicates == 0
        assert set(rec.changes) == set(await feed_ids(pg.url, pg.name))
    finally:
        await follower.stop()
        await db.dispose()


@pytest.mark.asyncio
async def test_notify_payload_is_a_small_change_id(pg: PgDb) -> None:
    """NOTIFY is only the wake-up: its payload is the newest change id, far below 8000 bytes."""
    db = Database(pg.target())
    services = Services.create(db)
    conn = await psycopg.AsyncConnection.connect(psycopg_dsn(pg.url), autocommit=True)
    try:
        await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        await services.incidents.create(DISPO, IncidentDraft("noise", address="Markt 1"))
        notes = [n async for n in conn.notifies(timeout=2, stop_after=1)]
        assert notes, "no notification"
        payload = notes[0].payload
        assert len(payload.encode()) < MAX_NOTIFY_PAYLOAD
        assert int(payload) == await last_change_id(db)
    finally:
        await conn.close()
        await db.dispose()


@pytest.mark.asyncio
async def test_a_made_up_notification_never_hides_a_real_change(pg: PgDb) -> None:
    """Any login may NOTIFY the channel: a made-up notification that announces (and "carries")
    the next change id must not make workstations skip the real change with that id."""
    db = Database(pg.target())
    services = Services.create(db)
    follower = ChangeFollower(db, after_id=await last_change_id(db))
    seen: list[tuple[int, str, int]] = []
    follower.changes.connect(
        lambda b: seen.extend((c.id, c.entity, c.entity_id) for c in b.changes)
    )
    conn = await psycopg.AsyncConnection.connect(psycopg_dsn(pg.url), autocommit=True)
    try:
        follower.start()
        await wait_for(lambda: follower.state == LinkState.ONLINE, 10)
        after = follower.last_id
        made_up = {
            "id": after + 1,
            "changes": [
                [after + 1, "2026-12-06T07:00:00+00:00", "unit", 4242, "update", 2, "elsewhere"]
            ],
        }
        await conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, json.dumps(made_up)))
        await conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, str(after + 1)))
        # The real change that then gets this id reaches the follower all the same.
        created = await services.incidents.create(DISPO, IncidentDraft("noise", address="Markt 2"))
        await wait_for(lambda: any(c[1:] == ("incident", created.id) for c in seen), 5)
        assert (after + 1, "unit", 4242) not in seen  # nothing is taken from a notification
    finally:
        await follower.stop()
        await conn.close()
        await db.dispose()


@pytest.mark.asyncio
async def test_terminated_backends_while_writing_lose_no_change(pg: PgDb) -> None:
    """pg_terminate_backend on every session, again and again, while another process writes."""
    db = Database(pg.target(), workstation="ws-a")
    follower = ChangeFollower(db, after_id=await last_change_id(db), heartbeat=0.5)
    rec = Recorder().attach(follower)
    follower.start()
    count = 120
    try:
        await wait_for(lambda: follower.state == LinkState.ONLINE, 5)
        writer = await WriterProcess.start(pg.url, count, 0.01)
        killed = 0
        rounds = 0
        while writer.proc.returncode is None and rounds < 60:
            await asyncio.sleep(0.25)
            killed += await terminate_backends(pg.url, pg.name)
            rounds += 1
        await writer.wait()
        assert killed >= 5, "the test did not terminate enough connections to mean anything"
        assert LinkState.OFFLINE in rec.states()
        await wait_for(lambda: follower.state == LinkState.ONLINE, 8)
        expected = await feed_ids(pg.url, pg.name)
        await wait_for(lambda: set(rec.changes) >= set(expected), 5)
        lost = set(expected) - set(rec.changes)
        assert not lost, f"{len(lost)} changes lost"
        assert rec.duplicates == 0
        # Every incident exists exactly once although the writer retried after lost links.
        assert len(rec.incident_ids()) == count
        assert sorted(r["n"] for r in writer.rows) == list(range(count))
        assert follower.connects >= 2
    finally:
        await follower.stop()
        await db.dispose()


@pytest.mark.asyncio
async def test_terminated_listen_connection_goes_offline_and_catches_up(pg: PgDb) -> None:
    db = Database(pg.target(), workstation="ws-a")
    services = Services.create(db)
    follower = ChangeFollower(db, after_id=await last_change_id(db), max_backoff=1.0)
    rec = Recorder().attach(follower)
    follower.start()
    try:
        await wait_for(lambda: follower.state == LinkState.ONLINE, 5)
        t0 = time.time()
        assert await terminate_backends(pg.url, pg.name, "kod-follower@") == 1
        await wait_for(lambda: follower.state == LinkState.OFFLINE, 5)
        offline_at = rec.first(LinkState.OFFLINE, t0)
        assert offline_at is not None and offline_at - t0 < 5.0
        status = follower.status
        assert status.message and status.since is not None and status.retry_in is not None
        # Written while the follower is away: its notifications are lost, the catch-up reads it.
        created = [
            (await services.incidents.create(DISPO, IncidentDraft("waste", address=f"Weg {k}"))).id
            for k in range(5)
        ]
        await wait_for(lambda: follower.state == LinkState.ONLINE, 8)
        await wait_for(lambda: set(created) <= rec.incident_ids(), 3)
    finally:
        await follower.stop()
        await db.dispose()


@pytest.mark.asyncio
async def test_hung_network_shows_offline_within_5_s_and_loop_stays_responsive(
    pg: PgDb, proxy: TcpProxy
) -> None:
    db = Database(pg.target(proxy.url_host_port), workstation="ws-a")
    follower = ChangeFollower(db)
    rec = Recorder().attach(follower)
    follower.start()
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.02)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    tick = asyncio.ensure_future(ticker())
    try:
        await wait_for(lambda: follower.state == LinkState.ONLINE, 5)
        t0 = time.time()
        proxy.hang()
        await wait_for(lambda: follower.state == LinkState.OFFLINE, 6)
        offline_at = rec.first(LinkState.OFFLINE, t0)
        assert offline_at is not None and offline_at - t0 <= 5.0
        assert "antwortet nicht" in follower.status.message or follower.status.message
        proxy.resume()
        await wait_for(lambda: follower.state == LinkState.ONLINE, 10)
        assert max(gaps) < 0.5, f"event loop blocked for {max(gaps):.2f} s"
    finally:
        tick.cancel()
        proxy.resume()
        await follower.stop()
        await db.dispose()


@pytest.mark.asyncio
async def test_server_down_then_back_reconnects_with_backoff_and_catches_up(
    pg: PgDb, proxy: TcpProxy
) -> None:
    db = Database(pg.target(proxy.url_host_port), workstation="ws-a")
    direct = Database(pg.target(), workstation="ws-b")
    services_b = Services.create(direct)
    follower = ChangeFollower(db)
    rec = Recorder().attach(follower)
    follower.start()
    try:
        await wait_for(lambda: follower.state == LinkState.ONLINE, 5)
        t0 = time.time()
        await proxy.go_down()
        await wait_for(lambda: follower.state == LinkState.OFFLINE, 5)
        ids = [
            (await services_b.incidents.create(DISPO, IncidentDraft("dog", address=f"Park {k}"))).id
            for k in range(30)
        ]
        # Several failed attempts: OFFLINE repeats with the same "since" and a bounded delay.
        await wait_for(lambda: rec.states().count(LinkState.OFFLINE) >= 3, 8)
        offline = [s for _t, s in rec.links if s.state == LinkState.OFFLINE]
        assert len({s.since for s in offline}) == 1
        assert all(s.retry_in is not None and s.retry_in <= 6.0 for s in offline)
        await proxy.come_back()
        await wait_for(lambda: follower.state == LinkState.ONLINE, 8)
        await wait_for(lambda: set(ids) <= rec.incident_ids(), 3)
        assert rec.first(LinkState.ONLINE, t0) is not None
    finally:
        await follower.stop()
        await db.dispose()
        await direct.dispose()


@pytest.mark.asyncio
async def test_feed_that_went_back_emits_a_reset(pg: PgDb) -> None:
    """After a failover that lost transactions (or a restore) the feed ends below our id."""
    db = Database(pg.target())
    follower = ChangeFollower(db, after_id=10_000)
    rec = Recorder().attach(follower)
    follower.start()
    try:
        await wait_for(lambda: follower.state == LinkState.ONLINE, 5)
        assert rec.resets >= 1
        assert follower.last_id == 0
    finally:
        await follower.stop()
        await db.dispose()


# --- multi-host URLs (primary + standby) ---------------------------------------------------


def test_multi_host_urls_are_accepted() -> None:
    t = parse_database_url(
        "postgresql://kod:pw@db1.stadt.local:5432,db2.stadt.local:5433/leitstelle"
        "?target_session_attrs=read-write&sslmode=verify-full&sslrootcert=/etc/kod/ca.pem"
    )
    assert t.kind == "postgresql"
    assert t.sync_url.query["host"] == ("db1.stadt.local:5432", "db2.stadt.local:5433")
    assert t.sync_url.query["target_session_attrs"] == "read-write"
    kwargs = listen_connect_kwargs(Database(t, workstation="ws"))
    assert kwargs["host"] == "db1.stadt.local,db2.stadt.local"
    assert kwargs["port"] == "5432,5433"
    assert kwargs["sslmode"] == "verify-full"
    assert kwargs["target_session_attrs"] == "read-write"
    # Without ports and in SQLAlchemy's own query form.
    assert parse_database_url("postgresql://kod@db1,db2/leitstelle").kind == "postgresql"
    assert parse_database_url("postgresql://kod@/leitstelle?host=db1:5432&host=db2:5432")
    with pytest.raises(Exception, match="99999"):
        parse_database_url("postgresql://kod@db1:5432,db2:99999/leitstelle")


@pytest.mark.asyncio
async def test_multi_host_url_skips_a_dead_host(pg: PgDb) -> None:
    url = make_url(pg.url)
    raw = (
        f"postgresql://{url.username}:{url.password}@127.0.0.1:1,"
        f"{url.host}:{url.port or 5432}/{pg.name}?target_session_attrs=read-write"
    )
    db = Database(parse_database_url(raw))
    follower = ChangeFollower(db)
    follower.start()
    try:
        info = await db.check()
        assert info.schema.up_to_date
        await wait_for(lambda: follower.state == LinkState.ONLINE, 8)
    finally:
        await follower.stop()
        await db.dispose()
