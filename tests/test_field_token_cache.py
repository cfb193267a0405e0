"""The field API keeps the tokens it checked and asks the database again only when the change
feed says something that can end a device's right: revocation, rotation, crew, account.

Real SQLite file and real PostgreSQL; the API follows the feed as in production.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event

from app.domain.dto import Change, ChangeBatch
from app.platform.changefeed import last_change_id
from app.platform.config import DatabaseTarget
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from app.services.field_gateway import DeviceIdentity, IdentityCache
from fieldapi.context import FieldContext
from fieldapi.stream import StreamHub
from tests.conftest import ADMIN
from tests.field_setup import FieldSetup, officer_with_device, running_api
from tests.ui.waiting import wait_until

LEAD = Actor(None, "cli:test", Role.SHIFT_LEAD, "Schichtleitung")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _identity(device_id: int, unit_id: int) -> DeviceIdentity:
    return DeviceIdentity(
        device_id, "Handy", unit_id, f"KOD {unit_id}", Actor(7, "streife1", Role.FIELD_OFFICER)
    )


def _batch(*changes: tuple[str, int, str], reset: bool = False) -> ChangeBatch:
    now = datetime.now(UTC)
    return ChangeBatch(
        tuple(Change(i, now, e, eid, op, None, None) for i, (e, eid, op) in enumerate(changes)),
        reset=reset,
    )


# --- the cache on its own ----------------------------------------------------------------


def test_status_and_positions_keep_the_entries_what_can_end_a_right_drops_them() -> None:
    cache = IdentityCache()
    for unit in (1, 2):
        cache.put(f"t{unit}", _identity(unit, unit), cache.generation)
    cache.apply(_batch(("unit", 1, "status"), ("unit", 1, "position"), ("unit", 1, "seen")))
    cache.apply(_batch(("unit", 1, "assign"), ("incident", 1, "update")))
    assert cache.get("t1") is not None and cache.get("t2") is not None
    cache.apply(_batch(("unit", 1, "device")))  # revoked, rotated, registered
    assert cache.get("t1") is None and cache.get("t2") is not None
    cache.put("t1", _identity(1, 1), cache.generation)
    cache.apply(_batch(("unit", 2, "update")))  # crew or unit taken out of service
    assert cache.get("t1") is not None and cache.get("t2") is None
    cache.apply(_batch(("user", 99, "update")))  # an account: all of them
    assert len(cache) == 0
    cache.put("t1", _identity(1, 1), cache.generation)
    cache.apply(_batch(reset=True))  # the feed went back: all of them
    assert len(cache) == 0


def test_an_answer_read_before_a_change_arrived_is_not_kept() -> None:
    cache = IdentityCache()
    before = cache.generation  # the database is asked ...
    cache.apply(_batch(("unit", 5, "device")))  # ... meanwhile the device is revoked
    cache.put("t", _identity(1, 1), before)
    assert cache.get("t") is None


def test_an_entry_ends_after_its_time_even_without_a_change() -> None:
    now = [100.0]
    cache = IdentityCache(ttl_s=60, clock=lambda: now[0])
    cache.put("t", _identity(1, 1), cache.generation)
    now[0] = 159.9
    assert cache.get("t") is not None
    now[0] = 160.0
    assert cache.get("t") is None and len(cache) == 0


# --- in the running API --------------------------------------------------------------------


@contextmanager
def _token_checks(app: FastAPI) -> Iterator[list[str]]:
    """The statements that check a device's token, as the API sends them."""
    ctx: FieldContext = app.state.field
    seen: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        if "token_hash" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def _feed_read(app: FastAPI, services: Services) -> None:
    """Until the API's change follower is online and has read everything committed."""
    hub: StreamHub = app.state.hub
    newest = await last_change_id(services.db)
    follower = hub.follower
    assert follower is not None
    await wait_until(lambda: follower.status.online and follower.last_id >= newest, 10)


@pytest.mark.asyncio
async def test_a_device_s_token_is_checked_once_while_the_feed_is_followed(
    services: Services, db_target: DatabaseTarget
) -> None:
    """On PostgreSQL; a SQLite file's feed is only looked at now and then, so there every
    call is checked."""
    setup = await officer_with_device(services)
    async with running_api(db_target) as (client, app):
        await _feed_read(app, services)
        with _token_checks(app) as checks:
            for status in ("3", "4", "3"):
                answer = await client.post(
                    "/v1/status", json={"status": status}, headers=_auth(setup.token)
                )
                assert answer.status_code == 200, answer.text
        assert len(checks) == (3 if db_target.is_sqlite else 1)
    assert (await services.units.get(LEAD, setup.unit_id)).status == "3"


@pytest.mark.asyncio
async def test_a_device_revoked_a_moment_ago_is_refused_at_once_and_told_why(
    services: Services, db_target: DatabaseTarget
) -> None:
    """The very next call after the revocation, before the change feed may have arrived."""
    setup = await officer_with_device(services)
    async with running_api(db_target) as (client, app):
        await _feed_read(app, services)
        assert (await client.get("/v1/device", headers=_auth(setup.token))).status_code == 200
        await services.field_devices.revoke(ADMIN, setup.device_id)
        answer = await client.post("/v1/status", json={"status": "6"}, headers=_auth(setup.token))
        assert answer.status_code == 401, answer.text
        assert "widerrufen" in answer.json()["error"]["message"]
    assert (await services.units.get(LEAD, setup.unit_id)).status != "6"


@pytest.mark.asyncio
async def test_of_two_devices_the_revoked_one_is_refused_at_once_the_other_goes_on(
    services: Services, db_target: DatabaseTarget
) -> None:
    """The officer keeps a second device: the server still lets the API act for the officer,
    but not for the revoked device, even before the change feed has told the API."""
    setup = await officer_with_device(services)
    second = await services.field_devices.register(ADMIN, "streife1", "KOD 11", "Tablet 3")
    async with running_api(db_target) as (client, app):
        await _feed_read(app, services)
        for token in (setup.token, second.token):
            assert (await client.get("/v1/device", headers=_auth(token))).status_code == 200
        await services.field_devices.revoke(ADMIN, setup.device_id)
        answer = await client.post("/v1/status", json={"status": "6"}, headers=_auth(setup.token))
        assert answer.status_code == 401, answer.text
        assert "widerrufen" in answer.json()["error"]["message"]
        assert (await services.units.get(LEAD, setup.unit_id)).status != "6"
        answer = await client.post("/v1/status", json={"status": "4"}, headers=_auth(second.token))
        assert answer.status_code == 200, answer.text
    assert (await services.units.get(LEAD, setup.unit_id)).status == "4"


@pytest.mark.asyncio
async def test_without_the_feed_every_call_asks_the_database(
    services: Services, db_target: DatabaseTarget
) -> None:
    setup = await officer_with_device(services)
    async with running_api(db_target, follow_changes=False) as (client, app):
        with _token_checks(app) as checks:
            for _ in range(3):
                answer = await client.get("/v1/device", headers=_auth(setup.token))
                assert answer.status_code == 200
        assert len(checks) == 3


async def _revoke(s: Services, f: FieldSetup) -> None:
    await s.field_devices.revoke(ADMIN, f.device_id)


async def _off_the_crew(s: Services, f: FieldSetup) -> None:
    unit = await s.unit_admin.unit(ADMIN, f.unit_id)
    await s.unit_admin.set_crew(ADMIN, f.unit_id, [], unit.version)


async def _account_disabled(s: Services, f: FieldSetup) -> None:
    await s.users.set_active(ADMIN, "streife1", False)


async def _role_changed(s: Services, f: FieldSetup) -> None:
    await s.users.set_role(ADMIN, "streife1", Role.CLERK)


async def _new_token_by_the_desk(s: Services, f: FieldSetup) -> None:
    await s.field_devices.rotate(ADMIN, f.device_id)


ENDINGS: dict[str, Callable[[Services, FieldSetup], Awaitable[None]]] = {
    "revoked": _revoke,
    "off the crew": _off_the_crew,
    "account disabled": _account_disabled,
    "role changed": _role_changed,
    "new token by the desk": _new_token_by_the_desk,
}


@pytest.mark.asyncio
@pytest.mark.parametrize("ending", list(ENDINGS))
async def test_a_checked_token_ends_as_soon_as_the_desk_ends_the_device_s_right(
    services: Services, db_target: DatabaseTarget, ending: str
) -> None:
    setup = await officer_with_device(services)
    async with running_api(db_target) as (client, app):
        await _feed_read(app, services)
        assert (await client.get("/v1/device", headers=_auth(setup.token))).status_code == 200
        await ENDINGS[ending](services, setup)
        await _feed_read(app, services)
        answer = await client.post("/v1/status", json={"status": "6"}, headers=_auth(setup.token))
        assert answer.status_code == 401, answer.text
    assert (await services.units.get(LEAD, setup.unit_id)).status != "6"


@pytest.mark.asyncio
async def test_the_token_before_a_rotation_ends_in_every_api_process(
    services: Services, db_target: DatabaseTarget
) -> None:
    """Two API processes: the device rotates its token through one; once it used the new
    one there, the other refuses the old one too (as it would with no cache)."""
    setup = await officer_with_device(services)
    async with (
        running_api(db_target) as (first, first_app),
        running_api(db_target) as (second, _second_app),
    ):
        await _feed_read(first_app, services)
        assert (await first.get("/v1/device", headers=_auth(setup.token))).status_code == 200
        rotated = await second.post("/v1/device/token", headers=_auth(setup.token))
        new = rotated.json()["token"]
        assert (await second.get("/v1/device", headers=_auth(new))).status_code == 200
        await _feed_read(first_app, services)
        old = await first.get("/v1/device", headers=_auth(setup.token))
        assert old.status_code == 401
        assert (await first.get("/v1/device", headers=_auth(new))).status_code == 200
