"""Open311 GeoReport v2 intake against a local platform serving recorded answers.

The answers in tests/open311/ (sources in its README) are the GeoReport v2 specification's
example of ``GET requests.json`` plus a request of our own, answers of two real platforms as
they document them (FixMyStreet's XML, Mark-a-Spot's JSON with its quirks), the spec's errors
array, and malformed ones. A small HTTP server in a thread plays the city's platform: it
serves those files, photos made with Pillow, answers 500 or non-JSON when told, and records
every status update posted to it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text

from app.domain.open311 import PlatformErrors, parse_requests
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
from tests.open311_platform import DATA, Platform, running_platform
from tests.test_cli import _url, run_admin
from tests.ui.waiting import wait_until

CATEGORIES = {"waste": "waste", "noise": "noise"}


@pytest.fixture
def platform() -> Iterator[Platform]:
    with running_platform() as state:
        yield state


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
    assert second.updated == []
    # The cursor is the last change taken in (a minute back: updated_after is strict).
    assert platform.list_queries[1]["updated_after"] == ["2026-12-01T08:59:00+00:00"]

    restarted = Database(db.target, "zweiter-start")
    try:
        third = await _poll(restarted, dispatcher)
    finally:
        await restarted.dispose()
    assert third.created == []
    assert platform.list_queries[2]["updated_after"] == ["2026-12-01T08:59:00+00:00"]
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
    closed_there = json.dumps(
        [
            {
                "service_request_id": "LEV-2026-0815",
                "status": "closed",
                "status_notes": "Erledigt durch die Stadtreinigung.",
                "updated_datetime": "2026-12-02T10:00:00+01:00",
            }
        ]
    )
    platform.lists[:] = [(200, closed_there.encode())]
    third = run_admin("open311", "poll", "--once", database=url)
    assert third.returncode == 0, third.stderr
    assert "1 auf der Plattform geändert; dort erledigt, hier noch offen: M-" in third.stdout
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

    async def taken_in() -> bool:
        return len(await _open311_reports(db)) == 2 and len(platform.list_queries) >= 1

    async with api_client(db.target, open311=True):
        await wait_until(taken_in, timeout=30)

    assert [r.external_id for r in await _open311_reports(db)] == ["638349", "LEV-2026-0815"]
    assert len(platform.list_queries) == 1  # the next poll waits for the interval


# --- answers of real platforms --------------------------------------------------------------


async def _by_request(db: Database, request_id: str) -> Report:
    (report,) = [r for r in await _open311_reports(db) if r.external_id == request_id]
    return report


def _audit_details(db: Database, action: str) -> list[dict[str, Any]]:
    engine = db.sync_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("select details from audit_log where action = :a order by id"), {"a": action}
            ).scalars()
            return [json.loads(r) if isinstance(r, str) else r for r in rows]
    finally:
        engine.dispose()


def test_fixmystreet_documented_xml_answer_parses() -> None:
    text = (DATA / "fixmystreet_requests.xml").read_text(encoding="utf-8")
    base = "https://www.fixmystreet.example/open311/v2"

    requests, skipped = parse_requests(text.replace("{base}", base).encode())

    assert skipped == []
    documented, playground, fixed = requests
    assert documented.service_request_id == "1"
    assert documented.status == "open"
    assert documented.description.startswith("Mangler brustein: Det støver")
    assert documented.requested_datetime is not None
    assert documented.requested_datetime.isoformat() == "2011-04-23T07:32:36+00:00"
    assert (documented.lat, documented.lon) == (59.916848, 10.728148)
    assert documented.address == "" and documented.media_urls == ()
    # FixMyStreet's additional states: "investigating" is open, "fixed" is closed.
    assert playground.status == "open"
    assert playground.media_urls == (f"{base}/media/fms-2.jpeg",)
    assert fixed.status == "closed"


@pytest.mark.asyncio
async def test_fixmystreet_xml_is_taken_in_when_the_format_is_xml(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    await services.settings.set(ADMIN, "open311.format", "xml")
    platform.serve_file("fixmystreet_requests.xml")

    result = await _poll(db, dispatcher)

    # The two open requests (one in FixMyStreet's state "investigating"), not the fixed one.
    assert len(result.created) == 2 and result.photos == 1
    documented = await _by_request(db, "1")
    assert documented.subject == "Annet"
    assert documented.external_url == f"{platform.base}/requests/1.xml"
    playground = await _by_request(db, "2")
    assert playground.external_status == "open"
    assert [p.width for p in await report_photos(db, dispatcher, playground.id)] == [64]


@pytest.mark.asyncio
async def test_markaspot_answer_with_photo_list_and_old_field_names(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    platform.serve_file("markaspot_requests.json")

    result = await _poll(db, dispatcher)

    assert len(result.created) == 2
    # The entry of the older module ("sevicerequest_id") has no id: left out with a reason.
    assert len(result.skipped) == 1 and "service_request_id" in result.skipped[0]
    waste = await _by_request(db, "4711-2026")
    assert waste.address == "51373 Leverkusen, Friedrich-Ebert-Platz 3"
    assert len(await report_photos(db, dispatcher, waste.id)) == 2  # media_url is a list
    noise = await _by_request(db, "4712-2026")
    assert noise.external_note == "Ihr Anliegen wurde an die zuständige Stelle weitergeleitet."
    assert noise.external_updated_at is not None
    assert noise.external_updated_at.isoformat() == "2026-12-04T06:10:00.512000+00:00"


@pytest.mark.asyncio
async def test_errors_array_and_malformed_xml_are_clear_errors(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    platform.lists[:] = []
    platform.serve_file("errors.json", status=403)
    with pytest.raises(Open311Error, match=r"403.*Invalid api_key"):
        await _poll(db, dispatcher)
    # The same errors array with HTTP 200 (some platforms do that) is no empty list either.
    platform.lists[:] = []
    platform.serve_file("errors.json")
    with pytest.raises(Open311Error, match="Invalid api_key"):
        await _poll(db, dispatcher)
    for name in ("malformed.xml", "truncated.xml"):
        platform.lists[:] = []
        platform.serve_file(name)
        with pytest.raises(Open311Error, match="kein gültiges XML"):
            await _poll(db, dispatcher)
    with pytest.raises(PlatformErrors):
        parse_requests((DATA / "errors.json").read_bytes())
    assert await _open311_reports(db) == []


# --- changes on the platform and statuses back ----------------------------------------------


@pytest.mark.asyncio
async def test_request_closed_on_the_platform_marks_the_open_meldung(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    await services.settings.set(ADMIN, "open311.report_progress", False)
    platform.serve_file("markaspot_requests.json")
    await _poll(db, dispatcher)
    waste = await _by_request(db, "4711-2026")
    # The dispatcher works on the Meldung meanwhile.
    mine = await services.reports.update(
        dispatcher, waste.id, waste.version, {"subject": "Müllsäcke am Glascontainer"}
    )

    platform.serve_only("markaspot_update.json")
    later = await _poll(db, dispatcher)

    assert platform.list_queries[1]["updated_after"] == ["2026-12-04T06:09:00+00:00"]
    assert sorted(later.updated) == ["4711-2026", "4712-2026"]
    assert later.closed_there == [waste.number]
    info = await services.reports.get(dispatcher, waste.id)
    # Not closed silently, the dispatcher's work kept, no new version for an open dialog.
    assert info.status == "new"
    assert info.subject == "Müllsäcke am Glascontainer"
    assert info.version == mine.version
    assert info.external_status == "closed"
    assert info.external_note == "Erledigt durch die Stadtreinigung (AVEA), Müll abgeholt."
    assert info.external_updated_at is not None
    assert info.external_updated_at.isoformat() == "2026-12-04T10:30:12+00:00"
    assert info.platform_mark == "closed_there"
    noise = await services.reports.get(dispatcher, (await _by_request(db, "4712-2026")).id)
    assert noise.external_note == "Der Kommunale Ordnungsdienst wurde informiert."
    assert noise.platform_mark is None
    updates = _audit_details(db, "report.open311_update")
    assert [(u["request"], u["from"], u["to"]) for u in updates] == [
        ("4711-2026", "open", "closed"),
        ("4712-2026", "open", "open"),
    ]
    assert platform.posts == []  # nothing goes back: the platform closed it itself

    # The same answer again: no second history entry.
    again = await _poll(db, dispatcher)
    assert again.updated == [] and again.closed_there == []
    assert len(_audit_details(db, "report.open311_update")) == 2

    # The dispatcher checks and closes it: the mark goes, and no "closed" is posted back.
    await services.reports.set_status(dispatcher, waste.id, None, "closed")
    await _poll(db, dispatcher)
    assert platform.posts == []
    assert (await services.reports.get(dispatcher, waste.id)).platform_mark is None


@pytest.mark.asyncio
async def test_an_old_list_entry_does_not_undo_a_newer_state(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    platform.serve_file("markaspot_requests.json")
    platform.serve_file("markaspot_update.json")
    platform.serve_file("markaspot_requests.json")  # a cache of the platform answers late
    for _ in range(3):
        await _poll(db, dispatcher)
    waste = await _by_request(db, "4711-2026")
    assert waste.external_status == "closed"
    assert waste.external_updated_at is not None
    assert waste.external_updated_at.isoformat() == "2026-12-04T10:30:12+00:00"


@pytest.mark.asyncio
async def test_taken_up_and_closed_are_reported_once_each(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    platform.serve_file("spec_requests.json")
    await _poll(db, dispatcher)
    waste = await _by_request(db, "LEV-2026-0815")

    await services.reports.set_status(dispatcher, waste.id, None, "in_progress")
    taken = await _poll(db, dispatcher)
    await _poll(db, dispatcher)

    assert taken.posted == ["LEV-2026-0815"]
    assert len(platform.posts) == 1
    _path, form = platform.posts[0]
    assert form["status"] == ["open"]
    assert "in Bearbeitung" in form["status_notes"][0] and waste.number in form["status_notes"][0]

    await services.reports.set_status(dispatcher, waste.id, None, "closed")
    closed = await _poll(db, dispatcher)
    assert closed.posted == ["LEV-2026-0815"]
    assert [f["status"] for _p, f in platform.posts] == [["open"], ["closed"]]

    # The platform lists our own status and note back: no news, nothing posted again.
    our_note = platform.posts[1][1]["status_notes"][0]
    echo = json.dumps(
        [
            {
                "service_request_id": "LEV-2026-0815",
                "status": "closed",
                "status_notes": our_note,
                "service_code": "waste",
                "requested_datetime": "2026-12-01T09:15:00+01:00",
                "updated_datetime": "2026-12-06T15:00:00+01:00",
            }
        ]
    )
    platform.lists[:] = [(200, echo.encode())]
    quiet = await _poll(db, dispatcher)
    assert quiet.updated == [] and quiet.posted == []
    assert len(platform.posts) == 2
    assert _audit_details(db, "report.open311_update") == []
    statuses = _audit_details(db, "report.open311_status")
    assert [(s["status"], s["reported"]) for s in statuses] == [
        ("open", "in_progress"),
        ("closed", "closed"),
    ]


@pytest.mark.asyncio
async def test_nothing_is_reported_to_a_request_the_platform_closed_meanwhile(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    platform.serve_file("markaspot_requests.json")
    await _poll(db, dispatcher)
    waste = await _by_request(db, "4711-2026")
    # Taken up here while another department closes it there: the poll sees both.
    await services.reports.set_status(dispatcher, waste.id, None, "in_progress")
    platform.serve_only("markaspot_update.json")

    result = await _poll(db, dispatcher)
    await _poll(db, dispatcher)

    assert result.closed_there == [waste.number] and result.posted == []
    assert platform.posts == []
    info = await services.reports.get(dispatcher, waste.id)
    assert (info.status, info.platform_mark) == ("in_progress", "closed_there")


@pytest.mark.asyncio
async def test_reopened_on_the_platform_after_our_closing_is_marked_not_fought(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    platform.serve_file("spec_requests.json")
    await _poll(db, dispatcher)
    waste = await _by_request(db, "LEV-2026-0815")
    await services.reports.set_status(dispatcher, waste.id, None, "closed")
    await _poll(db, dispatcher)
    assert len(platform.posts) == 1

    reopened = json.dumps(
        [
            {
                "service_request_id": "LEV-2026-0815",
                "status": "open",
                "status_notes": "Bürger: Der Müll liegt immer noch da.",
                "requested_datetime": "2026-12-01T09:15:00+01:00",
                "updated_datetime": "2026-12-07T08:00:00+01:00",
            }
        ]
    )
    platform.lists[:] = [(200, reopened.encode())]
    await _poll(db, dispatcher)
    await _poll(db, dispatcher)

    info = await services.reports.get(dispatcher, waste.id)
    assert info.status == "closed"
    assert info.platform_mark == "reopened_there"
    assert len(platform.posts) == 1  # not closed again behind the citizen's back

    # The dispatcher takes it up again and closes it: both are reported afresh.
    await services.reports.set_status(dispatcher, waste.id, None, "in_progress")
    assert (await services.reports.get(dispatcher, waste.id)).platform_mark is None
    await _poll(db, dispatcher)
    await services.reports.set_status(dispatcher, waste.id, None, "closed")
    await _poll(db, dispatcher)
    await _poll(db, dispatcher)
    assert [f["status"] for _p, f in platform.posts] == [["closed"], ["open"], ["closed"]]


@pytest.mark.asyncio
async def test_closed_on_the_platform_reaches_the_incident_made_from_it(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    await services.settings.set(ADMIN, "open311.report_progress", False)
    platform.serve_file("markaspot_requests.json")
    await _poll(db, dispatcher)
    waste = await _by_request(db, "4711-2026")
    converted = await services.reports.convert_to_incident(dispatcher, waste.id, None)
    assert converted.incident_id is not None

    platform.serve_only("markaspot_update.json")
    await _poll(db, dispatcher)

    info = await services.reports.get(dispatcher, waste.id)
    assert info.status == "converted" and info.platform_mark == "closed_there"
    incident = await services.incidents.get(dispatcher, converted.incident_id)
    assert any(
        "auf der Open311-Plattform erledigt" in line.text and "AVEA" in line.text
        for line in incident.journal
    )


@pytest.mark.asyncio
async def test_media_url_to_an_internal_address_is_not_fetched(
    db: Database, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await _configure(services, platform)
    with running_platform() as internal:  # another service on this machine (e.g. an admin port)
        entry = {
            "service_request_id": "666-2026",
            "title": "Müll",
            "requested_datetime": "2026-12-03T08:12:40+01:00",
            "updated_datetime": "2026-12-03T08:12:40+01:00",
            "status": "open",
            "description": "Mehrere Müllsäcke",
            "service_code": "0009",
            "media_url": [
                f"{internal.base}/media/secret.jpg",
                "http://169.254.169.254/latest/meta-data/x.jpg",
                "file:///etc/passwd",
                f"{platform.base}/media/666-1.jpg",
            ],
        }
        platform.lists.append((200, json.dumps([entry]).encode()))
        result = await _poll(db, dispatcher)
    assert len(result.created) == 1
    # The platform's own photo is taken; nothing else on this machine or its network is asked.
    assert internal.gets == []
    stored = await _by_request(db, "666-2026")
    assert len(await report_photos(db, dispatcher, stored.id)) == 1
