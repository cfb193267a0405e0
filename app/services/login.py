"""Logging in: who works at this workstation, over which connection.

SQLite: the database is opened once and the account's password is checked against the file.
PostgreSQL: the login dialog's user name and password are the person's own server login; the
server authenticates (SCRAM-SHA-256, or the directory behind pg_hba.conf), every connection of
the session is that login's, and the role comes from its group role. Logging out disposes of
the session's connections.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.uow import Actor
from app.services import Services


@dataclass
class Session:
    """A logged-in person with the services that act under their login."""

    services: Services
    actor: Actor

    @property
    def db(self) -> Database:
        """The session's database connections."""
        return self.services.db

    async def close(self) -> None:
        """End the session (its outbox file and connections are closed)."""
        await _discard(self.services)


async def open_checked(target: DatabaseTarget, workstation: str | None = None) -> Database:
    """Open ``target`` and check it can be used (reachable, login accepted, schema current)."""
    db = Database(target, workstation)
    try:
        await db.check()
    except BaseException:
        await db.dispose()
        raise
    return db


async def log_in(
    target: DatabaseTarget,
    username: str,
    password: str,
    workstation: str | None = None,
    allow_owner: bool = False,
    services_for: Callable[[Database], Services] = Services.create,
) -> Session:
    """Log ``username`` in; raises :class:`AuthenticationError` with a German message.

    ``allow_owner`` lets the schema owner in as administration (command line only);
    ``services_for`` builds the session's services (the workstation's have an outbox).
    """
    if target.is_sqlite:
        db = await open_checked(target, workstation)
        services = services_for(db)
        try:
            actor = await services.users.authenticate(username, password)
        except BaseException:
            await _discard(services)
            raise
        return Session(services, actor)
    db = await open_checked(
        target.with_login(username.strip().lower() or None, password), workstation
    )
    services = services_for(db)
    try:
        actor = await services.users.server_actor(allow_owner=allow_owner)
    except BaseException:
        await _discard(services)
        raise
    return Session(services, actor)


async def _discard(services: Services) -> None:
    await services.close()
    await services.db.dispose()
