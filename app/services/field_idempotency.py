"""Writes from field devices sent again after a dead spot: the ``Idempotency-Key`` of a device.

A device queues its writes (status, Meldung, OWi capture, acknowledgement) while it has no
network and sends each with a key of its own. When the answer to a write gets lost, the device
sends it again with the same key: the write is not repeated, the first answer comes back.

The key is reserved before the write runs and its answer stored after it; a write that failed
releases its key so that it can be tried again. A second request with a key still reserved (the
first is still running) is refused with "still running", and the device tries again later. If
the process dies between the write and storing its answer, the key stays reserved: after
:data:`STALE` the device is told that the outcome is unknown (:class:`Unknown`) — it stops
sending, the officer asks the control room — and the write is never repeated. Kept under the
field API's own login (its bookkeeping, not an officer's act).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.platform.database import Database
from app.platform.timeutil import utcnow
from app.platform.uow import unit_of_work
from app.services.field_gateway import GATEWAY_ACTOR
from db.models import FieldRequestKey

#: How long a key is remembered: longer than any phone stays out of reach with a queued write
#: (a write sent after its key was forgotten would be stored a second time).
KEEP = timedelta(days=14)
#: How long the key of a batch of positions is remembered: a device sends one every half minute
#: while it is in reach (14 days of them would be tens of thousands of rows per device), and a
#: batch whose answer got lost is sent again at the device's next try, within minutes; a
#: position stored twice after longer would only repeat a point of the track.
KEEP_POSITIONS = timedelta(days=2)
#: The call whose keys are kept only :data:`KEEP_POSITIONS`.
POSITIONS_CALL = "POST /v1/positions"
#: Keys a device may use: 8 to 64 letters, digits, ``-`` and ``_`` (a UUID fits).
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
#: How often expired keys are purged.
PURGE_EVERY = timedelta(minutes=10)
#: A reservation without an answer after this long: the request that made it was cut off.
STALE = timedelta(minutes=5)


@dataclass(frozen=True)
class Reserved:
    """The key is new: run the write, then :meth:`RequestKeys.finish` or ``release``."""


@dataclass(frozen=True)
class Answered:
    """The key was used before: the first answer (``status`` and JSON ``answer``)."""

    request: str
    status: int
    answer: str


@dataclass(frozen=True)
class AnswerNotKept:
    """The key was used before and its write succeeded (``status``), but the answer was larger
    than the field API keeps: the write is not repeated, and the answer cannot be given again."""

    request: str
    status: int


@dataclass(frozen=True)
class Running:
    """The key is reserved by a request still running (or ``request`` differs)."""

    request: str


@dataclass(frozen=True)
class Unknown:
    """The key was reserved long ago and never answered: the request that reserved it was cut
    off (the service stopped) — whether its write was stored is not known, so it is not run
    again."""

    request: str


Outcome = Reserved | Answered | AnswerNotKept | Running | Unknown


class RequestKeys:
    """The keys of one database (the field API's login on PostgreSQL).

    Every write here changes only rows of its own key (one row: the unique key decides a race),
    so it runs beside the devices' other writes (``row_locked``).
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._purged_at = utcnow() - PURGE_EVERY

    async def reserve(self, device_id: int, key: str, request: str) -> Outcome:
        """Reserve ``key`` of ``device_id`` for ``request`` (e.g. ``POST /v1/reports`` and the
        fingerprint of its content), or what it was used for already."""
        await self._purge_now_and_then()
        try:
            async with unit_of_work(self._db, GATEWAY_ACTOR, None, row_locked=True) as w:
                w.session.add(
                    FieldRequestKey(
                        device_id=device_id, key=key, request=request[:255], created_at=w.now
                    )
                )
            return Reserved()
        except IntegrityError:
            pass
        async with self._db.read_single() as s:
            row = (
                await s.execute(
                    select(
                        FieldRequestKey.request,
                        FieldRequestKey.status,
                        FieldRequestKey.answer,
                        FieldRequestKey.created_at,
                    ).where(FieldRequestKey.device_id == device_id, FieldRequestKey.key == key)
                )
            ).first()
        if row is None:  # purged in between: a new key after all
            return await self.reserve(device_id, key, request)
        used_for, status, answer, reserved_at = row
        if status is None:
            if reserved_at < utcnow() - STALE:
                return Unknown(used_for)
            return Running(used_for)
        if answer is None:
            return AnswerNotKept(used_for, status)
        return Answered(used_for, status, answer)

    async def finish(self, device_id: int, key: str, status: int, answer: str | None) -> None:
        """The write of ``key`` succeeded with ``answer``: later requests get it back (None: the
        answer was too large to keep; later requests learn that the write was stored)."""
        async with unit_of_work(self._db, GATEWAY_ACTOR, None, row_locked=True) as w:
            await w.session.execute(
                update(FieldRequestKey)
                .where(FieldRequestKey.device_id == device_id, FieldRequestKey.key == key)
                .values(status=status, answer=answer)
            )

    async def release(self, device_id: int, key: str) -> None:
        """The write of ``key`` failed (nothing stored): the key may be tried again."""
        async with unit_of_work(self._db, GATEWAY_ACTOR, None, row_locked=True) as w:
            await w.session.execute(
                delete(FieldRequestKey).where(
                    FieldRequestKey.device_id == device_id,
                    FieldRequestKey.key == key,
                    FieldRequestKey.status.is_(None),
                )
            )

    async def purge(self) -> int:
        """Forget keys older than :data:`KEEP` (of positions: :data:`KEEP_POSITIONS`); how
        many."""
        async with unit_of_work(self._db, GATEWAY_ACTOR, None, row_locked=True) as w:
            result = await w.session.execute(
                delete(FieldRequestKey).where(
                    or_(
                        FieldRequestKey.created_at < w.now - KEEP,
                        and_(
                            FieldRequestKey.request.startswith(POSITIONS_CALL + " "),
                            FieldRequestKey.created_at < w.now - KEEP_POSITIONS,
                        ),
                    )
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def _purge_now_and_then(self) -> None:
        now = utcnow()
        if now - self._purged_at < PURGE_EVERY:
            return
        self._purged_at = now
        await self.purge()
