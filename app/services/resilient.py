"""Working through an outage: incidents and journal notes go to the outbox, replayed later.

:class:`ResilientIncidents` stands in for :class:`~app.services.incidents.IncidentService`
(it implements :class:`~app.services.incident_api.IncidentOperations`, typed method by
method, around an inner service). ``create`` and ``add_note`` try the server; if it cannot be
reached (``DatabaseUnavailable``, no answer within ``write_timeout``, the change feed is
OFFLINE, or earlier operations still wait in the outbox, which keeps the order) the operation is
checked exactly as the service would check it, stored durably in the :class:`~app.platform.outbox.Outbox`
and a *pending* result is returned at once.

Pending results are clearly marked:

* an offline incident has a **negative id** (``-seq`` of its outbox entry) and the number
  ``OFFLINE-<seq>`` (:data:`PENDING_PREFIX`); ``version`` is 0;
* a journal line not yet on the server has a **negative id** too.

``get``/``rows``/``matches`` answer negative ids from the outbox, so views can show and select
offline incidents; changing one (update, units, close) is refused with a German message until
it has been transferred. :meth:`ResilientIncidents.replay` sends everything in order once the
server is back; the UUID of each entry is the ``client_ref`` on the server, so a replay after a
crash never duplicates. Replay conflicts are reported through ``conflicts`` (German text):
a note whose incident was closed meanwhile (the note is still appended), an offline incident
that another workstation may have recorded too (same category and address within the outage
window: both are kept), and operations the server refused (kept as failed in the outbox).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from app.domain.dto import IncidentDetail, IncidentDraft, IncidentQuery, IncidentRow
from app.platform.database import Database
from app.platform.errors import (
    DatabaseUnavailable,
    NotFound,
    ValidationError,
)
from app.platform.i18n import tr
from app.platform.outbox import OP_CREATE_INCIDENT, OP_NOTE, Outbox
from app.platform.permissions import Permission
from app.platform.signals import Signal
from app.platform.uow import Actor, check
from app.services.incident_api import IncidentOperations
from app.services.incidents import draft_values, note_text
from app.services.offline_view import (
    PENDING_PREFIX,
    OfflineView,
    PendingOperation,
    is_pending_id,
    pending_id,
    pending_number,
)
from app.services.outbox_replay import (
    OutboxReplay,
    ReplayConflict,
    ReplayReport,
)

__all__ = [
    "PENDING_PREFIX",
    "PendingOperation",
    "ReplayConflict",
    "ReplayReport",
    "ResilientIncidents",
    "is_pending_id",
    "pending_id",
    "pending_number",
]

log = logging.getLogger(__name__)
T = TypeVar("T")


class ResilientIncidents:
    """The incident service with an outbox for create and add_note (see module docstring)."""

    def __init__(
        self,
        db: Database,
        inner: IncidentOperations,
        outbox: Outbox,
        is_online: Callable[[], bool] | None = None,
        write_timeout: float = 6.0,
    ) -> None:
        self._db = db  # for permission checks (refusals are audited there)
        self.inner = inner
        self.outbox = outbox
        self.view = OfflineView(outbox)
        self.is_online = is_online or (lambda: True)
        self.write_timeout = write_timeout
        #: Emitted for every conflict found during a replay.
        self.conflicts: Signal[ReplayConflict] = Signal()
        #: Emitted with (offline id, server id) when an offline incident reached the server.
        self.resolved: Signal[tuple[int, int]] = Signal()
        #: Emitted with the offline id when an offline incident was stored or changed locally.
        self.pending_changed: Signal[int] = Signal()
        #: Emitted after each replay.
        self.replayed: Signal[ReplayReport] = Signal()
        self._replay = OutboxReplay(self)
        self._stragglers: set[asyncio.Future[Any]] = set()

    # -- deciding where a write goes --------------------------------------------------------

    def must_queue(self) -> bool:
        """True if writes go to the outbox without trying the server first."""
        return not self.is_online() or self.outbox.pending_count > 0

    async def attempt(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a server write; DatabaseUnavailable if it does not finish in time.

        A write that times out is not cancelled (cancelling a psycopg query on a hung network
        hangs too); it may still commit later, which the client_ref makes harmless.
        """
        task = asyncio.ensure_future(coro)
        try:
            done, _pending = await asyncio.wait({task}, timeout=self.write_timeout)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not done:
            self._stragglers.add(task)
            task.add_done_callback(self._straggler_done)
            raise DatabaseUnavailable(
                tr("outbox", "The database did not answer within %1 seconds.", self.write_timeout)
            )
        return task.result()

    def _straggler_done(self, task: asyncio.Future[Any]) -> None:
        self._stragglers.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.info("late server write ended with: %s", task.exception())

    # -- create -------------------------------------------------------------------------------

    async def create(self, actor: Actor, draft: IncidentDraft) -> IncidentDetail:
        """Open an incident on the server, or in the outbox if it cannot be reached."""
        await check(self._db, actor, Permission.INCIDENT_WRITE)
        draft_values(draft)  # bad input is refused now, not at replay
        if not self.must_queue():
            ref = draft.client_ref or _new_ref()
            try:
                detail = await self.attempt(
                    self.inner.create(actor, replace(draft, client_ref=ref))
                )
            except DatabaseUnavailable as exc:
                log.warning("incident goes to the outbox: %s", exc)
                draft = replace(draft, client_ref=ref)
            else:
                self.view.remember(detail)
                return detail
        return await self._queue_create(actor, draft)

    async def _queue_create(self, actor: Actor, draft: IncidentDraft) -> IncidentDetail:
        ref = draft.client_ref or _new_ref()
        payload = {
            "category": draft.category,
            "priority": draft.priority,
            "address": draft.address,
            "lat": draft.lat,
            "lon": draft.lon,
            "caller_name": draft.caller_name,
            "caller_phone": draft.caller_phone,
            "description": draft.description,
            "source_report_id": draft.source_report_id,
        }
        entry = await self.outbox.add(OP_CREATE_INCIDENT, payload, actor, entry_uuid=ref)
        self.pending_changed.emit(pending_id(entry.seq))
        detail = self.view.pending_detail(entry)
        assert detail is not None
        return detail

    # -- notes --------------------------------------------------------------------------------

    async def add_note(
        self, actor: Actor, incident_id: int, text: str, client_ref: str | None = None
    ) -> IncidentDetail:
        """Append a note on the server, or in the outbox if it cannot be reached."""
        await check(self._db, actor, Permission.INCIDENT_JOURNAL)
        text = note_text(text)
        ref = client_ref or _new_ref()
        if is_pending_id(incident_id):
            create = self.outbox.by_seq(-incident_id)
            resolution = self.outbox.resolution_by_seq(-incident_id)
            if create is None and resolution is not None:
                incident_id = resolution.incident_id  # transferred meanwhile
            elif create is None:
                raise NotFound(tr("outbox", "The offline incident no longer exists."))
            else:
                await self.outbox.add(
                    OP_NOTE, {"incident_ref": create.uuid, "text": text}, actor, entry_uuid=ref
                )
                self.pending_changed.emit(incident_id)
                detail = self.view.pending_detail(create)
                assert detail is not None
                return detail
        if not self.must_queue():
            try:
                detail = await self.attempt(
                    self.inner.add_note(actor, incident_id, text, client_ref=ref)
                )
            except DatabaseUnavailable as exc:
                log.warning("note goes to the outbox: %s", exc)
            else:
                self.view.remember(detail)
                return self.view.with_pending_notes(detail)
        known = self.view.known(incident_id)
        await self.outbox.add(
            OP_NOTE,
            {
                "incident_id": incident_id,
                "text": text,
                "known_status": known.status if known else None,
                "known_number": known.number if known else None,
            },
            actor,
            entry_uuid=ref,
        )
        return self.view.offline_detail(incident_id)

    # -- reading ------------------------------------------------------------------------------

    async def get(self, actor: Actor, incident_id: int) -> IncidentDetail:
        """One incident; offline incidents from the outbox, others as last known if offline."""
        await check(self._db, actor, Permission.INCIDENT_READ)
        if is_pending_id(incident_id):
            entry = self.outbox.by_seq(-incident_id)
            detail = self.view.pending_detail(entry) if entry is not None else None
            if detail is None:
                resolution = self.outbox.resolution_by_seq(-incident_id)
                if resolution is None:
                    raise NotFound(tr("outbox", "The offline incident no longer exists."))
                incident_id = resolution.incident_id
            else:
                return detail
        try:
            detail = await self.attempt(self.inner.get(actor, incident_id))
        except DatabaseUnavailable:
            cached = self.view.known(incident_id)
            if cached is None:
                raise
            return self.view.with_pending_notes(cached)
        self.view.remember(detail)
        return self.view.with_pending_notes(detail)

    async def count(self, actor: Actor, q: IncidentQuery, limit: int | None = None) -> int:
        """As the service (offline incidents are added to the queue by the UI)."""
        return await self.inner.count(actor, q, limit)

    async def page(
        self, actor: Actor, q: IncidentQuery, offset: int, limit: int
    ) -> list[IncidentRow]:
        """As the service."""
        return await self.inner.page(actor, q, offset, limit)

    async def rows(self, actor: Actor, ids: Sequence[int]) -> list[IncidentRow]:
        """Queue rows; negative ids come from the outbox."""
        offline = [i for i in ids if is_pending_id(i)]
        online = [i for i in ids if not is_pending_id(i)]
        result = await self.inner.rows(actor, online) if online else []
        by_id = {r.id: r for r in self.view.pending_rows()}
        return result + [by_id[i] for i in offline if i in by_id]

    async def matches(self, actor: Actor, q: IncidentQuery, ids: Sequence[int]) -> set[int]:
        """Which ids match ``q``; offline incidents always show (they need attention)."""
        offline = {i for i in ids if is_pending_id(i)}
        online = [i for i in ids if not is_pending_id(i)]
        result = await self.inner.matches(actor, q, online) if online else set()
        known = {r.id for r in self.view.pending_rows()}
        return result | (offline & known)

    def pending_rows(self) -> list[IncidentRow]:
        """Queue rows of the incidents that exist only in the outbox."""
        return self.view.pending_rows()

    def pending(self) -> list[PendingOperation]:
        """Everything waiting in the outbox (and what failed), in order, for the UI."""
        return self.view.pending()

    # -- offline incidents cannot be changed yet ---------------------------------------------

    def _refuse_pending(self, incident_id: int) -> None:
        if is_pending_id(incident_id):
            raise ValidationError(
                tr(
                    "outbox",
                    "Incident %1 is only stored on this workstation until the database is "
                    "reachable again. It can be changed once it has been transferred.",
                    pending_number(-incident_id),
                )
            )

    async def update(
        self, actor: Actor, incident_id: int, expected_version: int, changes: dict[str, Any]
    ) -> IncidentDetail:
        """As the service; refused for offline incidents."""
        self._refuse_pending(incident_id)
        return await self.inner.update(actor, incident_id, expected_version, changes)

    async def assign_unit(
        self, actor: Actor, incident_id: int, unit_id: int, confirm_unavailable: bool = False
    ) -> IncidentDetail:
        """As the service; refused for offline incidents."""
        self._refuse_pending(incident_id)
        return await self.inner.assign_unit(actor, incident_id, unit_id, confirm_unavailable)

    async def confirm_unit(self, actor: Actor, incident_id: int, unit_id: int) -> IncidentDetail:
        """As the service; refused for offline incidents."""
        self._refuse_pending(incident_id)
        return await self.inner.confirm_unit(actor, incident_id, unit_id)

    async def unit_arrived(self, actor: Actor, incident_id: int, unit_id: int) -> IncidentDetail:
        """As the service; refused for offline incidents."""
        self._refuse_pending(incident_id)
        return await self.inner.unit_arrived(actor, incident_id, unit_id)

    async def release_unit(
        self, actor: Actor, incident_id: int, unit_id: int, new_status: str = "1"
    ) -> IncidentDetail:
        """As the service; refused for offline incidents."""
        self._refuse_pending(incident_id)
        return await self.inner.release_unit(actor, incident_id, unit_id, new_status)

    async def close(
        self,
        actor: Actor,
        incident_id: int,
        expected_version: int,
        outcome: str,
        note: str = "",
    ) -> IncidentDetail:
        """As the service; refused for offline incidents."""
        self._refuse_pending(incident_id)
        return await self.inner.close(actor, incident_id, expected_version, outcome, note)

    async def reopen(
        self, actor: Actor, incident_id: int, expected_version: int, reason: str
    ) -> IncidentDetail:
        """As the service; refused for offline incidents."""
        self._refuse_pending(incident_id)
        return await self.inner.reopen(actor, incident_id, expected_version, reason)

    # -- replay -------------------------------------------------------------------------------

    async def replay(self) -> ReplayReport:
        """Send the outbox to the server in order (see :class:`OutboxReplay`)."""
        return await self._replay.run()

    async def close_outbox(self) -> None:
        """Wait briefly for late writes, then close the outbox file."""
        for task in list(self._stragglers):
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, 1.0)
        await self.outbox.close()


def _new_ref() -> str:
    return str(uuid.uuid4())
