"""Connections that act for another person: the field API serving an officer's device.

The field API logs in with its own server login (a member of ``kod_field_gateway``). For a
device's request it takes the officer's login inside each transaction (``SET LOCAL ROLE``, as
``set_config('role', …, true)``) and names the officer in ``kod.actor``; the server honours that
name only for an officer a device registration granted to the gateway (``kod_acting_login`` in
db/pg_security/groups.py). So the officer's grants, row security, audit records and who-columns
apply exactly as at a workstation where the officer logged in. On SQLite there is nothing to
switch: the program's own checks with the officer as actor are the protection there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.platform.database import Database


class ActingDatabase(Database):
    """``base``'s connection pool, every transaction acting as the login ``login``; with
    ``device``, for that field device, which the server checks first in every transaction
    (``kod_field_acting``: not revoked, the officer's, the account active)."""

    def __init__(
        self, base: Database, login: str, device: int | None = None
    ) -> None:  # shares base's engines
        self.__dict__.update(base.__dict__)
        self.login = login
        self.device = device

    def _acting(self) -> dict[str, str]:
        return {"role": self.login, "kod.actor": self.login}

    def _guard(self) -> tuple[str, dict[str, object]]:
        if self.device is None:
            return "", {}
        return ", public.kod_field_acting(:guard_device, :guard_login)", {
            "guard_device": self.device,
            "guard_login": self.login,
        }

    def read(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A read-only session as the officer."""
        return self._acting_read()

    def read_single(self) -> AbstractAsyncContextManager[AsyncSession]:
        """As :meth:`read`: the role needs a transaction to stay local to."""
        return self._acting_read()

    @asynccontextmanager
    async def _acting_read(self) -> AsyncIterator[AsyncSession]:
        async with self._classified(self._read_sessions) as session:
            if not self.target.is_sqlite:
                guard, params = self._guard()
                await session.execute(
                    text(
                        f"SELECT true{guard}, set_config('role', :r, true), "
                        "set_config('kod.actor', :r, true)"
                    ),
                    {**params, "r": self.login},
                )
            yield session

    @asynccontextmanager
    async def write_session(
        self, context: dict[str, str] | None = None, shared: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """A write transaction as the officer (the role is taken after the writers' lock)."""
        async with super().write_session({**(context or {}), **self._acting()}, shared) as session:
            yield session

    async def dispose(self, settle_s: float = 0.0) -> None:
        """Nothing: the pool belongs to the base database."""
