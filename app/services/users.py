"""User accounts: Argon2 password hashes, login with lockout, administration."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select

from app.domain.dto import UserInfo
from app.platform.database import Database
from app.platform.errors import AuthenticationError, NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission, Role
from app.platform.timeutil import format_local
from app.platform.uow import Actor, unit_of_work
from db.models import User

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("dummy-password-for-timing")


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
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def validate_username(username: str) -> str:
    """Normalised user name, or :class:`ValidationError`."""
    name = username.strip().lower()
    if not (2 <= len(name) <= 64) or not all(c.isalnum() or c in "._-" for c in name):
        raise ValidationError(
            tr(
                "users",
                "The user name '%1' is not valid: 2 to 64 letters, digits, dots, hyphens "
                "or underscores.",
                username,
            ),
            "username",
        )
    return name


class UserService:
    """Accounts, login and lockout."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, actor: Actor, username: str, display_name: str, role: Role, password: str | None
    ) -> UserInfo:
        """Create an account. Field officers may have no password (they use the mobile app)."""
        name = validate_username(username)
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            raise ValidationError(
                tr("users", "The password must have at least %1 characters.", MIN_PASSWORD_LENGTH),
                "password",
            )
        hashed = await asyncio.to_thread(hash_password, password) if password else None
        async with unit_of_work(self._db, actor, Permission.USER_MANAGE) as w:
            exists = await w.session.scalar(select(User.id).where(User.username == name))
            if exists is not None:
                raise ValidationError(
                    tr("users", "The user name '%1' is already taken.", name), "username"
                )
            user = User(
                username=name,
                display_name=display_name.strip() or name,
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

    async def all_users(self, actor: Actor) -> list[UserInfo]:
        """All accounts, by user name."""
        from app.platform.permissions import require

        require(actor.role, Permission.USER_MANAGE)
        async with self._db.read() as s:
            users = (await s.scalars(select(User).order_by(User.username))).all()
            return [_info(u) for u in users]

    async def set_active(self, actor: Actor, username: str, active: bool) -> UserInfo:
        """Disable (or enable again) an account; disabled accounts cannot log in."""
        async with unit_of_work(self._db, actor, Permission.USER_MANAGE) as w:
            user = await w.session.scalar(
                select(User).where(User.username == username.strip().lower())
            )
            if user is None:
                raise NotFound(tr("users", "There is no user '%1'.", username))
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

    async def set_password(self, actor: Actor, username: str, password: str) -> None:
        """Set a new password (and lift a lockout)."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValidationError(
                tr("users", "The password must have at least %1 characters.", MIN_PASSWORD_LENGTH),
                "password",
            )
        hashed = await asyncio.to_thread(hash_password, password)
        async with unit_of_work(self._db, actor, Permission.USER_MANAGE) as w:
            user = await w.session.scalar(
                select(User).where(User.username == username.strip().lower())
            )
            if user is None:
                raise NotFound(tr("users", "There is no user '%1'.", username))
            user.password_hash = hashed
            user.failed_logins = 0
            user.locked_until = None
            await w.session.flush()
            await w.audit("user.password", "user", user.id, {"username": user.username})

    async def authenticate(self, username: str, password: str) -> Actor:
        """Check credentials; count failures and lock the account after too many."""
        name = username.strip().lower()
        async with self._db.read() as s:
            user = await s.scalar(select(User).where(User.username == name))
            stored = user.password_hash if user else None
        ok = await asyncio.to_thread(_verify, stored, password)
        system = Actor(None, name[:64] or "?", Role.ADMIN)
        async with unit_of_work(self._db, system, None) as w:
            user = await w.session.scalar(select(User).where(User.username == name))
            now = w.now
            if user is None:
                await w.audit("login.failed", details={"username": name, "why": "unknown"})
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
