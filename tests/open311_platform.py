"""A local stand-in for a city's Open311 platform, replaying the answers in tests/open311/.

A small HTTP server in a thread serves those files (``{base}`` replaced by its address),
photos made with Pillow, answers 500 or non-JSON when told, and records every status update
posted to it. :class:`Intake` is the workstation's side: the intake configured for that
platform, polled once at a time, and what it stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio
from PIL import Image
from sqlalchemy import select, text

from app.domain.dto_work import ReportInfo
from app.platform.database import Database
from app.platform.uow import Actor
from app.services import Services
from app.services.field_photos import PhotoInfo, report_photos
from app.services.open311 import PollResult
from app.services.open311_loop import run_poller
from db.models import Report
from tests.conftest import ADMIN

DATA = Path(__file__).parent / "open311"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


class Platform:
    """The citizens' platform: what it answers and what it was sent."""

    def __init__(self) -> None:
        self.lists: list[tuple[int, bytes]] = []  # answers to come; the last one repeats
        self.list_queries: list[dict[str, list[str]]] = []
        self.posts: list[tuple[str, dict[str, list[str]]]] = []
        self.post_failures = 0
        self.base = ""
        self.gets: list[str] = []  # every path asked for

    def serve_file(self, name: str, status: int = 200) -> None:
        text = (DATA / name).read_text(encoding="utf-8").replace("{base}", self.base)
        self.lists.append((status, text.encode()))

    def serve_only(self, name: str) -> None:
        """From now on answer ``name`` (instead of the answers queued so far)."""
        self.lists[:] = []
        self.serve_file(name)

    def answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, str, bytes]:
        url = urlsplit(handler.path)
        self.gets.append(url.path)
        if url.path in ("/georeport/v2/requests.json", "/georeport/v2/requests.xml"):
            self.list_queries.append(parse_qs(url.query))
            status, body = self.lists[0] if len(self.lists) == 1 else self.lists.pop(0)
            kind = "text/xml" if body.lstrip().startswith(b"<") else "application/json"
            return status, kind + "; charset=utf-8", body
        if url.path == "/georeport/v2/media/not-a-photo.jpg":
            return 200, "application/pdf", b"%PDF-1.4 kein Foto"
        if url.path.startswith("/georeport/v2/media/"):
            return 200, "image/jpeg", _jpeg()
        return 404, "text/plain", b"not found"

    def posted(self, handler: BaseHTTPRequestHandler) -> tuple[int, str, bytes]:
        length = int(handler.headers.get("content-length") or 0)
        form = parse_qs(handler.rfile.read(length).decode())
        if self.post_failures > 0:
            self.post_failures -= 1
            return 500, "text/plain", b"Interner Fehler"
        self.posts.append((urlsplit(handler.path).path, form))
        return 200, "application/json", b'[{"service_request_id": "x"}]'


@contextlib.contextmanager
def running_platform() -> Iterator[Platform]:
    """The platform, serving on a free local port until the block ends."""
    state = Platform()

    class Handler(BaseHTTPRequestHandler):
        def _send(self, reply: tuple[int, str, bytes]) -> None:
            status, kind, body = reply
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._send(state.answer(self))

        def do_POST(self) -> None:
            self._send(state.posted(self))

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}/georeport/v2"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


#: The category map of the intake under test (platform service code -> our category).
CATEGORIES = {"waste": "waste", "noise": "noise"}


def listing(*entries: dict[str, Any]) -> list[tuple[int, bytes]]:
    """A platform answer listing ``entries`` (to put in :attr:`Platform.lists`)."""
    return [(200, json.dumps(list(entries)).encode())]


async def no_wait(_seconds: float) -> None:
    return None


@dataclass
class Intake:
    """The Open311 intake configured for ``platform``, polled once per :meth:`poll`."""

    db: Database
    services: Services
    actor: Actor
    platform: Platform

    async def configure(self) -> None:
        await self.setting("base_url", self.platform.base)
        await self.setting("jurisdiction_id", "leverkusen.de")
        await self.setting("category_map", json.dumps(CATEGORIES))

    async def setting(self, name: str, value: Any) -> None:
        await self.services.settings.set(ADMIN, f"open311.{name}", value)

    async def poll(self, answer: str | None = None, db: Database | None = None) -> PollResult:
        """One poll; with ``answer``, the platform serves that recorded answer from now on."""
        if answer is not None:
            self.platform.serve_file(answer)
        result = await run_poller(
            db or self.db, self.actor, asyncio.Event(), once=True, sleep=no_wait
        )
        assert result is not None
        return result

    async def reports(self) -> list[Report]:
        """The Meldungen taken in from Open311, by request id."""
        async with self.db.read() as s:
            rows = await s.scalars(
                select(Report).where(Report.source == "open311").order_by(Report.external_id)
            )
            return list(rows)

    async def report(self, request_id: str) -> Report:
        (report,) = [r for r in await self.reports() if r.external_id == request_id]
        return report

    async def info(self, report_id: int) -> ReportInfo:
        return await self.services.reports.get(self.actor, report_id)

    async def photos(self, report_id: int) -> list[PhotoInfo]:
        return await report_photos(self.db, self.actor, report_id)

    async def set_status(self, report_id: int, status: str) -> None:
        await self.services.reports.set_status(self.actor, report_id, None, status)

    def audit(self, action: str) -> list[dict[str, Any]]:
        """The details of the audit records of ``action``, oldest first."""
        engine = self.db.sync_engine()
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text("select details from audit_log where action = :a order by id"),
                    {"a": action},
                ).scalars()
                return [json.loads(r) if isinstance(r, str) else r for r in rows]
        finally:
            engine.dispose()


# --- fixtures (registered for every test module in tests/conftest.py) -----------------


@pytest.fixture
def platform() -> Iterator[Platform]:
    with running_platform() as state:
        yield state


@pytest_asyncio.fixture
async def intake(db: Database, services: Services, dispatcher: Actor, platform: Platform) -> Intake:
    """The intake configured for the local platform (which serves nothing yet)."""
    configured = Intake(db, services, dispatcher, platform)
    await configured.configure()
    return configured
