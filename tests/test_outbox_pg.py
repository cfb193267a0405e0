"""Real outages on PostgreSQL (through a TCP proxy): writes go to the outbox, replay once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.domain.dto import IncidentDraft, IncidentQuery
from app.platform.changefeed import ChangeFollower, LinkState
from app.platform.database import Database
from app.platform.outbox import Outbox
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from app.services.resilient import ResilientIncidents
from tests.multiws import fixtures
from tests.multiws.harness import wait_for
from tests.multiws.proxy import TcpProxy

pg = fixtures.pg
proxy = fixtures.proxy
multiws_template = fixtures.multiws_template
PgDb = fixtures.PgDb
DISPO = Actor(None, "cli:dispo", Role.DISPATCHER, "Test-Disponent")


@pytest.mark.asyncio
async def test_hung_network_write_goes_to_outbox_and_replays_exactly_once(
    pg: PgDb, proxy: TcpProxy, tmp_path: Path
) -> None:
    db = Database(pg.target(proxy.url_host_port), workstation="ws-a")
    direct = Database(pg.target(), workstation="ws-b")
    follower = ChangeFollower(db)
    outbox = await Outbox.open(tmp_path / "outbox.sqlite")
    facade = ResilientIncidents(
        db,
        Services.create(db).incidents,
        outbox,
        is_online=lambda: follower.state == LinkState.ONLINE,
        write_timeout=1.5,
    )
    follower.start()
    try:
        await wait_for(lambda: follower.state == LinkState.ONLINE, 5)
        await facade.create(DISPO, IncidentDraft("noise", address="Vorher 1"))
        proxy.hang()
        t0 = time.monotonic()
        first = await facade.create(DISPO, IncidentDraft("noise", address="Hängt 1"))
        assert first.id < 0 and time.monotonic() - t0 < 3.0
        await wait_for(lambda: follower.state == LinkState.OFFLINE, 6)
        t0 = time.monotonic()
        second = await facade.create(DISPO, IncidentDraft("dog", address="Offline 2"))
        await facade.add_note(DISPO, second.id, "Hund bellt")
        assert second.id < 0 and time.monotonic() - t0 < 0.5
        proxy.resume()  # the hung first attempt may now commit on its own
        await wait_for(lambda: follower.state == LinkState.ONLINE, 10)
        report = await facade.replay()
        assert report.remaining == 0 and not report.interrupted
        other = Services.create(direct)
        rows = await other.incidents.page(DISPO, IncidentQuery(sort="number"), 0, 10)
        assert [r.address for r in rows] == ["Vorher 1", "Hängt 1", "Offline 2"]
        detail = await other.incidents.get(DISPO, rows[2].id)
        assert [j.text for j in detail.journal if j.kind == "note"] == ["Hund bellt"]
    finally:
        proxy.resume()
        await follower.stop()
        await facade.close_outbox()
        await db.dispose()
        await direct.dispose()


@pytest.mark.asyncio
async def test_server_down_write_is_queued_at_once(
    pg: PgDb, proxy: TcpProxy, tmp_path: Path
) -> None:
    db = Database(pg.target(proxy.url_host_port), workstation="ws-a")
    outbox = await Outbox.open(tmp_path / "outbox.sqlite")
    facade = ResilientIncidents(db, Services.create(db).incidents, outbox)
    try:
        known = await facade.create(DISPO, IncidentDraft("noise", address="Markt 1"))
        await facade.get(DISPO, known.id)
        await proxy.go_down()
        t0 = time.monotonic()
        pending = await facade.create(DISPO, IncidentDraft("parking", address="Bahnhof"))
        assert pending.id < 0 and time.monotonic() - t0 < 2.0
        # The incident open on screen stays readable (as last seen) and takes notes.
        await facade.add_note(DISPO, known.id, "Lärm hält an")
        shown = await facade.get(DISPO, known.id)
        assert shown.number == known.number and shown.journal[-1].text == "Lärm hält an"
        assert shown.journal[-1].id < 0  # not yet on the server
        await proxy.come_back()
        report = await facade.replay()
        assert report.replayed == 2 and report.remaining == 0
        shown = await facade.get(DISPO, known.id)
        assert shown.journal[-1].text == "Lärm hält an" and shown.journal[-1].id > 0
    finally:
        await facade.close_outbox()
        await db.dispose()
