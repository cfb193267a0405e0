"""PostgreSQL fixtures of the multi-workstation tests (import them into a test module).

The databases come from a template of their own, so that another test session on the same
server recreating the shared ``kod_test_template`` cannot pull it away mid-run.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from app.platform.config import DatabaseTarget, parse_database_url
from db.migrate import upgrade
from tests.conftest import PG_URL, _pg_admin_url, drop_pg_database, fresh_pg_database
from tests.multiws.proxy import TcpProxy


@dataclass
class PgDb:
    """A database of its own on the test server."""

    name: str
    url: str

    def target(self, host_port: str | None = None) -> DatabaseTarget:
        """The target, optionally through another host:port (a proxy)."""
        url = make_url(self.url)
        if host_port is not None:
            host, port = host_port.split(":")
            url = url.set(host=host, port=int(port))
        return parse_database_url(url.render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def multiws_template() -> Iterator[str]:
    """A migrated template database for this session only."""
    name, _url = fresh_pg_database(None)
    engine = create_engine(_pg_admin_url(name))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    try:
        yield name
    finally:
        drop_pg_database(name)


@pytest.fixture
def pg(multiws_template: str) -> Iterator[PgDb]:
    """A fresh migrated PostgreSQL database."""
    name, url = fresh_pg_database(multiws_template)
    try:
        yield PgDb(name, url)
    finally:
        drop_pg_database(name)


@pytest_asyncio.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    """A TCP proxy in front of the test server (hang, cut, down, back)."""
    url = make_url(PG_URL)
    p = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await p.start()
    try:
        yield p
    finally:
        await p.close()


def unique_name(prefix: str = "kod_b") -> str:
    """A database name nobody else uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"
