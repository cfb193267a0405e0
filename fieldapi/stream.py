"""Live link to the devices: ``/v1/stream`` (WebSocket) pushes the unit's inbox.

The device connects and sends ``{"token": "kodf_…", "after": <cursor>}`` (``after``: the last
cursor it has seen, 0 or missing the first time). The server answers
``{"type": "inbox", "cursor": N, "items": […], "changed": [[kind, id], …]}`` at once — the
catch-up: ``changed`` names the items the change feed touched after ``after`` — and again
whenever the change feed touches the unit's incidents or Aufträge. The device acknowledges an
item with ``{"type": "ack", "kind": "incident"|"task", "id": N}`` (or the HTTP call) and gets
``{"type": "ack", …}`` back. A revoked device's link is closed (code 4401).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import TypeAdapter

from app.domain.dto import LINK_HEARTBEAT_S, ChangeBatch
from app.platform.changefeed import ChangeFollower, LinkStatus, changes_after, last_change_id
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.platform.timeutil import utcnow
from app.services import field_inbox
from app.services.field_gateway import DeviceIdentity, may_end_a_right
from fieldapi.context import FieldContext
from fieldapi.errors import from_kod_error

log = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 10.0


@dataclass(eq=False)
class _Link:
    socket: WebSocket
    device: DeviceIdentity
    token: str
    sent: str = ""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_ITEMS = TypeAdapter(list[field_inbox.InboxItem])


def _jsonable(items: list[field_inbox.InboxItem]) -> list[dict[str, Any]]:
    return list(_ITEMS.dump_python(items, mode="json"))


class StreamHub:
    """The open links, fed by one change follower under the API's own login."""

    def __init__(self, ctx: FieldContext) -> None:
        self.ctx = ctx
        self.links: set[_Link] = set()
        self.follower: ChangeFollower | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        #: Seconds between the confirmations of the open links (see :meth:`_confirm_links`).
        self.heartbeat_s = LINK_HEARTBEAT_S
        self._heartbeat: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Follow the change feed from now on."""
        follower = ChangeFollower(self.ctx.db, after_id=await last_change_id(self.ctx.db))
        self.follower = follower
        follower.changes.connect(self._on_changes)
        follower.link.connect(self._on_link)
        # Checked tokens may be kept while the feed tells what ends them (IdentityCache), on
        # PostgreSQL: the server itself refuses to act for an officer whose device was revoked,
        # at once, while the feed's word takes milliseconds. A SQLite file is only looked at
        # now and then, so there every call is checked.
        if not self.ctx.db.target.is_sqlite:
            self.ctx.gateway.trusted = lambda: follower.status.online
        follower.start()
        self._heartbeat = asyncio.get_running_loop().create_task(self._confirm_links())

    async def stop(self) -> None:
        """Stop following; close the links."""
        self.ctx.gateway.trusted = lambda: False
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._heartbeat
        if self.follower is not None:
            await self.follower.stop()
        for link in list(self.links):
            with contextlib.suppress(Exception):
                await link.socket.close(1001)
        for task in list(self._tasks):
            task.cancel()

    async def _confirm_links(self) -> None:
        """Confirm the open links now and then: the boards show a link as open only while
        it is confirmed (``UnitInfo.device_link_live``), so the links of a process that died
        without closing them stop showing as open after ``LINK_STALE_S``."""
        while True:
            await asyncio.sleep(self.heartbeat_s)
            open_now = {link.device.device_id for link in self.links}
            if not open_now:
                continue
            now = utcnow()
            try:
                await self.ctx.gateway.touch(
                    dict.fromkeys(open_now, now), dict.fromkeys(open_now, True)
                )
            except Exception:
                log.exception("open links %s not confirmed", sorted(open_now))

    def _on_link(self, status: LinkStatus) -> None:
        if not status.online:
            self.ctx.gateway.cache.forget()

    def _on_changes(self, batch: ChangeBatch) -> None:
        self.ctx.gateway.cache.apply(batch)
        relevant = batch.reset or any(
            # (a device whose right ended is told so and its link closed: see _push)
            field_inbox.touches(c.entity, c.op) or may_end_a_right(c)
            for c in batch.changes
        )
        if relevant and self.links:
            task = asyncio.get_running_loop().create_task(self._refresh(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _refresh(self, batch: ChangeBatch) -> None:
        cursor = batch.changes[-1].id if batch.changes else batch.reset_to
        for link in list(self.links):
            await self._push(link, cursor or 0, [])

    async def _push(self, link: _Link, cursor: int, changed: list[list[object]]) -> None:
        async with link.lock:
            try:
                link.device = await self.ctx.gateway.authenticate(link.token)
            except KodError as exc:
                await self._close(link, 4401, from_kod_error(exc).message)
                return
            db = self.ctx.services_for(link.device).db
            items = await field_inbox.inbox(
                db, link.device.actor, link.device.unit_id, link.device.device_id
            )
            payload = _jsonable(items)
            body = json.dumps(payload, sort_keys=True)
            if body == link.sent and not changed:
                return
            link.sent = body
            message = {"type": "inbox", "cursor": cursor, "items": payload, "changed": changed}
            with contextlib.suppress(Exception):
                await link.socket.send_json(message)

    async def _close(self, link: _Link, code: int, reason: str) -> None:
        self.links.discard(link)
        with contextlib.suppress(Exception):
            await link.socket.close(code, reason[:120])

    async def serve(self, socket: WebSocket) -> None:
        """One device's link, from the hello to its end."""
        await socket.accept()
        try:
            hello = await asyncio.wait_for(socket.receive_json(), HELLO_TIMEOUT_S)
            token = str(hello.get("token", "")) if isinstance(hello, dict) else ""
            after = hello.get("after", 0) if isinstance(hello, dict) else 0
            after = after if isinstance(after, int) and after >= 0 else 0
            client = socket.client.host if socket.client else "?"
            device = await self.ctx.identify(token, client)
        except (TimeoutError, ValueError, KodError, WebSocketDisconnect) as exc:
            reason = from_kod_error(exc).message if isinstance(exc, KodError) else "hello"
            await self.ctx.audit_call(None, "WS", "/v1/stream", 401, "?")
            with contextlib.suppress(Exception):
                await socket.close(4401, reason[:120])
            return
        except Exception as exc:  # e.g. an ApiError (rate limit)
            with contextlib.suppress(Exception):
                await socket.close(4429, str(exc)[:120])
            return
        link = _Link(socket, device, token)
        await self.ctx.audit_call(device, "WS", "/v1/stream", 101, client)
        try:
            # The catch-up first, then live pushes (the link joins the hub only now).
            cursor = await last_change_id(self.ctx.db)
            missed = await changes_after(self.ctx.db, after) if after else []
            changed = sorted(
                {(c.entity, c.entity_id) for c in missed if c.entity in ("incident", "task")}
            )
            await self._push(link, cursor, [list(c) for c in changed])
            self.links.add(link)
            # A change between the catch-up's read and joining the hub is not lost.
            await self._push(link, await last_change_id(self.ctx.db), [])
            await self.ctx.gateway.touch({device.device_id: utcnow()}, {device.device_id: True})
            while True:
                message = await socket.receive_json()
                await self._on_message(link, message)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self.links.discard(link)
            with contextlib.suppress(Exception):
                await self.ctx.gateway.touch(
                    {device.device_id: utcnow()}, {device.device_id: False}
                )

    async def _on_message(self, link: _Link, message: Any) -> None:
        if not isinstance(message, dict) or message.get("type") != "ack":
            await link.socket.send_json(
                {"type": "error", "message": tr("field", "Unknown message.")}
            )
            return
        kind, item_id = message.get("kind"), message.get("id")
        if kind not in field_inbox.KINDS or not isinstance(item_id, int):
            await link.socket.send_json(
                {"type": "error", "message": tr("field", "The acknowledgement needs kind and id.")}
            )
            return
        dev = link.device
        try:
            at = await field_inbox.acknowledge(
                self.ctx.services_for(dev).db,
                dev.actor,
                dev.unit_id,
                dev.device_id,
                kind,
                item_id,
            )
        except KodError as exc:
            await link.socket.send_json({"type": "error", "message": from_kod_error(exc).message})
            return
        await self.ctx.audit_call(dev, "WS", f"/v1/stream ack {kind} {item_id}", 200, "ws")
        await link.socket.send_json(
            {"type": "ack", "kind": kind, "id": item_id, "acknowledged_at": at.isoformat()}
        )
