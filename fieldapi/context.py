"""What the running field API holds: its database, the gateway, limits, the live links."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from datetime import datetime
from typing import Any

from app.platform.acting import ActingDatabase
from app.platform.database import Database
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.platform.timeutil import utcnow
from app.services import Services
from app.services.field_gateway import DeviceIdentity, FieldGateway
from app.services.field_idempotency import RequestKeys
from fieldapi.call_audit import CallAuditWriter, CallRecord
from fieldapi.errors import ApiError
from fieldapi.limits import RateLimiter
from fieldapi.settings import FieldApiSettings

log = logging.getLogger(__name__)

#: Seconds within which the last calls of devices are recorded together.
SEEN_FLUSH_S = 0.5


class FieldContext:
    """The API's state: one database pool, acting views of it per officer, the limiters."""

    def __init__(self, db: Database, settings: FieldApiSettings | None = None) -> None:
        self.db = db
        self.settings = settings or FieldApiSettings()
        self.gateway = FieldGateway(db)
        #: The keys of writes a device may send again (``Idempotency-Key``).
        self.request_keys = RequestKeys(db)
        # With several processes each allows its share (see FieldApiSettings.workers).
        share = max(1, self.settings.workers)
        self.device_limits = RateLimiter(
            self.settings.rate_per_s / share, max(1, math.ceil(self.settings.burst / share))
        )
        self.guess_limits = RateLimiter(
            self.settings.unauthenticated_per_min / 60, self.settings.unauthenticated_per_min
        )
        self._services: dict[int, Services] = {}
        self._seen_written: dict[int, float] = {}
        #: Devices whose last call is still to be recorded (written together, see _seen).
        self._seen_due: dict[int, datetime] = {}
        self._seen_task: asyncio.Task[None] | None = None
        #: Every call's audit record, written in batches.
        self.calls = CallAuditWriter(db)

    def services_for(self, device: DeviceIdentity) -> Services:
        """The services acting for ``device``'s officer (PostgreSQL: with the officer's login,
        the server checking in every transaction that the device is still live)."""
        found = self._services.get(device.device_id)
        if found is None:
            db = (
                self.db
                if self.db.target.is_sqlite
                else ActingDatabase(self.db, device.actor.username, device.device_id)
            )
            found = self._services[device.device_id] = Services.create(db)
        return found

    async def identify(self, token: str, client: str) -> DeviceIdentity:
        """The device of ``token`` within its rate limit; refused callers are limited too."""
        try:
            identity = await self.gateway.authenticate(token)
        except KodError:
            wait = self.guess_limits.retry_after(("guess", client))
            if wait:
                raise _too_many(wait) from None
            raise
        wait = self.device_limits.retry_after(identity.device_id)
        if wait:
            raise _too_many(wait)
        return identity

    async def audit_call(
        self,
        identity: DeviceIdentity | None,
        method: str,
        path: str,
        status: int,
        client: str,
    ) -> None:
        """One audit record per call: who (device and officer), what, and the answer."""
        details: dict[str, Any] = {"method": method, "path": path[:200], "status": status}
        details["client"] = client[:64]
        if identity is not None:
            details["device"] = identity.device_id
        action = "field.call" if status < 400 else "field.refused"
        self.calls.add(
            CallRecord(
                identity.actor if identity else None,
                action,
                identity.device_id if identity else None,
                details,
            )
        )
        if identity is not None:
            await self._seen(identity.device_id)

    async def _seen(self, device_id: int) -> None:
        now = utcnow()
        last = self._seen_written.get(device_id, -math.inf)
        if now.timestamp() - last < self.settings.seen_interval_s:
            return
        self._seen_written[device_id] = now.timestamp()
        # Written for all devices due within SEEN_FLUSH_S in one transaction: with hundreds
        # of devices a transaction per device would queue on the writers' lock.
        self._seen_due[device_id] = now
        if self._seen_task is None or self._seen_task.done():
            self._seen_task = asyncio.get_running_loop().create_task(self._write_seen_later())

    async def _write_seen_later(self) -> None:
        await asyncio.sleep(SEEN_FLUSH_S)
        await self.flush_seen()

    async def flush_seen(self) -> None:
        """Record the last call of every device due now."""
        due, self._seen_due = self._seen_due, {}
        if not due:
            return
        try:
            await self.gateway.touch(due)
        except Exception:
            log.exception("last call of devices %s not recorded", sorted(due))

    async def close(self) -> None:
        """Write what is still due (last calls, call records)."""
        if self._seen_task is not None:
            # At most SEEN_FLUSH_S; cancelling could cut a write already begun.
            with contextlib.suppress(Exception):
                await self._seen_task
        await self.flush_seen()
        await self.calls.close()


def _too_many(wait: float) -> ApiError:
    return ApiError(
        429,
        "too_many_requests",
        tr("field", "Too many requests from this device. Please wait %1 s.", math.ceil(wait)),
        **{"Retry-After": str(math.ceil(wait))},
    )
