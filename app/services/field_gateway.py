"""What the field API does as itself: checking a device's token, rotating it, its last call.

Everything else a device asks for runs as its officer (:class:`app.platform.acting.ActingDatabase`
and the ordinary services with the officer as actor). A device is accepted only while it is not
revoked, its officer's account is active and a field officer's, and the officer serves on the
device's unit now (a device handed to the next shift does not act for the last one).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from app.domain.dto import Change, ChangeBatch
from app.platform.database import Database
from app.platform.errors import AuthenticationError
from app.platform.i18n import tr
from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.platform.uow import Actor, unit_of_work
from app.services.field_devices import ROTATION_GRACE, new_token, parse_token, secret_matches
from db.models import FieldDevice, Unit, UnitMember, User

#: The field API's own actor (SQLite audit records; on PostgreSQL the server names its login).
GATEWAY_ACTOR = Actor(None, "field-api", Role.FIELD_OFFICER, "Feldschnittstelle")


@dataclass(frozen=True)
class DeviceIdentity:
    """An authenticated device: who it acts for and on which unit."""

    device_id: int
    label: str
    unit_id: int
    call_sign: str
    actor: Actor


#: How long a checked token is taken without asking the database again. A backstop only: the
#: changes that can end a device's right (revocation, rotation, crew, unit and account changes)
#: drop the affected entries as they arrive in the change feed.
IDENTITY_TTL_S = 60.0
#: Unit changes that can end a device's right: its devices (registered, revoked, token
#: rotated), its crew or its state (``update``). Status, positions and assignments cannot.
_UNIT_OPS_THAT_MATTER = frozenset({"device", "update", "insert", "delete"})


def may_end_a_right(change: Change) -> bool:
    """Whether ``change`` can end some device's right to act (see :class:`IdentityCache`)."""
    return change.entity == "user" or (
        change.entity == "unit" and change.op in _UNIT_OPS_THAT_MATTER
    )


class IdentityCache:
    """Tokens the database accepted lately, so a device's every call need not ask again.

    Used only while the change feed is followed (:attr:`FieldGateway.trusted`): what ends a
    device's right arrives there and drops the entries it concerns (:meth:`apply`); a lost
    feed link empties the cache and the database is asked every time until it is back. A
    check that began before such a change does not store its (maybe outdated) answer.
    """

    def __init__(
        self, ttl_s: float = IDENTITY_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[str, tuple[DeviceIdentity, float]] = {}
        #: Counts the forgettings; an answer read under an older count is not stored.
        self.generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> DeviceIdentity | None:
        found = self._entries.get(token)
        if found is None:
            return None
        identity, until = found
        if self._clock() >= until:
            del self._entries[token]
            return None
        return identity

    def put(self, token: str, identity: DeviceIdentity, generation: int) -> None:
        """Keep ``identity`` if nothing was forgotten since ``generation`` was read."""
        if generation == self.generation:
            self._entries[token] = (identity, self._clock() + self.ttl_s)

    def forget(self, units: Iterable[int] | None = None, device: int | None = None) -> None:
        """Drop the entries of ``units`` or of ``device`` (neither: all of them)."""
        self.generation += 1
        if units is None and device is None:
            self._entries.clear()
            return
        wanted = set(units or ())
        for token, (identity, _until) in list(self._entries.items()):
            if identity.unit_id in wanted or identity.device_id == device:
                del self._entries[token]

    def apply(self, batch: ChangeBatch) -> None:
        """Drop what the changes of ``batch`` may have ended."""
        if batch.reset or any(c.entity == "user" for c in batch.changes):
            self.forget()  # an account disabled or its role changed: rare, so all of them
            return
        units = {c.entity_id for c in batch.changes if may_end_a_right(c)}
        if units:
            self.forget(units)


def _refused() -> AuthenticationError:
    return AuthenticationError(tr("field", "The device token is not valid, expired or revoked."))


class FieldGateway:
    """Token checks and the device's own bookkeeping, under the field API's login."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.cache = IdentityCache()
        #: Whether the change feed is followed now, so that :attr:`cache` may be used
        #: (set by whoever follows it; see :class:`IdentityCache`).
        self.trusted: Callable[[], bool] = lambda: False

    async def authenticate(self, token: str) -> DeviceIdentity:
        """The device of ``token``; raises :class:`AuthenticationError` (German)."""
        trusted = self.trusted()
        if trusted:
            hit = self.cache.get(token)
            if hit is not None:
                return hit
        elif len(self.cache):
            self.cache.forget()  # the feed was lost: what it would have said is unknown
        generation = self.cache.generation
        parsed = parse_token(token)
        if parsed is None:
            raise _refused()
        device_id, secret = parsed
        serving = (
            select(UnitMember.unit_id)
            .where(
                UnitMember.user_id == FieldDevice.user_id,
                UnitMember.unit_id == FieldDevice.unit_id,
                UnitMember.until.is_(None),
            )
            .exists()
        )
        # One statement (on PostgreSQL without a transaction around it): every call asks.
        # Plain columns, not the ORM object: this runs for every call of every device.
        async with self._db.read_single() as s:
            row = (
                await s.execute(
                    select(
                        FieldDevice.id,
                        FieldDevice.label,
                        FieldDevice.user_id,
                        FieldDevice.unit_id,
                        FieldDevice.token_hash,
                        FieldDevice.previous_token_hash,
                        FieldDevice.previous_valid_until,
                        FieldDevice.revoked_at,
                        User.username,
                        User.display_name,
                        User.role_code,
                        User.active.label("user_active"),
                        Unit.call_sign,
                        Unit.active.label("unit_active"),
                        serving.label("on_crew"),
                    )
                    .join(User, User.id == FieldDevice.user_id)
                    .join(Unit, Unit.id == FieldDevice.unit_id)
                    .where(FieldDevice.id == device_id)
                )
            ).first()
        if row is None:
            raise _refused()
        device = row
        now = utcnow()
        current = secret_matches(secret, device.token_hash)
        previous = (
            not current
            and device.previous_valid_until is not None
            and device.previous_valid_until > now
            and secret_matches(secret, device.previous_token_hash)
        )
        if device.revoked_at is not None or not (current or previous):
            raise _refused()
        if not row.user_active or row.role_code != Role.FIELD_OFFICER.value:
            raise AuthenticationError(
                tr("field", "The officer of this device may not use it (account disabled).")
            )
        if not row.on_crew or not row.unit_active:
            raise AuthenticationError(
                tr(
                    "field",
                    "%1 is not on the crew of %2 at the moment; ask the control room.",
                    row.display_name,
                    row.call_sign,
                )
            )
        actor = Actor(device.user_id, row.username, Role.FIELD_OFFICER, row.display_name)
        identity = DeviceIdentity(device.id, device.label, device.unit_id, row.call_sign, actor)
        if current and device.previous_token_hash is not None:
            await self._forget_previous(identity)
        elif current and trusted:
            # (Not a token before a rotation: its grace ends by the clock, not by a change.)
            self.cache.put(token, identity, generation)
        return identity

    async def _forget_previous(self, device: DeviceIdentity) -> None:
        """The new token arrived: the one before the rotation stops working (here at once,
        in other API processes when the change arrives)."""
        self.cache.forget(device=device.device_id)
        async with unit_of_work(self._db, GATEWAY_ACTOR, None) as w:
            await w.session.execute(
                update(FieldDevice)
                .where(FieldDevice.id == device.device_id)
                .values(previous_token_hash=None, previous_valid_until=None)
            )
            w.changed("unit", device.unit_id, "device")

    async def rotate(self, device: DeviceIdentity) -> str:
        """A new token for the calling device; the old one works until the new one is used
        (at most :data:`ROTATION_GRACE`), so a lost answer locks nobody out."""
        async with unit_of_work(self._db, GATEWAY_ACTOR, None) as w:
            row = await w.session.get(FieldDevice, device.device_id)
            assert row is not None
            token, digest = new_token(row.id)
            row.previous_token_hash = row.token_hash
            row.previous_valid_until = w.now + ROTATION_GRACE
            row.token_hash = digest
            row.rotated_at = w.now
            await w.audit("field.token_rotate", "field_device", row.id, {"by": "device"})
            w.changed("unit", row.unit_id, "device")
        self.cache.forget(device=device.device_id)
        return token

    async def touch(
        self, seen: dict[int, datetime], connected: dict[int, bool] | None = None
    ) -> None:
        """Record when devices last called and whether their live link is open (the unit
        boards show both)."""
        connected = connected or {}
        ids = sorted(set(seen) | set(connected))
        if not ids:
            return
        # Row-locked: the devices' rows are locked in id order before they are changed, so this
        # runs beside the devices' status changes instead of stopping them.
        async with unit_of_work(self._db, GATEWAY_ACTOR, None, row_locked=True) as w:
            units: set[int] = set()
            stmt = select(FieldDevice).where(FieldDevice.id.in_(ids)).order_by(FieldDevice.id)
            if w.on_server:
                stmt = stmt.with_for_update()
            for device in await w.session.scalars(stmt.execution_options(populate_existing=True)):
                if device.id in seen:
                    device.last_seen_at = seen[device.id]
                if device.id in connected:
                    device.connected = connected[device.id] and device.revoked_at is None
                units.add(device.unit_id)
            for unit_id in sorted(units):
                # "seen": the boards show it; it ends no device's right (IdentityCache).
                w.changed("unit", unit_id, "seen")

    async def reset_links(self) -> None:
        """At start: no device is connected to this (new) process yet."""
        async with unit_of_work(self._db, GATEWAY_ACTOR, None) as w:
            await w.session.execute(
                update(FieldDevice).where(FieldDevice.connected.is_(True)).values(connected=False)
            )
