"""Open311 GeoReport v2 intake against a local platform serving recorded answers.

The answers in tests/open311/ (sources in its README) are the GeoReport v2 specification's
example of ``GET requests.json`` plus a request of our own, answers of two real platforms as
they document them (FixMyStreet's XML, Mark-a-Spot's JSON with its quirks), the spec's errors
array, and malformed ones. A small HTTP server in a thread plays the city's platform: it
serves those files, photos made with Pillow, answers 500 or non-JSON when told, and records
every status update posted to it (tests/open311_platform.py, with the configured intake).
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.errors import ValidationError
from app.platform.uow import Actor
from app.services import Services
from app.services.open311 import PollResult
from app.services.open311_client import Open311Error
from app.services.open311_loop import ENV_DATABASE_URL, RETRY_BASE_S, backoff_s, run_poller
from tests.conftest import ADMIN, service_actions
from tests.field_setup import api_client
from tests.open311_platform import Intake, Platform, listing
from tests.test_cli import _url, run_admin
from tests.ui.waiting import wait_until

#: When our own request in spec_requests.json was made.
_REQUESTED = {"requested_datetime": "2026-12-01T09:15:00+01:00"}


def _waste_there(status: str, notes: str, updated: str, **more: str) -> list[tuple[int, bytes]]:
    """The platform's list after a change there of our request LEV-2026-0815 (Wilder Müll)."""
    entry = {"service_request_id": "LEV-2026-0815", "status": status, "status_notes": notes}
    return listing({**entry, "updated_datetime": updated, **more})


@pytest.mark.asyncio
async def test_requests_become_meldungen_once_also_after_a_restart(
    intake: Intake, db: Database, platform: Platform
) -> None:
    first = await intake.poll("spec_requests.json")

    # The closed example request is not taken in; the two open ones are.
    assert len(first.created) == 2
    assert first.photos == 1
    reports = await intake.reports()
    assert [r.external_id for r in reports] == ["638349", "LEV-2026-0815"]
    sidewalk, waste = reports
    assert sidewalk.category == "other"  # service code 006 is not mapped
    assert waste.category == "waste"
    assert waste.subject == "Wilder Müll"
    assert waste.text == "Sperrmüll am Straßenrand seit einer Woche."
    assert waste.address == "Wiesdorfer Platz 1, 51373 Leverkusen"
    assert waste.external_url == f"{platform.base}/requests/LEV-2026-0815.json"
    assert sidewalk.received_at.isoformat() == "2010-04-19T14:37:38+00:00"
    assert [p.width for p in await intake.photos(sidewalk.id)] == [64]
    assert await intake.photos(waste.id) == []
    assert "report.create" in service_actions(db, "report")
    assert "report.open311" in service_actions(db, "report")
    query = platform.list_queries[0]
    assert query["jurisdiction_id"] == ["leverkusen.de"]
    assert "start_date" in query and "updated_after" not in query

    second = await intake.poll()
    assert second.created == []
    assert second.known == 2
    assert second.updated == []
    # The cursor is the last change taken in (a minute back: updated_after is strict).
    assert platform.list_queries[1]["updated_after"] == ["2026-12-01T08:59:00+00:00"]

    restarted = Database(db.target, "zweiter-start")
    try:
        third = await intake.poll(db=restarted)
    finally:
        await restarted.dispose()
    assert third.created == []
    assert platform.list_queries[2]["updated_after"] == ["2026-12-01T08:59:00+00:00"]
    assert len(await intake.reports()) == 2


@pytest.mark.asyncio
async def test_malformed_answers_skip_entries_and_photos(intake: Intake) -> None:
    result = await intake.poll("malformed_requests.json")

    assert len(result.created) == 1
    assert len(result.skipped) == 8
    assert result.photos == 0  # the "photo" is a PDF
    (report,) = await intake.reports()
    assert (report.external_id, report.category) == ("LEV-OK-1", "noise")


@pytest.mark.asyncio
async def test_closed_meldung_is_reported_back_once(
    intake: Intake, db: Database, platform: Platform
) -> None:
    await intake.poll("spec_requests.json")
    waste = await intake.report("LEV-2026-0815")
    await intake.set_status(waste.id, "closed")

    # The platform fails three times: the Meldung stays closed, the update waits.
    platform.post_failures = 3
    failed = await intake.poll()
    assert failed.failed == ["LEV-2026-0815"] and failed.posted == []
    assert platform.posts == []
    assert (await intake.info(waste.id)).status == "closed"

    sent = await intake.poll()
    assert sent.posted == ["LEV-2026-0815"]
    again = await intake.poll()
    assert again.posted == []

    assert len(platform.posts) == 1
    path, form = platform.posts[0]
    assert path == "/georeport/v2/requests/LEV-2026-0815.json"
    assert form["status"] == ["closed"]
    assert form["jurisdiction_id"] == ["leverkusen.de"]
    assert "report.open311_status" in service_actions(db, "report")


@pytest.mark.asyncio
async def test_polling_backs_off_after_errors(
    intake: Intake, db: Database, dispatcher: Actor, platform: Platform
) -> None:
    await intake.setting("interval_s", 120)
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
    platform.lists[:] = _waste_there(
        "closed", "Erledigt durch die Stadtreinigung.", "2026-12-02T10:00:00+01:00"
    )
    third = run_admin("open311", "poll", "--once", database=url)
    assert third.returncode == 0, third.stderr
    assert "1 auf der Plattform geändert; dort erledigt, hier noch offen: M-" in third.stdout
    platform.lists[:] = [(500, b"Interner Fehler")]
    failed = run_admin("open311", "poll", "--once", database=url)
    assert failed.returncode != 0
    assert "500" in failed.stderr


@pytest.mark.asyncio
async def test_field_api_runs_the_intake(
    intake: Intake, db: Database, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform.serve_file("spec_requests.json")
    if not db.target.is_sqlite:
        # On PostgreSQL the intake logs in as itself, with a dispatcher's rights.
        own = db.target.with_login("disponent1", "geheim123")
        monkeypatch.setenv(ENV_DATABASE_URL, _url(own))

    async def taken_in() -> bool:
        return len(await intake.reports()) == 2 and len(platform.list_queries) >= 1

    async with api_client(db.target, open311=True):
        await wait_until(taken_in, timeout=30)

    assert [r.external_id for r in await intake.reports()] == ["638349", "LEV-2026-0815"]
    assert len(platform.list_queries) == 1  # the next poll waits for the interval


@pytest.mark.asyncio
async def test_of_two_api_processes_only_one_polls(
    intake: Intake,
    db: Database,
    platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Several API processes on the shared PostgreSQL (``--workers``, or one per server): only
    the one holding the intake's advisory lock asks the platform."""
    if db.target.is_sqlite:
        pytest.skip("on a SQLite file the API runs as one process (--workers needs PostgreSQL)")
    platform.serve_file("spec_requests.json")
    monkeypatch.setenv(ENV_DATABASE_URL, _url(db.target.with_login("disponent1", "geheim123")))

    async def taken_in() -> bool:
        return len(await intake.reports()) == 2

    caplog.set_level(logging.INFO, "fieldapi.open311_task")
    async with api_client(db.target, open311=True), api_client(db.target, open311=True):
        await wait_until(taken_in, timeout=30)
        # The other process has asked for the intake and was told to wait.
        await wait_until(lambda: "another process of the field API polls" in caplog.text, 30)

    assert len(platform.list_queries) == 1
