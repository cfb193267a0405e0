"""What PostgreSQL lets the field API's own login do: act for an officer only while a device
of that officer is registered, never for anyone else, and hold no operational right itself."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import Role
from app.services import Services
from tests.conftest import ADMIN
from tests.field_setup import GATEWAY_LOGIN, gateway_target, officer_with_device
from tests.pg_logins import PASSWORD, attempt, conninfo

pytestmark = pytest.mark.asyncio


def _gateway(target: DatabaseTarget) -> psycopg.Connection[object]:
    gateway_target(target)
    info = conninfo(target, GATEWAY_LOGIN, PASSWORD)
    info["dbname"] = make_url(target.sync_url).database
    return psycopg.connect(**info)


async def test_gateway_acts_only_for_bound_officers(pg_target: DatabaseTarget) -> None:
    db = Database(pg_target, "test-ws")
    services = Services.create(db)
    try:
        setup = await officer_with_device(services)
        other = await services.users.add(
            ADMIN, "streife2", "Olga Ohnegerät", Role.FIELD_OFFICER, PASSWORD
        )
        await services.users.add(ADMIN, "dispo9", "Dieter Dispo", Role.DISPATCHER, PASSWORD)
        users = await services.users.all_users(ADMIN)
        bound_id = next(u.id for u in users if u.username == "streife1")
        with _gateway(pg_target) as conn:
            # Its own login holds no operational right.
            assert attempt(conn, "SELECT count(*) FROM incident")[1].startswith("42501")
            # It may take the officer's login of a registered device, and no other.
            assert attempt(conn, "SELECT set_config('role', 'streife1', true)")[0]
            assert attempt(conn, "SELECT set_config('role', 'streife2', true)")[1].startswith(
                "42501"
            )
            assert attempt(conn, "SELECT set_config('role', 'dispo9', true)")[1].startswith("42501")
            # Naming someone in kod.actor counts only for a bound officer.
            with conn.transaction(force_rollback=True), conn.cursor() as cur:
                cur.execute("SELECT set_config('kod.actor', 'streife1', true)")
                cur.execute("SELECT kod_current_user_id()")
                assert cur.fetchone() == (bound_id,)
            with conn.transaction(force_rollback=True), conn.cursor() as cur:
                cur.execute("SELECT set_config('kod.actor', 'streife2', true)")
                cur.execute("SELECT kod_current_user_id()")
                assert cur.fetchone() == (None,)
            with conn.transaction(force_rollback=True), conn.cursor() as cur:
                cur.execute("SELECT set_config('kod.actor', 'dispo9', true)")
                cur.execute("SELECT kod_current_user_id()")
                assert cur.fetchone() == (None,)
        await services.field_devices.revoke(ADMIN, setup.device_id)
        with _gateway(pg_target) as conn:
            assert attempt(conn, "SELECT set_config('role', 'streife1', true)")[1].startswith(
                "42501"
            )
        assert other.id != bound_id
    finally:
        await db.dispose()


async def test_a_disabled_or_moved_officer_is_refused_by_the_server_until_undone(
    pg_target: DatabaseTarget,
) -> None:
    """The administration can disable an officer who has a device, or give them another role;
    from then on the server refuses the API's taking of that login, not only the API itself."""
    db = Database(pg_target, "test-ws")
    services = Services.create(db)
    take = "SELECT set_config('role', 'streife1', true)"
    try:
        await officer_with_device(services)
        changes = [
            (lambda: services.users.set_active(ADMIN, "streife1", False)),
            (lambda: services.users.set_active(ADMIN, "streife1", True)),
            (lambda: services.users.set_role(ADMIN, "streife1", Role.CLERK)),
            (lambda: services.users.set_role(ADMIN, "streife1", Role.FIELD_OFFICER)),
        ]
        taken = []
        for change in changes:
            await change()
            with _gateway(pg_target) as conn:
                done, why = attempt(conn, take)
                assert done or why.startswith("42501"), why
                taken.append(done)
        assert taken == [False, True, False, True]
    finally:
        await db.dispose()
