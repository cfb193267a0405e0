"""Working through an outage: the durable outbox, pending results, replay and its conflicts."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from app.domain.dto import IncidentDraft, IncidentQuery
from app.platform.errors import DatabaseUnavailable, PermissionDenied, ValidationError
from app.platform.outbox import OP_CREATE_INCIDENT, OP_NOTE, Outbox
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from app.services.outbox_replay import KIND_CLOSED, KIND_DUPLICATE, KIND_FAILED, ReplayConflict
from app.services.resilient import PENDING_PREFIX, ResilientIncidents, is_pending_id
from tests.multiws.harness import ROOT


class Link:
    """Stands in for the change follower's link state."""

    def __init__(self) -> None:
        self.online = True

    def __call__(self) -> bool:
        return self.online


async def _facade(
    services: Services, tmp_path: Path, link: Link | None = None
) -> tuple[ResilientIncidents, list[ReplayConflict]]:
    outbox = await Outbox.open(tmp_path / "outbox.sqlite")
    facade = ResilientIncidents(services.db, services.incidents, outbox, is_online=link or Link())
    conflicts: list[ReplayConflict] = []
    facade.conflicts.connect(conflicts.append)
    return facade, conflicts


async def _count(services: Services, actor: Actor) -> int:
    return await services.incidents.count(actor, IncidentQuery())


# --- the outbox file -----------------------------------------------------------------------


def test_outbox_file_is_wal_with_full_sync(tmp_path: Path) -> None:
    box = Outbox.open_sync(tmp_path / "o.sqlite")
    try:
        conn = box._conn
        assert conn is not None
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        box.close_sync()


@pytest.mark.asyncio
async def test_offline_operations_survive_kill_9_and_replay(
    services: Services, dispatcher: Actor, tmp_path: Path
) -> None:
    """A workstation records during an outage and is killed; nothing confirmed is lost."""
    path = tmp_path / "outbox.sqlite"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.multiws.offline_writer",
        str(path),
        "--count",
        "4",
        cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    confirmed = []
    assert proc.stdout is not None
    try:
        while True:
            line = await asyncio.wait_for(proc.stdout.readline(), 15)
            assert line, (await proc.stderr.read()).decode() if proc.stderr else "no output"
            msg = json.loads(line)
            if msg.get("ready"):
                break
            confirmed.append(msg)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert len(confirmed) == 8
    creates = [m for m in confirmed if m["op"] == "create"]
    assert all(is_pending_id(m["id"]) and m["number"].startswith(PENDING_PREFIX) for m in creates)

    facade, conflicts = await _facade(services, tmp_path)
    try:
        assert [e.kind for e in facade.outbox.pending()] == [OP_CREATE_INCIDENT, OP_NOTE] * 4
        assert {-r.id for r in facade.pending_rows()} == {-m["id"] for m in creates}
        assert facade.outbox.pending()[0].actor.username == "dora"
        before = await _count(services, dispatcher)
        report = await facade.replay()
        assert report.replayed == 8 and report.remaining == 0 and not report.interrupted
        assert not conflicts
        assert await _count(services, dispatcher) == before + 4
        rows = await services.incidents.page(dispatcher, IncidentQuery(text="Offlineweg"), 0, 10)
        assert sorted(r.address for r in rows) == [f"Offlineweg {n}" for n in range(1, 5)]
        for r in rows:
            detail = await services.incidents.get(dispatcher, r.id)
            assert [j.text for j in detail.journal if j.kind == "note"] == [
                f"Notiz zu #{int(r.address.split()[-1]) - 1}"
            ]
        # Replaying again changes nothing.
        assert (await facade.replay()).replayed == 0
        assert await _count(services, dispatcher) == before + 4
    finally:
        await facade.close_outbox()


@pytest.mark.asyncio
async def test_crash_after_server_commit_before_removal_does_not_duplicate(
    services: Services, dispatcher: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = Link()
    facade, _conflicts = await _facade(services, tmp_path, link)
    link.online = False
    pending = await facade.create(dispatcher, IncidentDraft("waste", address="Kanalstraße 3"))
    await facade.add_note(dispatcher, pending.id, "Sperrmüll, ca. 3 m³")
    link.online = True

    real_done = facade.outbox.done

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(facade.outbox, "done", crash)
    with pytest.raises(RuntimeError):
        await facade.replay()
    # The server committed, the outbox still holds the entry: as after a crash.
    assert await _count(services, dispatcher) == 1
    assert facade.outbox.pending_count == 2
    monkeypatch.setattr(facade.outbox, "done", real_done)
    # A restarted workstation replays the same file.
    await facade.outbox.close()
    facade2, conflicts = await _facade(services, tmp_path, link)
    try:
        report = await facade2.replay()
        assert report.replayed == 2 and report.remaining == 0
        assert await _count(services, dispatcher) == 1
        (row,) = await services.incidents.page(dispatcher, IncidentQuery(), 0, 5)
        detail = await services.incidents.get(dispatcher, row.id)
        assert [j.text for j in detail.journal if j.kind == "note"] == ["Sperrmüll, ca. 3 m³"]
        assert not conflicts
    finally:
        await facade2.close_outbox()


# --- pending results -----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_offline_create_returns_a_marked_pending_incident(
    services: Services, dispatcher: Actor, tmp_path: Path
) -> None:
    link = Link()
    facade, _c = await _facade(services, tmp_path, link)
    try:
        online = await facade.create(dispatcher, IncidentDraft("noise", address="Am Markt 1"))
        assert online.id > 0
        link.online = False
        inc = await facade.create(
            dispatcher,
            IncidentDraft("assault_staff", address="Rathaus", lat=51.0325, lon=6.987),
        )
        assert inc.id < 0 and inc.number == f"{PENDING_PREFIX}{-inc.id}"
        assert inc.priority == 1 and inc.status == "new" and inc.version == 0
        assert inc.stadtteil == "Wiesdorf"
        assert await _count(services, dispatcher) == 1  # not on the server yet
        # Views can read it back, list it and add notes to it.
        assert (await facade.get(dispatcher, inc.id)).number == inc.number
        detail = await facade.add_note(dispatcher, inc.id, "Täter flüchtig Richtung Bahnhof")
        assert detail.journal[-1].text == "Täter flüchtig Richtung Bahnhof"
        assert detail.journal[-1].id < 0
        (row,) = await facade.rows(dispatcher, [inc.id])
        assert row.number == inc.number
        assert await facade.matches(dispatcher, IncidentQuery(open_only=True), [inc.id]) == {inc.id}
        ops = facade.pending()
        assert [o.kind for o in ops] == [OP_CREATE_INCIDENT, OP_NOTE]
        assert ops[1].number == inc.number and "Täter" in ops[1].summary
        # It cannot be changed before it is on the server.
        with pytest.raises(ValidationError, match=inc.number):
            await facade.update(dispatcher, inc.id, 0, {"priority": 2})
        with pytest.raises(ValidationError):
            await facade.assign_unit(dispatcher, inc.id, 1)
        # A note on a known incident while offline shows in its journal at once.
        await facade.get(dispatcher, online.id)
        detail = await facade.add_note(dispatcher, online.id, "Ruhestörung hält an")
        assert detail.number == online.number and detail.journal[-1].id < 0

        resolved: list[tuple[int, int]] = []
        facade.resolved.connect(resolved.append)
        link.online = True
        report = await facade.replay()
        assert report.replayed == 3 and report.remaining == 0
        assert len(resolved) == 1 and resolved[0][0] == inc.id and resolved[0][1] > 0
        real = await facade.get(dispatcher, inc.id)  # the old offline id still leads to it
        assert real.id == resolved[0][1] and real.number.startswith("E-")
        assert [j.text for j in real.journal if j.kind == "note"] == [
            "Täter flüchtig Richtung Bahnhof"
        ]
        assert [j.text for j in (await facade.get(dispatcher, online.id)).journal][-1] == (
            "Ruhestörung hält an"
        )
    finally:
        await facade.close_outbox()


@pytest.mark.asyncio
async def test_offline_input_is_checked_at_once_and_nothing_is_queued(
    services: Services, dispatcher: Actor, tmp_path: Path
) -> None:
    link = Link()
    facade, _c = await _facade(services, tmp_path, link)
    link.online = False
    try:
        with pytest.raises(ValidationError) as err:
            await facade.create(dispatcher, IncidentDraft("noise", address="  "))
        assert err.value.field == "address"
        with pytest.raises(ValidationError):
            await facade.create(dispatcher, IncidentDraft("no-such-category", address="A"))
        with pytest.raises(ValidationError):
            await facade.add_note(dispatcher, 1, "   ")
        clerk = Actor(None, "cli:clerk", Role.DATA_PROTECTION)
        with pytest.raises(PermissionDenied):
            await facade.create(clerk, IncidentDraft("noise", address="A"))
        assert facade.outbox.entries() == []
    finally:
        await facade.close_outbox()


@pytest.mark.asyncio
async def test_queued_operations_keep_their_order_even_when_online_again(
    services: Services, dispatcher: Actor, tmp_path: Path
) -> None:
    link = Link()
    facade, _c = await _facade(services, tmp_path, link)
    try:
        link.online = False
        first = await facade.create(dispatcher, IncidentDraft("noise", address="Erste Str. 1"))
        link.online = True
        # The outbox is not empty yet: the next operation queues behind the first.
        second = await facade.create(dispatcher, IncidentDraft("noise", address="Zweite Str. 2"))
        assert first.id < 0 and second.id < 0
        await facade.replay()
        rows = await services.incidents.page(dispatcher, IncidentQuery(sort="number"), 0, 10)
        assert [r.address for r in rows] == ["Erste Str. 1", "Zweite Str. 2"]
    finally:
        await facade.close_outbox()


# --- replay conflicts ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_note_for_an_incident_closed_meanwhile_is_added_and_flagged(
    services: Services, dispatcher: Actor, tmp_path: Path
) -> None:
    link = Link()
    facade, conflicts = await _facade(services, tmp_path, link)
    try:
        inc = await facade.create(dispatcher, IncidentDraft("dog", address="Stadtpark"))
        await facade.get(dispatcher, inc.id)
        link.online = False
        await facade.add_note(dispatcher, inc.id, "Hund wieder aufgetaucht")
        # Meanwhile another workstation closes the incident.
        await services.incidents.close(dispatcher, inc.id, inc.version, "resolved")
        link.online = True
        report = await facade.replay()
        assert [c.kind for c in report.conflicts] == [KIND_CLOSED]
        assert [c.kind for c in conflicts] == [KIND_CLOSED]
        assert inc.number in conflicts[0].message
        detail = await services.incidents.get(dispatcher, inc.id)
        assert detail.journal[-1].text == "Hund wieder aufgetaucht"
        assert facade.outbox.entries() == []
    finally:
        await facade.close_outbox()


@pytest.mark.asyncio
async def test_same_incident_recorded_by_another_workstation_is_flagged(
    services: Services, dispatcher: Actor, tmp_path: Path
) -> None:
    link = Link()
    facade, conflicts = await _facade(services, tmp_path, link)
    try:
        link.online = False
        await facade.create(dispatcher, IncidentDraft("noise", address="Hauptstraße 12"))
        other = await services.incidents.create(
            dispatcher, IncidentDraft("noise", address="hauptstr.  12")
        )
        await services.incidents.create(
            dispatcher, IncidentDraft("waste", address="Hauptstraße 12")
        )
        link.online = True
        report = await facade.replay()
        assert [c.kind for c in report.conflicts] == [KIND_DUPLICATE]
        assert conflicts[0].other_number == other.number
        assert other.number in conflicts[0].message
        assert await _count(services, dispatcher) == 3  # both kept
    finally:
        await facade.close_outbox()


@pytest.mark.asyncio
async def test_refused_operation_is_kept_as_failed_until_discarded(
    services: Services, dispatcher: Actor, tmp_path: Path
) -> None:
    link = Link()
    facade, conflicts = await _facade(services, tmp_path, link)
    try:
        link.online = False
        await facade.add_note(dispatcher, 424242, "Notiz zu einem gelöschten Einsatz")
        await facade.create(dispatcher, IncidentDraft("noise", address="Danach 1"))
        link.online = True
        report = await facade.replay()
        # The refused note does not block what follows.
        assert report.replayed == 1 and report.remaining == 0
        assert [c.kind for c in conflicts] == [KIND_FAILED]
        assert "Notiz zu einem gelöschten Einsatz" in conflicts[0].message
        (failed,) = facade.outbox.failed()
        assert failed.last_error
        assert facade.pending()[0].failed
        await facade.outbox.discard(failed.uuid)
        assert facade.outbox.entries() == []
    finally:
        await facade.close_outbox()


@pytest.mark.asyncio
async def test_replay_stops_when_the_server_is_gone_again(
    services: Services, dispatcher: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = Link()
    facade, _c = await _facade(services, tmp_path, link)
    try:
        link.online = False
        await facade.create(dispatcher, IncidentDraft("noise", address="Weg 1"))
        await facade.create(dispatcher, IncidentDraft("noise", address="Weg 2"))
        link.online = True

        async def unavailable(*a: object, **k: object) -> None:
            raise DatabaseUnavailable("weg")

        monkeypatch.setattr(services.incidents, "create", unavailable)
        report = await facade.replay()
        assert report.interrupted and report.replayed == 0 and report.remaining == 2
        assert facade.outbox.pending()[0].attempts == 1
        monkeypatch.undo()
        report = await facade.replay()
        assert report.replayed == 2 and report.remaining == 0
    finally:
        await facade.close_outbox()


def test_outbox_file_is_per_database(tmp_path: Path) -> None:
    from app.platform.config import parse_database_url, sqlite_target
    from app.platform.outbox import outbox_path

    a = outbox_path(parse_database_url("postgresql://kod:geheim@db1/leitstelle"), tmp_path)
    b = outbox_path(parse_database_url("postgresql://kod:anders@db1/leitstelle"), tmp_path)
    c = outbox_path(sqlite_target(tmp_path / "x.sqlite"), tmp_path)
    assert a == b  # the password is not part of the identity
    assert a != c and a.parent == tmp_path / "outbox"
