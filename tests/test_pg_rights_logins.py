"""Server logins of the users, on PostgreSQL: a disabled login loses its open sessions at
once, and accounts without a server login are listed as such.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import Role
from app.services import Services
from tests.conftest import ADMIN
from tests.pg_logins import login
from tests.pg_rights_scene import LOGINS, Scene, make_scene


@pytest.fixture
def scene(pg_target: DatabaseTarget) -> Iterator[Scene]:
    yield make_scene(pg_target)


def test_a_disabled_login_loses_its_open_sessions_at_once(scene: Scene) -> None:
    import asyncio

    import psycopg

    with login(scene.target, LOGINS[Role.DISPATCHER]) as victim:
        assert victim.execute("SELECT 1").fetchone() == (1,)

        async def disable() -> int | None:
            db = Database(scene.target, workstation="rights-test")
            try:
                info = await Services.create(db).users.set_active(
                    ADMIN, LOGINS[Role.DISPATCHER], False
                )
                return info.sessions_ended
            finally:
                await db.dispose()

        assert asyncio.run(disable()) == 1
        with pytest.raises(psycopg.OperationalError):
            victim.execute("SELECT 1")
    with (
        pytest.raises(psycopg.OperationalError, match="not permitted to log in"),
        login(scene.target, LOGINS[Role.DISPATCHER]),
    ):
        pass


def test_accounts_without_a_server_login_are_listed(pg_target: DatabaseTarget) -> None:
    import asyncio

    engine = create_engine(pg_target.sync_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO user_account (username, display_name, role_code, active, "
                "failed_logins, created_at, version) VALUES ('nur.app', 'Nur App', "
                "'field_officer', true, 0, now(), 1)"
            )
        )
    engine.dispose()

    async def listed() -> list[tuple[str, bool, bool]]:
        db = Database(pg_target, workstation="rights-test")
        try:
            users = await Services.create(db).users.all_users(ADMIN)
            return [(u.username, u.active, u.can_log_in) for u in users]
        finally:
            await db.dispose()

    assert asyncio.run(listed()) == [("nur.app", True, False)]
