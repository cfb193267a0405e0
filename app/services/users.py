"""User accounts: login, administration.

SQLite: accounts with Argon2 password hashes, login with lockout, all in the file.
PostgreSQL: every person is a login of the server (SCRAM-SHA-256, or the city's directory via
pg_hba.conf) and a member of one group role; the server authenticates, and the account
functions of db/pg_security do the administration under the server's own rights check.
Passwords leave the workstation only as a SCRAM verifier computed by libpq.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, replace
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.dto import UserInfo
from app.platform.database import Database
from app.platform.dberrors import sqlstate
from app.platform.errors import AuthenticationError, KodError, NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission, Role
from app.platform.timeutil import format_local
from app.platform.uow import Actor, Work, reading, unit_of_work
from db.models import User

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such user" equal to "wrong password".


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown users (same time as a real check).

    Made on first use, not at import: hashing takes a noticeable part of the program's start.
    """
    return _hasher.hash("dummy-password-for-timing")


def _info(u: User) -> UserInfo:
    return UserInfo(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        role=Role(u.role_code),
        active=u.active,
        locked_until=u.locked_until,
        last_login_at=u.last_login_at,
    )


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` (CPU-heavy: call from a worker thread)."""
    return _hasher.hash(password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")
#: Audit text for a failed login under a name that has no account: the typed text is not kept
#: (it may be a password typed into the wrong field).
UNKNOWN_USER_MARKER = "(unbekannt)"


def validate_username(username: str) -> str:
    """Normalised user name, or :class:`ValidationError`.

    The name is also the person's PostgreSQL login: lower-case letters (a–z), digits, dots,
    hyphens and underscores, 2 to 63 characters, not starting with ``pg_`` or ``kod_``.
    """
    name = username.strip().lower()
    if (
        not (2 <= len(name) <= 63)
        or not set(name) <= USERNAME_CHARS
        or name[0] in "._-"
        or name.startswith(("pg_", "kod_"))
        or name in ("public", "postgres", "none")
    ):
        raise ValidationError(
            tr(
                "users",
                "The user name '%1' is not valid: 2 to 63 characters a–z, digits, dots, "
                "hyphens or underscores, starting with a letter or digit (umlauts as ae, oe, "
                "ue, ss).",
                username[:80],
            ),
            "username",
        )
    return name


def check_password(password: str) -> None:
    """Refuse a password that is too short or holds control characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            tr("users", "The password must have at least %1 characters.", MIN_PASSWORD_LENGTH),
            "password",
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise ValidationError(
            tr("users", "The password must not contain control characters."), "password"
        )


async def _announce(w: Work, username: str) -> None:
    """A change feed entry for the account ``username`` (the field API drops its devices'
    checked tokens; open user lists reload)."""
    user_id = await w.session.scalar(select(User.id).where(User.username == username))
    if user_id is not None:
        w.changed("user", int(user_id), "update")


async def scram_verifier(session: AsyncSession, username: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of ``password`` (computed by libpq on this workstation)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    pgconn = raw.driver_connection.pgconn  # type: ignore[union-attr]
    verifier: bytes = pgconn.encrypt_password(
        password.encode("utf-8"), username.encode("utf-8"), b"scram-sha-256"
    )
    return verifier.decode("ascii")


def _server_user_error(exc: DBAPIError, name: str) -> KodError | None:
    state = sqlstate(exc)
    if state == "23505":
        return ValidationError(
            tr("users", "The user name '%1' is already taken.", name), "username"
        )
    if state == "42710":
        return ValidationError(
            tr(
                "users",
                "The login '%1' already exists on the PostgreSQL server (another database or "
                "service uses it). Choose another user name.",
                name,
            ),
            "username",
        )
    if state == "P0002":
        return NotFound(tr("users", "There is no user '%1'.", name))
    if state == "22023":
        text_ = str(getattr(exc, "orig", exc))
        if "own" in text_:
            return ValidationError(
                tr("users", "You cannot disable your own login or change your own role.")
            )
        return ValidationError(tr("users", "The user name '%1' is not valid.", name), "username")
    return None


@dataclass(frozen=True)
class WhoAmI:
    """The logged-in server login as the server sees it."""

    username: str
    user_id: int | None
    display_name: str | None
    role: Role | None
    roles: tuple[Role, ...]
    active: bool | None
    is_owner: bool


class UserService:
    """Accounts, login and administration."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def _on_server(self) -> bool:
        return not self._db.target.is_sqlite

    async def add(
        self,
        actor: Actor,
        username: str,
        display_name: str,
        role: Role,
        password: str | None,
        directory: bool = False,
    ) -> UserInfo:
        """Create an account. Without a password: a field officer using the mobile app.

        ``directory`` (PostgreSQL only): the person logs in with the city directory's password
        (LDAP, or Kerberos single sign-on) as pg_hba.conf says for members of kod_directory.
        """
        name = validate_username(username)
        display_name = display_name.strip()[:120]
        if password is not None:
            check_password(password)
        if directory and not self._on_server:
            raise ValidationError(
                tr("users", "Directory logins exist only on a PostgreSQL server."), "directory"
            )
        if directory and password is not None:
            raise ValidationError(
                tr("users", "A directory login has no password of its own."), "password"
            )
        if self._on_server:
            async with unit_of_work(self._db, actor, Permission.USER_MANAGE) as w:
                verifier = await scram_verifier(w.session, name, password) if password else None
                try:
                    user_id = await w.session.scalar(
                        text("SELECT kod_user_add(:u, :d, :r, :v, :w, :dir)"),
                        {
                            "u": name,
                            "d": display_name,
                            "r": role.value,
                            "v": verifier,
                            "w": self._db.workstation,
                            "dir": directory,
                        },
                    )
                except DBAPIError as exc:
                    raise (_server_user_error(exc, name) or exc) from exc
                w.changed("user", int(user_id), "insert", 1)
            return await self._info_by_name(actor, name)
        hashed = await asyncio.to_thread(hash_password, password) if password else None
        async with unit_of_work(self._db, actor, Permission.USER_MANAGE) as w:
            exists = await w.session.scalar(select(User.id).where(User.username == name))
            if exists is not None:
                raise ValidationError(
                    tr("users", "The user name '%1' is already taken.", name), "username"
                )
            user = User(
                username=name,
                display_name=display_name or name,
                role_code=role.value,
                password_hash=hashed,
                active=True,
                failed_logins=0,
                created_at=w.now,
            )
            w.session.add(user)
            await w.session.flush()
            await w.audit("user.add", "user", user.id, {"username": name, "role": role.value})
            w.changed("user", user.id, "insert", user.version)
            return _info(user)

    async def _info_by_name(self, actor: Actor, name: str) -> UserInfo:
        for info in await self.all_users(actor):
            if info.username == name:
                return info
        raise NotFound(tr("users", "There is no user '%1'.", name))

    async def all_users(self, actor: Actor) -> list[UserInfo]:
        """All accounts, by user name (on PostgreSQL with the role their login has now)."""
        async with reading(self._db, actor, Permission.USER_MANAGE) as s:
            if self._on_server:
                rows = await s.execute(text("SELECT * FROM kod_user_list()"))
                return [
                    UserInfo(
                        id=r.id,
                        username=r.username,
                        display_name=r.display_name,
                        role=Role(r.role),
                        active=bool(r.active),
                        locked_until=None,
                        last_login_at=r.last_login_at,
                        can_log_in=bool(r.can_login),
                    )
                    for r in rows
                ]
            users = (await s.scalars(select(User).order_by(User.username))).all()
            return [_info(u) for u in users]

    async def set_active(self, actor: Actor, username: str, active: bool) -> UserInfo:
        """Disable (or enable again) an account; disabled accounts cannot log in.

        On PostgreSQL the login becomes NOLOGIN and its open sessions end at once;
        ``sessions_ended`` of the result says how many (-1: the server would not end them).
        """
        name = username.strip().lower()
        if self._on_server:
            async with unit_of_work(self._db, actor, Permission.USER_MANAGE) as w:
                try:
                    ended = await w.session.scalar(
                        text("SELECT kod_user_set_active(:u, :a, :w)"),
                        {"u": name, "a": active, "w": self._db.workstation},
                    )
                except DBAPIError as exc:
                    raise (_server_user_error(exc, name) or exc) from exc
                await _announce(w, name)
            info = await self._info_by_name(actor, name)
            return replace(info, sessions_ended=int(ended or 0))
        async with unit_of_work(self._db, actor, Permission.USER_MANAGE) as w:
            user = await w.session.scalar(select(User).where(User.username == name))
            if user is None:
                raise NotFound(tr("users", "There is no user '%1'.", username[:80]))
            user.active = active
            if active:
                user.failed_logins = 0
                user.locked_until = None
            await w.session.flush()
            await w.audit(
                "user.enable" if active else "user.disable",
                "user",
                user.id,
                {"username": user.username},
            )
            w.changed("user", user.id, "update", user.version)
            return _info(user)

    async def set_role(self, actor: Actor, username: str, role: Role) -> UserInfo:
        """Give an account another role (on PostgreSQL: another group role)."""
        name = username.strip().lower()
        if actor.username == name:
            raise ValidationError(
                tr("users", "You cannot disable your own login or change your own role.")
            )
        async with unit_of_work(self._db, actor, Permission.USER_MANAGE) as w:
            if self._on_server:
                try:
                    await w.session.execute(
                        text("SELECT kod_user_set_role(:u, :r, :w)"),
                        {"u": name, "r": role.value, "w": self._db.workstation},
                    )
                except DBAPIError as exc:
                    raise (_server_user_error(exc, name) or exc) from exc
                await _announce(w, name)
            else:
                user = await w.session.scalar(select(User).where(User.username == name))
                if user is None:
                    raise NotFound(tr("users", "There is no user '%1'.", username[:80]))
                old = user.role_code
                user.role_code = role.value
                await w.session.flush()
                await w.audit(
                    "user.role",
                    "user",
                    user.id,
                    {"username": name, "from": old, "to": role.value},
                )
                w.changed("user", user.id, "update", user.version)
        return await self._info_by_name(actor, name)

    async def set_password(self, actor: Actor, username: str, password: str) -> None:
        """Set a new password (and lift a lockout). On PostgreSQL a person may also set their
        own."""
        check_password(password)
        name = username.strip().lower()
        if self._on_server:
            permission = None if actor.username == name else Permission.USER_MANAGE
            async with unit_of_work(self._db, actor, permission) as w:
                verifier = await scram_verifier(w.session, name, password)
                try:
                    await w.session.execute(
                        text("SELECT kod_user_password(:u, :v, :w)"),
                        {"u": name, "v": verifier, "w": self._db.workstation},
                    )
                except DBAPIError as exc:
                    raise (_server_user_error(exc, name) or exc) from exc
            return
        hashed = await asyncio.to_thread(hash_password, password)
        async with unit_of_work(self._db, actor, Permission.USER_MANAGE) as w:
            user = await w.session.scalar(select(User).where(User.username == name))
            if user is None:
                raise NotFound(tr("users", "There is no user '%1'.", username[:80]))
            user.password_hash = hashed
            user.failed_logins = 0
            user.locked_until = None
            await w.session.flush()
            await w.audit("user.password", "user", user.id, {"username": user.username})

    # -- login ------------------------------------------------------------------------------

    async def whoami(self) -> WhoAmI:
        """PostgreSQL: the session's login, its account and its role, as the server says."""
        async with self._db.read() as s:
            r = (await s.execute(text("SELECT * FROM kod_whoami()"))).one()
        roles = tuple(Role(x) for x in (r.roles or []))
        return WhoAmI(
            username=r.username,
            user_id=r.user_id,
            display_name=r.display_name,
            role=Role(r.role) if r.role else None,
            roles=roles,
            active=r.active,
            is_owner=bool(r.is_owner),
        )

    async def server_actor(self, allow_owner: bool = False) -> Actor:
        """PostgreSQL: the actor of this connection's login, checked and its login recorded.

        ``allow_owner``: the schema owner may act as administration (command line only).
        """
        me = await self.whoami()
        if me.is_owner and me.role is None:
            if not allow_owner:
                raise AuthenticationError(
                    tr(
                        "users",
                        "The login %1 owns the database; it is for setting up, not for work at "
                        "the workstation. Log in with your personal user name.",
                        me.username,
                    )
                )
            return Actor(me.user_id, me.username, Role.ADMIN, tr("users", "Database owner"))
        if me.role is None:
            raise AuthenticationError(
                tr(
                    "users",
                    "The login %1 has no role of the control room (or more than one). Please "
                    "contact the administration.",
                    me.username,
                )
            )
        if me.user_id is None:
            raise AuthenticationError(
                tr(
                    "users",
                    "The login %1 has no account in this database. Please contact the "
                    "administration.",
                    me.username,
                )
            )
        if me.active is False:
            raise AuthenticationError(
                tr("users", "This account is disabled. Please contact the administration.")
            )
        async with self._db.write_session({"kod.workstation": self._db.workstation}) as s:
            await s.execute(text("SELECT kod_login(:w)"), {"w": self._db.workstation})
        return Actor(me.user_id, me.username, me.role, me.display_name or me.username)

    async def authenticate(self, username: str, password: str) -> Actor:
        """Check credentials.

        SQLite: against the account's Argon2 hash; failures are counted and lock the account.
        PostgreSQL: the server checks them (a connection as that login is opened and closed
        again); its account, role and state come from the server.
        """
        if self._on_server:
            return await self._authenticate_on_server(username, password)
        name = username.strip().lower()
        async with self._db.read() as s:
            user = await s.scalar(select(User).where(User.username == name))
            stored = user.password_hash if user else None
        ok = await asyncio.to_thread(_verify, stored, password)
        system = Actor(None, name[:64] if user is not None else UNKNOWN_USER_MARKER, Role.ADMIN)
        async with unit_of_work(self._db, system, None) as w:
            user = await w.session.scalar(select(User).where(User.username == name))
            now = w.now
            if user is None:
                # Never the typed text: it may be a password typed into the name field.
                await w.audit(
                    "login.failed", details={"username": UNKNOWN_USER_MARKER, "why": "unknown"}
                )
                error = tr("users", "User name or password is wrong.")
            elif not user.active:
                await w.audit("login.failed", "user", user.id, {"why": "disabled"})
                error = tr("users", "This account is disabled. Please contact the administration.")
            elif user.locked_until is not None and user.locked_until > now:
                await w.audit("login.failed", "user", user.id, {"why": "locked"})
                error = tr(
                    "users",
                    "Too many failed logins: the account is locked until %1.",
                    format_local(user.locked_until),
                )
            elif not ok:
                user.failed_logins += 1
                error = tr("users", "User name or password is wrong.")
                if user.failed_logins >= MAX_FAILED_LOGINS:
                    user.locked_until = now + LOCKOUT
                    user.failed_logins = 0
                    error = tr(
                        "users",
                        "Too many failed logins: the account is locked until %1.",
                        format_local(user.locked_until),
                    )
                    await w.audit("login.locked", "user", user.id)
                else:
                    await w.audit("login.failed", "user", user.id, {"why": "password"})
            else:
                user.failed_logins = 0
                user.locked_until = None
                user.last_login_at = now
                w.actor = Actor(user.id, user.username, Role(user.role_code), user.display_name)
                await w.audit("login.success", "user", user.id)
                return w.actor
        raise AuthenticationError(error)

    async def _authenticate_on_server(self, username: str, password: str) -> Actor:
        name = username.strip().lower()
        if not name or len(name) > 63:
            raise AuthenticationError(tr("users", "User name or password is wrong."))
        person = Database(self._db.target.with_login(name, password), self._db.workstation)
        try:
            await person.check()
            return await UserService(person).server_actor()
        finally:
            await person.dispose()
