"""The live link: a unit's Aufträge are pushed over the WebSocket as the change feed brings
them, acknowledged over the link, and caught up after a reconnect from the device's cursor."""

from __future__ import annotations

import asyncio
import threading
import warnings
from datetime import timedelta
from typing import Any

import pytest

from app.domain.dto import LINK_STALE_S
from app.domain.dto_work import TaskDraft
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.platform.uow import Actor
from app.services import Services
from fieldapi.app import create_app
from tests.field_setup import gateway_target, officer_with_device
from tests.ui.waiting import wait_until

with warnings.catch_warnings():
    # Starlette's test client asks for a newer httpx; it works with this one.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

LEAD = Actor(None, "cli:test", Role.SHIFT_LEAD, "Schichtleitung")


@pytest.mark.asyncio
async def test_inbox_pushed_acknowledged_and_caught_up(
    services: Services, db_target: DatabaseTarget
) -> None:
    setup = await officer_with_device(services)
    first = await services.tasks.create(
        LEAD, TaskDraft(title="Kiosk prüfen", assigned_unit_id=setup.unit_id)
    )
    app = create_app(Database(gateway_target(db_target), "field-api"))
    connected = threading.Event()
    seen: list[dict[str, Any]] = []

    def device() -> None:
        with TestClient(app) as client, client.websocket_connect("/v1/stream") as ws:
            ws.send_json({"token": setup.token})
            seen.append(ws.receive_json())
            connected.set()
            seen.append(ws.receive_json())  # pushed when the second Auftrag arrives
            ws.send_json({"type": "ack", "kind": "task", "id": first.id})
            seen.append(ws.receive_json())

    thread = asyncio.get_running_loop().run_in_executor(None, device)
    await asyncio.to_thread(connected.wait, 30)
    second = await services.tasks.create(
        LEAD, TaskDraft(title="Streife Rheinufer", assigned_unit_id=setup.unit_id)
    )
    await asyncio.wait_for(thread, 60)
    assert [i["id"] for i in seen[0]["items"]] == [first.id]
    assert [i["id"] for i in seen[1]["items"]] == [first.id, second.id]
    assert seen[2]["type"] == "ack" and seen[2]["id"] == first.id
    cursor = seen[1]["cursor"]

    # While the device is away a third Auftrag comes; the reconnect names it as changed.
    third = await services.tasks.create(
        LEAD, TaskDraft(title="Spielplatz", assigned_unit_id=setup.unit_id)
    )

    def reconnect() -> dict[str, Any]:
        with TestClient(app) as client, client.websocket_connect("/v1/stream") as ws:
            ws.send_json({"token": setup.token, "after": cursor})
            message: dict[str, Any] = ws.receive_json()
            return message

    again = await asyncio.to_thread(reconnect)
    assert ["task", third.id] in again["changed"]
    acked = {i["id"]: i["acknowledged_at"] for i in again["items"]}
    assert acked[first.id] is not None and acked[third.id] is None


@pytest.mark.asyncio
async def test_revoked_device_cannot_open_the_link(
    services: Services, db_target: DatabaseTarget
) -> None:
    setup = await officer_with_device(services)
    await services.field_devices.revoke(Actor(None, "cli:test", Role.ADMIN), setup.device_id)
    app = create_app(Database(gateway_target(db_target), "field-api"))

    def device() -> int:
        with TestClient(app) as client, client.websocket_connect("/v1/stream") as ws:
            ws.send_json({"token": setup.token})
            message = ws.receive()
            return int(message.get("code", 0))

    assert await asyncio.to_thread(device) == 4401


@pytest.mark.asyncio
async def test_an_open_link_closes_when_the_officer_leaves_the_crew(
    services: Services, db_target: DatabaseTarget
) -> None:
    """The desk takes the officer off the unit: the device's open link is told and closed."""
    setup = await officer_with_device(services)
    app = create_app(Database(gateway_target(db_target), "field-api"))
    connected = threading.Event()

    def device() -> tuple[int, str]:
        with TestClient(app) as client, client.websocket_connect("/v1/stream") as ws:
            ws.send_json({"token": setup.token})
            ws.receive_json()
            connected.set()
            message = ws.receive()
            return int(message.get("code", 0)), str(message.get("reason", ""))

    closed = asyncio.get_running_loop().run_in_executor(None, device)
    await asyncio.to_thread(connected.wait, 30)
    unit = await services.unit_admin.unit(Actor(None, "cli:test", Role.ADMIN), setup.unit_id)
    await services.unit_admin.set_crew(
        Actor(None, "cli:test", Role.ADMIN), setup.unit_id, [], unit.version
    )
    code, reason = await asyncio.wait_for(closed, 30)
    assert code == 4401 and "Besatzung" in reason


@pytest.mark.asyncio
async def test_an_open_link_is_confirmed_while_it_stays_open(
    services: Services, db_target: DatabaseTarget
) -> None:
    """The API confirms its open links now and then, so the unit board can tell an open
    link from one an API process left marked open when it died."""
    setup = await officer_with_device(services)
    app = create_app(Database(gateway_target(db_target), "field-api"))
    app.state.hub.heartbeat_s = 0.2
    connected = threading.Event()
    done = threading.Event()

    def device() -> None:
        with TestClient(app) as client, client.websocket_connect("/v1/stream") as ws:
            ws.send_json({"token": setup.token})
            ws.receive_json()
            connected.set()
            done.wait(30)

    link = asyncio.get_running_loop().run_in_executor(None, device)
    try:
        await asyncio.to_thread(connected.wait, 30)

        async def marked_open() -> bool:
            return (await services.units.get(LEAD, setup.unit_id)).device_connected

        await wait_until(marked_open, 10)
        first = await services.units.get(LEAD, setup.unit_id)
        assert first.device_seen_at is not None

        async def confirmed_again() -> bool:
            now = await services.units.get(LEAD, setup.unit_id)
            assert now.device_seen_at is not None and first.device_seen_at is not None
            return now.device_seen_at > first.device_seen_at

        await wait_until(confirmed_again, 10)
        unit = await services.units.get(LEAD, setup.unit_id)
        assert unit.device_link_live(utcnow())
        # Not confirmed for longer than LINK_STALE_S (its process died): not shown as open.
        later = utcnow() + timedelta(seconds=LINK_STALE_S + 1)
        assert unit.device_connected and not unit.device_link_live(later)
    finally:
        done.set()
        await asyncio.wait_for(link, 30)
