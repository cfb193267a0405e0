"""Open311 GeoReport v2 intake against a local platform serving recorded answers.

The answers in tests/open311/ are the GeoReport v2 specification's example of
``GET requests.json`` (with ``service_code`` quoted: the spec's literal ``006`` is not valid
JSON) plus a request of our own, and a list of malformed entries. A small HTTP server in a
thread plays the city's platform: it serves those files, photos made with Pillow, answers 500
or non-JSON when told, and records every status update posted to it.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from sqlalchemy import select

from app.domain.open311 import parse_requests
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.errors import ValidationError
from app.platform.uow import Actor
from app.services import Services
from app.services.field_photos import report_photos
from app.services.open311 import PollResult
from app.services.open311_client import Open311Error
from app.services.open311_loop import ENV_DATABASE_URL, RETRY_BASE_S, backoff_s, run_poller
from db.models import Report
from tests.conftest import ADMIN, service_actions
from tests.field_setup import api_client
from tests.test_cli import _url, run_admin

DATA = Path(__file__).parent / "open311"
CATEGORIES = {"waste": "waste", "noise": "noise"}


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

    def serve_file(self, name: str) -> None:
        text = (DATA / name).read_text(encoding="utf-8").replace("{base}", self.base)
        self.lists.append((200, text.encode()))

    def answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, str, bytes]:
        url = urlsplit(handler.path)
        if url.path == "/georeport/v2/requests.json":
            self.list_queries.append(parse_qs(url.query))
            status, body = self.lists[0] if len(self.lists) == 1 else self.lists.pop(0)
            return status, "application/json", body
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


@pytest.fixture
def platform() -> Iterator[Platform]:
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


async def _configure(services: Services, platform: Platform) -> None:
    await services.settings.set(ADMIN, "open311.base_url", platform.base)
    await services.settings.set(ADMIN, "open311.jurisdiction_id", "leverkusen.de")
    await services.settings.set(ADMIN, "open311.category_map", json.dumps(CATEGORIES))


async def _poll(db: Database, actor: Actor) -> PollResult:
    result = await run_poller(db, actor, asyncio.Event(), once=True, sleep=_no_wait)
    assert result is not None
    return result


async def _no_wait(_seconds: float) -> None:
    return None


async def _open311_reports(db: Database) -> list[Report]:
    async with db.read() as s:
        rows = await s.scalars(
            select(Report).where(Report.source == "open311").order_by(Report.external_id)
        )
        return list(rows)


def test_the_specification_example_parses() -> None:
    body = (DATA / "spec_requests.json").read_text(encoding="utf-8")
    requests, skipped = parse_requests(body)
    assert skipped == []
    first = requests[0]
    assert first.service_request_id == "638344"
    assert first.status == "closed"
    assert first.service_code == "006"
    assert first.requested_datetime is not None
    assert first.requested_datetime.isoformat() == "2010-04-14T14:37:38+00:00"
    assert (first.lat, first.lon) == (37.76222181595, -122.4651145907)
    assert first.description == ""


def test_malformed_entries_are_left_out_with_a_reason() -> None:
    requests, skipped = parse_requests((DATA / "malformed_requests.json").read_bytes())
    assert [r.service_request_id for r in requests] == ["LEV-OK-1"]
    assert len(skipped) == 8
    with pytest.raises(ValueError):
        parse_requests(b"<html>Wartungsarbeiten</html>")
    with pytest.raises(ValueError):
        parse_requests(b'{"error": "kein Zugriff"}')


@pytest.mark.asyncio
async def test_requests_become_meldungen_once_also_after_a_restart(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    platform.serve_file("spec_requests.json")

    first = await _poll(db, dispatcher)

    # The closed example request is not taken in; the two open ones are.
    assert len(first.created) == 2
    assert first.photos == 1
    reports = await _open311_reports(db)
    assert [r.external_id for r in reports] == ["638349", "LEV-2026-0815"]
    sidewalk, waste = reports
    assert sidewalk.category == "other"  # service code 006 is not mapped
    assert waste.category == "waste"
    assert waste.subject == "Wilder Müll"
    assert waste.text == "Sperrmüll am Straßenrand seit einer Woche."
    assert waste.address == "Wiesdorfer Platz 1, 51373 Leverkusen"
    assert waste.external_url == f"{platform.base}/requests/LEV-2026-0815.json"
    assert sidewalk.received_at.isoformat() == "2010-04-19T14:37:38+00:00"
    assert [p.width for p in await report_photos(db, dispatcher, sidewalk.id)] == [64]
    assert await report_photos(db, dispatcher, waste.id) == []
    assert "report.create" in service_actions(db, "report")
    assert "report.open311" in service_actions(db, "report")
    query = platform.list_queries[0]
    assert query["jurisdiction_id"] == ["leverkusen.de"]
    assert "start_date" in query and "updated_after" not in query

    second = await _poll(db, dispatcher)
    assert second.created == []
    assert second.known == 2
    # The cursor is the last change taken in.
    assert platform.list_queries[1]["updated_after"] == ["2026-12-01T09:00:00+00:00"]

    restarted = Database(db.target, "zweiter-start")
    try:
        third = await _poll(restarted, dispatcher)
    finally:
        await restarted.dispose()
    assert third.created == []
    assert platform.list_queries[2]["updated_after"] == ["2026-12-01T09:00:00+00:00"]
    assert len(await _open311_reports(db)) == 2


@pytest.mark.asyncio
async def test_malformed_answers_skip_entries_and_photos(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    platform.serve_file("malformed_requests.json")

    result = await _poll(db, dispatcher)

    assert len(result.created) == 1
    assert len(result.skipped) == 8
    assert result.photos == 0  # the "photo" is a PDF
    (report,) = await _open311_reports(db)
    assert (report.external_id, report.category) == ("LEV-OK-1", "noise")


@pytest.mark.asyncio
async def test_closed_meldung_is_reported_back_once(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    platform.serve_file("spec_requests.json")
    await _poll(db, dispatcher)
    waste = next(r for r in await _open311_reports(db) if r.external_id == "LEV-2026-0815")
    await services.reports.set_status(dispatcher, waste.id, None, "closed")

    # The platform fails three times: the Meldung stays closed, the update waits.
    platform.post_failures = 3
    failed = await _poll(db, dispatcher)
    assert failed.failed == ["LEV-2026-0815"] and failed.posted == []
    assert platform.posts == []
    assert (await services.reports.get(dispatcher, waste.id)).status == "closed"

    sent = await _poll(db, dispatcher)
    assert sent.posted == ["LEV-2026-0815"]
    again = await _poll(db, dispatcher)
    assert again.posted == []

    assert len(platform.posts) == 1
    path, form = platform.posts[0]
    assert path == "/georeport/v2/requests/LEV-2026-0815.json"
    assert form["status"] == ["closed"]
    assert form["jurisdiction_id"] == ["leverkusen.de"]
    assert "report.open311_status" in service_actions(db, "report")


@pytest.mark.asyncio
async def test_polling_backs_off_after_errors(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    await services.settings.set(ADMIN, "open311.interval_s", 120)
    platform.lists.append((500, b"Interner Fehler"))
    platform.lists.append((200, b"<html>Wartung</html>"))
    platform.lists.append((500, b"Interner Fehler"))
    platform.serve_file("spec_requests.json")
    waits: list[float] = []
    polls: list[PollResult | None] = []
    stop = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    def on_poll(result: PollResult | None) -> None:
        polls.append(result)
        if len(polls) == 5:
            stop.set()

    await run_poller(db, dispatcher, stop, sleep=sleep, on_poll=on_poll)

    assert [p is None for p in polls] == [True, True, True, False, False]
    assert waits == [RETRY_BASE_S, 2 * RETRY_BASE_S, 4 * RETRY_BASE_S, 120.0, 120.0]
    assert polls[3] is not None and len(polls[3].created) == 2
    assert polls[4] is not None and polls[4].created == []
    assert backoff_s(30, 120) == 3600.0
    with pytest.raises(Open311Error):
        platform.lists[:] = [(500, b"")]
        await run_poller(db, dispatcher, asyncio.Event(), once=True, sleep=sleep)


@pytest.mark.asyncio
async def test_open311_settings_are_checked(services: Services) -> None:
    with pytest.raises(ValidationError):
        await services.settings.set(ADMIN, "open311.base_url", "ftp://stadt.example/open311")
    with pytest.raises(ValidationError):
        await services.settings.set(ADMIN, "open311.category_map", '{"006": "gehweg"}')
    with pytest.raises(ValidationError):
        await services.settings.set(ADMIN, "open311.category_map", "[1, 2]")
    with pytest.raises(ValidationError):
        await services.settings.set(ADMIN, "open311.status_path", "/requests.json")
    await services.settings.set(ADMIN, "open311.category_map", {"006": "public_order"})
    assert await services.settings.get("open311.category_map") == {"006": "public_order"}


def test_kod_admin_open311_poll_once(db_target: DatabaseTarget, platform: Platform) -> None:
    url = _url(db_target)
    off = run_admin("open311", "poll", "--once", database=url)
    assert off.returncode != 0
    assert "open311.base_url" in off.stderr
    assert (
        run_admin("settings", "set", "open311.base_url", platform.base, database=url).returncode
        == 0
    )
    platform.serve_file("spec_requests.json")

    first = run_admin("open311", "poll", "--once", database=url)
    second = run_admin("open311", "poll", "--once", database=url)

    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("2 neue Meldungen")
    assert second.stdout.startswith("0 neue Meldungen (-), 2 bereits bekannt")
    platform.lists[:] = [(500, b"Interner Fehler")]
    failed = run_admin("open311", "poll", "--once", database=url)
    assert failed.returncode != 0
    assert "500" in failed.stderr


@pytest.mark.asyncio
async def test_field_api_runs_the_intake(
    db: Database,
    services: Services,
    dispatcher: Actor,
    platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _configure(services, platform)
    platform.serve_file("spec_requests.json")
    if not db.target.is_sqlite:
        # On PostgreSQL the intake logs in as itself, with a dispatcher's rights.
        own = db.target.with_login("disponent1", "geheim123")
        monkeypatch.setenv(ENV_DATABASE_URL, _url(own))

    async with api_client(db.target, open311=True):
        for _ in range(600):
            if len(await _open311_reports(db)) == 2 and len(platform.list_queries) >= 1:
                break
            await asyncio.sleep(0.05)

    assert [r.external_id for r in await _open311_reports(db)] == ["638349", "LEV-2026-0815"]
    assert len(platform.list_queries) == 1  # the next poll waits for the interval
