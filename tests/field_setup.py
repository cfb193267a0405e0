"""A field officer on a unit with a registered device, on SQLite or PostgreSQL.

On PostgreSQL the API runs under its own login (a member of ``kod_field_gateway``), as in
production; the test creates that login and drops it afterwards.
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import create_engine, text

from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import Role
from app.services import Services
from fieldapi.app import create_app
from fieldapi.settings import FieldApiSettings
from tests.conftest import ADMIN
from tests.pg_logins import PASSWORD
from tests.ui.waiting import wait_until_sync

GATEWAY_LOGIN = "kod_fieldapi_test"


@dataclass
class FieldSetup:
    """The desk's services, the unit and the device's token."""

    services: Services
    unit_id: int
    device_id: int
    token: str


async def officer_with_device(services: Services, call_sign: str = "KOD 11") -> FieldSetup:
    """Officer ``streife1`` on ``call_sign`` with a registered device."""
    officer = await services.users.add(
        ADMIN, "streife1", "Stefan Streife", Role.FIELD_OFFICER, PASSWORD
    )
    unit = await services.unit_admin.create(ADMIN, call_sign)
    await services.unit_admin.set_crew(ADMIN, unit.id, [officer.id], unit.version)
    issued = await services.field_devices.register(ADMIN, "streife1", call_sign, "Handy 17")
    return FieldSetup(services, unit.id, issued.device.id, issued.token)


def gateway_target(target: DatabaseTarget) -> DatabaseTarget:
    """``target`` with the API's own login (created here on PostgreSQL)."""
    if target.is_sqlite:
        return target
    owner = create_engine(target.sync_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(
            text(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :n) THEN "
                f"CREATE ROLE {GATEWAY_LOGIN} LOGIN PASSWORD '{PASSWORD}'; END IF; END $$".replace(
                    ":n", f"'{GATEWAY_LOGIN}'"
                )
            )
        )
        conn.execute(text(f"GRANT kod_field_gateway TO {GATEWAY_LOGIN}"))
    owner.dispose()
    return target.with_login(GATEWAY_LOGIN, PASSWORD)


@asynccontextmanager
async def api_client(
    target: DatabaseTarget, follow_changes: bool = False, open311: bool = False
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the field API running on ``target`` under the API's login."""
    async with running_api(target, follow_changes, open311) as (client, _app):
        yield client


@asynccontextmanager
async def running_api(
    target: DatabaseTarget, follow_changes: bool = True, open311: bool = False
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """:func:`api_client` and the app (its state: ``app.state.field``, ``app.state.hub``)."""
    db = Database(gateway_target(target), "field-api")
    await db.check()
    app = create_app(db, follow_changes=follow_changes, open311=open311)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://field") as client:
                yield client, app
    finally:
        await db.dispose()


def jpeg(width: int = 640, height: int = 480, exif: bool = True) -> bytes:
    """A camera-like JPEG with a capture time, a position and a maker note to strip."""
    image = Image.new("RGB", (width, height), (200, 80, 40))
    data = io.BytesIO()
    info = Image.Exif()
    if exif:
        info[0x010F] = "Testkamera"  # Make: must not survive
        info[0x0132] = "2026:12:06 10:15:00"
        info[0x8825] = {1: "N", 2: (51.0, 2.0, 0.0), 3: "E", 4: (6.0, 59.0, 0.0)}
    image.save(data, "JPEG", exif=info.tobytes())
    return data.getvalue()


@dataclass
class LiveApi:
    """The field API served on a loopback port; ``stop()`` ends it (again: nothing)."""

    base: str
    stop: Callable[[], None]


def serve_field_api(target: DatabaseTarget) -> LiveApi:
    """The field API of ``target`` run by uvicorn in a thread on a free loopback port, as a
    browser or a schema test reaches it (rate limits lifted for the test's pace)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = create_app(
        Database(target, "field-api"),
        FieldApiSettings(rate_per_s=1000, burst=1000, unauthenticated_per_min=100_000),
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until_sync(lambda: server.started, 20, "the field API's start")

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "the field API did not stop"

    return LiveApi(f"http://127.0.0.1:{port}", stop)
