"""Field devices: registered per officer and unit, each with its own token.

The token (``kodf_<device id>_<secret>``) is shown once; only the SHA-256 of its secret is
stored (the secret is 256 random bits, so a plain hash is enough). Registering, rotating and
revoking is the shift lead's or the administration's (``field.device``), audited; on
PostgreSQL registering also lets the field API's login act for the officer
(``kod_field_bind``) and revoking the officer's last device takes that back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.platform.database import Database
from app.platform.errors import NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission, Role
from app.platform.uow import Actor, Work, reading, unit_of_work
from app.services.unit_admin import normalise_call_sign
from db.models import FieldDevice, Unit, User

TOKEN_PREFIX = "kodf"
LABEL_MAX = 80
#: How long the token before a rotation still works if the new one is not used.
ROTATION_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class DeviceInfo:
    """A registered device as its management sees it (never its token)."""

    id: int
    label: str
    username: str
    display_name: str
    unit_id: int
    call_sign: str
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None
    last_seen_at: datetime | None
    connected: bool


@dataclass(frozen=True)
class IssuedToken:
    """A device and its new token (shown once, stored nowhere in clear)."""

    device: DeviceInfo
    token: str


def hash_secret(secret: str) -> str:
    """What is stored of a token's secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token(device_id: int) -> tuple[str, str]:
    """(token, hash of its secret) for ``device_id``."""
    secret = secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}_{device_id}_{secret}", hash_secret(secret)


def parse_token(token: str) -> tuple[int, str] | None:
    """(device id, secret) of a well-formed token, else None."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1].isdigit() or not parts[2]:
        return None
    if len(parts[1]) > 18 or len(parts[2]) > 128:
        return None
    return int(parts[1]), parts[2]


def secret_matches(secret: str, stored: str | None) -> bool:
    """Constant-time comparison of a presented secret with a stored hash."""
    return stored is not None and hmac.compare_digest(hash_secret(secret), stored)


async def device_infos(s: AsyncSession, device_id: int | None = None) -> list[DeviceInfo]:
    """Devices with their officer and unit, newest first."""
    stmt = (
        select(FieldDevice, User.username, User.display_name, Unit.call_sign)
        .join(User, User.id == FieldDevice.user_id)
        .join(Unit, Unit.id == FieldDevice.unit_id)
        .order_by(FieldDevice.id.desc())
    )
    if device_id is not None:
        stmt = stmt.where(FieldDevice.id == device_id)
    return [
        DeviceInfo(
            d.id,
            d.label,
            username,
            display_name,
            d.unit_id,
            call_sign,
            d.created_at,
            d.rotated_at,
            d.revoked_at,
            d.last_seen_at,
            d.connected and d.revoked_at is None,
        )
        for d, username, display_name, call_sign in await s.execute(stmt)
    ]


class FieldDeviceService:
    """Registering, listing, rotating and revoking field devices (``field.device``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def devices(self, actor: Actor, include_revoked: bool = False) -> list[DeviceInfo]:
        """Every registered device (revoked ones only if asked)."""
        async with reading(self._db, actor, Permission.FIELD_DEVICE_MANAGE) as s:
            found = await device_infos(s)
        return [d for d in found if include_revoked or d.revoked_at is None]

    async def register(
        self, actor: Actor, username: str, call_sign: str, label: str
    ) -> IssuedToken:
        """Register a device for the field officer ``username`` on the unit ``call_sign``."""
        label = " ".join(label.split())
        if not label or len(label) > LABEL_MAX:
            raise ValidationError(
                tr("field", "Name the device (1 to %1 characters, e.g. Handy 17).", LABEL_MAX),
                "label",
            )
        async with unit_of_work(self._db, actor, Permission.FIELD_DEVICE_MANAGE) as w:
            user = (
                await w.session.execute(
                    select(User.id, User.username, User.role_code, User.active).where(
                        User.username == username.strip().lower()
                    )
                )
            ).first()
            if user is None:
                raise NotFound(tr("field", "There is no user %1.", username))
            if user.role_code != Role.FIELD_OFFICER.value or not user.active:
                raise ValidationError(
                    tr(
                        "field",
                        "A field device can only be registered for an active field officer.",
                    ),
                    "user",
                )
            unit = (
                await w.session.execute(
                    select(Unit.id, Unit.call_sign, Unit.active).where(
                        Unit.call_sign == normalise_call_sign(call_sign)
                    )
                )
            ).first()
            if unit is None or not unit.active:
                raise NotFound(tr("field", "There is no unit in service called %1.", call_sign))
            device = FieldDevice(
                label=label,
                user_id=user.id,
                unit_id=unit.id,
                token_hash="",
                created_at=w.now,
                created_by_id=actor.user_id,
                connected=False,
            )
            w.session.add(device)
            await w.session.flush()
            token, digest = new_token(device.id)
            device.token_hash = digest
            if w.on_server:
                await w.session.execute(text("SELECT kod_field_bind(:u)"), {"u": user.username})
            await w.audit(
                "field.device_register",
                "field_device",
                device.id,
                {"user": user.username, "unit": unit.call_sign, "label": label},
            )
            w.changed("unit", unit.id, "device")
            await w.session.flush()
            return IssuedToken((await device_infos(w.session, device.id))[0], token)

    async def rotate(self, actor: Actor, device_id: int) -> IssuedToken:
        """A new token for the device; the old one stops working at once."""
        async with unit_of_work(self._db, actor, Permission.FIELD_DEVICE_MANAGE) as w:
            device = await self._active(w, device_id)
            token, digest = new_token(device.id)
            device.token_hash = digest
            device.previous_token_hash = None
            device.previous_valid_until = None
            device.rotated_at = w.now
            await w.audit("field.device_rotate", "field_device", device.id)
            w.changed("unit", device.unit_id, "device")  # the field API drops the old token
            await w.session.flush()
            return IssuedToken((await device_infos(w.session, device.id))[0], token)

    async def revoke(self, actor: Actor, device_id: int) -> DeviceInfo:
        """Revoke the device: its token is refused from now on, its live link is closed."""
        async with unit_of_work(self._db, actor, Permission.FIELD_DEVICE_MANAGE) as w:
            device = await self._active(w, device_id)
            device.revoked_at = w.now
            device.revoked_by_id = actor.user_id
            device.connected = False
            await w.session.flush()
            if w.on_server:
                login = await w.session.scalar(
                    select(User.username).where(User.id == device.user_id)
                )
                await w.session.execute(text("SELECT kod_field_unbind(:u)"), {"u": login})
            await w.audit("field.device_revoke", "field_device", device.id)
            w.changed("unit", device.unit_id, "device")
            return (await device_infos(w.session, device.id))[0]

    @staticmethod
    async def _active(w: Work, device_id: int) -> FieldDevice:
        device = await w.session.get(FieldDevice, device_id)
        if device is None:
            raise NotFound(tr("field", "There is no field device %1.", device_id))
        if device.revoked_at is not None:
            raise ValidationError(
                tr("field", "The field device %1 is revoked.", device_id), "device"
            )
        return device
