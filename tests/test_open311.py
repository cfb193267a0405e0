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
from collections.abc import Iterator

import pytest
import pytest_asyncio

from app.domain.open311 import PlatformErrors, parse_requests
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
from tests.open311_platform import DATA, Intake, Platform, listing, running_platform
from tests.test_cli import _url, run_admin
from tests.ui.waiting import wait_until


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
    intake: Intake, db: Database, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several API processes on the shared PostgreSQL (``--workers``, or one per server): only
    the one holding the intake's advisory lock asks the platform."""
    if db.target.is_sqlite:
        pytest.skip("on a SQLite file the API runs as one process (--workers needs PostgreSQL)")
    platform.serve_file("spec_requests.json")
    monkeypatch.setenv(ENV_DATABASE_URL, _url(db.target.with_login("disponent1", "geheim123")))

    async def taken_in() -> bool:
        return len(await intake.reports()) == 2

    async with api_client(db.target, open311=True), api_client(db.target, open311=True):
        await wait_until(taken_in, timeout=30)
        await asyncio.sleep(1.5)

    assert len(platform.list_queries) == 1


# --- answers of real platforms --------------------------------------------------------------


@pytest.mark.asyncio
async def test_fixmystreet_xml_is_taken_in_when_the_format_is_xml(
    intake: Intake, platform: Platform
) -> None:
    await intake.setting("format", "xml")

    result = await intake.poll("fixmystreet_requests.xml")

    # The two open requests (one in FixMyStreet's state "investigating"), not the fixed one.
    assert len(result.created) == 2 and result.photos == 1
    documented = await intake.report("1")
    assert documented.subject == "Annet"
    assert documented.external_url == f"{platform.base}/requests/1.xml"
    playground = await intake.report("2")
    assert playground.external_status == "open"
    assert [p.width for p in await intake.photos(playground.id)] == [64]


@pytest.mark.asyncio
async def test_markaspot_answer_with_photo_list_and_old_field_names(intake: Intake) -> None:
    result = await intake.poll("markaspot_requests.json")

    assert len(result.created) == 2
    # The entry of the older module ("sevicerequest_id") has no id: left out with a reason.
    assert len(result.skipped) == 1 and "service_request_id" in result.skipped[0]
    waste = await intake.report("4711-2026")
    assert waste.address == "51373 Leverkusen, Friedrich-Ebert-Platz 3"
    assert len(await intake.photos(waste.id)) == 2  # media_url is a list
    noise = await intake.report("4712-2026")
    assert noise.external_note == "Ihr Anliegen wurde an die zuständige Stelle weitergeleitet."
    assert noise.external_updated_at is not None
    assert noise.external_updated_at.isoformat() == "2026-12-04T06:10:00.512000+00:00"


@pytest.mark.asyncio
async def test_errors_array_and_malformed_xml_are_clear_errors(
    intake: Intake, platform: Platform
) -> None:
    platform.serve_file("errors.json", status=403)
    with pytest.raises(Open311Error, match=r"403.*Invalid api_key"):
        await intake.poll()
    # The same errors array with HTTP 200 (some platforms do that) is no empty list either.
    platform.serve_only("errors.json")
    with pytest.raises(Open311Error, match="Invalid api_key"):
        await intake.poll()
    for name in ("malformed.xml", "truncated.xml"):
        platform.serve_only(name)
        with pytest.raises(Open311Error, match="kein gültiges XML"):
            await intake.poll()
    with pytest.raises(PlatformErrors):
        parse_requests((DATA / "errors.json").read_bytes())
    assert await intake.reports() == []


# --- changes on the platform and statuses back ----------------------------------------------


@pytest.mark.asyncio
async def test_request_closed_on_the_platform_marks_the_open_meldung(
    intake: Intake, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await intake.setting("report_progress", False)
    await intake.poll("markaspot_requests.json")
    waste = await intake.report("4711-2026")
    # The dispatcher works on the Meldung meanwhile.
    mine = await services.reports.update(
        dispatcher, waste.id, waste.version, {"subject": "Müllsäcke am Glascontainer"}
    )

    platform.serve_only("markaspot_update.json")
    later = await intake.poll()

    assert platform.list_queries[1]["updated_after"] == ["2026-12-04T06:09:00+00:00"]
    assert sorted(later.updated) == ["4711-2026", "4712-2026"]
    assert later.closed_there == [waste.number]
    info = await intake.info(waste.id)
    # Not closed silently, the dispatcher's work kept, no new version for an open dialog.
    assert info.status == "new"
    assert info.subject == "Müllsäcke am Glascontainer"
    assert info.version == mine.version
    assert info.external_status == "closed"
    assert info.external_note == "Erledigt durch die Stadtreinigung (AVEA), Müll abgeholt."
    assert info.external_updated_at is not None
    assert info.external_updated_at.isoformat() == "2026-12-04T10:30:12+00:00"
    assert info.platform_mark == "closed_there"
    noise = await intake.info((await intake.report("4712-2026")).id)
    assert noise.external_note == "Der Kommunale Ordnungsdienst wurde informiert."
    assert noise.platform_mark is None
    updates = intake.audit("report.open311_update")
    assert [(u["request"], u["from"], u["to"]) for u in updates] == [
        ("4711-2026", "open", "closed"),
        ("4712-2026", "open", "open"),
    ]
    assert platform.posts == []  # nothing goes back: the platform closed it itself

    # The same answer again: no second history entry.
    again = await intake.poll()
    assert again.updated == [] and again.closed_there == []
    assert len(intake.audit("report.open311_update")) == 2

    # The dispatcher checks and closes it: the mark goes, and no "closed" is posted back.
    await intake.set_status(waste.id, "closed")
    await intake.poll()
    assert platform.posts == []
    assert (await intake.info(waste.id)).platform_mark is None


@pytest.mark.asyncio
async def test_an_old_list_entry_does_not_undo_a_newer_state(
    intake: Intake, platform: Platform
) -> None:
    platform.serve_file("markaspot_requests.json")
    platform.serve_file("markaspot_update.json")
    platform.serve_file("markaspot_requests.json")  # a cache of the platform answers late
    for _ in range(3):
        await intake.poll()
    waste = await intake.report("4711-2026")
    assert waste.external_status == "closed"
    assert waste.external_updated_at is not None
    assert waste.external_updated_at.isoformat() == "2026-12-04T10:30:12+00:00"


@pytest.mark.asyncio
async def test_taken_up_and_closed_are_reported_once_each(
    intake: Intake, platform: Platform
) -> None:
    await intake.poll("spec_requests.json")
    waste = await intake.report("LEV-2026-0815")

    await intake.set_status(waste.id, "in_progress")
    taken = await intake.poll()
    await intake.poll()

    assert taken.posted == ["LEV-2026-0815"]
    assert len(platform.posts) == 1
    _path, form = platform.posts[0]
    assert form["status"] == ["open"]
    assert "in Bearbeitung" in form["status_notes"][0] and waste.number in form["status_notes"][0]

    await intake.set_status(waste.id, "closed")
    closed = await intake.poll()
    assert closed.posted == ["LEV-2026-0815"]
    assert [f["status"] for _p, f in platform.posts] == [["open"], ["closed"]]

    # The platform lists our own status and note back: no news, nothing posted again.
    our_note = platform.posts[1][1]["status_notes"][0]
    platform.lists[:] = _waste_there(
        "closed", our_note, "2026-12-06T15:00:00+01:00", service_code="waste", **_REQUESTED
    )
    quiet = await intake.poll()
    assert quiet.updated == [] and quiet.posted == []
    assert len(platform.posts) == 2
    assert intake.audit("report.open311_update") == []
    statuses = intake.audit("report.open311_status")
    assert [(s["status"], s["reported"]) for s in statuses] == [
        ("open", "in_progress"),
        ("closed", "closed"),
    ]


@pytest.mark.asyncio
async def test_nothing_is_reported_to_a_request_the_platform_closed_meanwhile(
    intake: Intake, platform: Platform
) -> None:
    await intake.poll("markaspot_requests.json")
    waste = await intake.report("4711-2026")
    # Taken up here while another department closes it there: the poll sees both.
    await intake.set_status(waste.id, "in_progress")
    platform.serve_only("markaspot_update.json")

    result = await intake.poll()
    await intake.poll()

    assert result.closed_there == [waste.number] and result.posted == []
    assert platform.posts == []
    info = await intake.info(waste.id)
    assert (info.status, info.platform_mark) == ("in_progress", "closed_there")


@pytest.mark.asyncio
async def test_reopened_on_the_platform_after_our_closing_is_marked_not_fought(
    intake: Intake, platform: Platform
) -> None:
    await intake.poll("spec_requests.json")
    waste = await intake.report("LEV-2026-0815")
    await intake.set_status(waste.id, "closed")
    await intake.poll()
    assert len(platform.posts) == 1

    citizen = "Bürger: Der Müll liegt immer noch da."
    platform.lists[:] = _waste_there("open", citizen, "2026-12-07T08:00:00+01:00", **_REQUESTED)
    await intake.poll()
    await intake.poll()

    info = await intake.info(waste.id)
    assert info.status == "closed"
    assert info.platform_mark == "reopened_there"
    assert len(platform.posts) == 1  # not closed again behind the citizen's back

    # The dispatcher takes it up again and closes it: both are reported afresh.
    await intake.set_status(waste.id, "in_progress")
    assert (await intake.info(waste.id)).platform_mark is None
    await intake.poll()
    await intake.set_status(waste.id, "closed")
    await intake.poll()
    await intake.poll()
    assert [f["status"] for _p, f in platform.posts] == [["closed"], ["open"], ["closed"]]


@pytest.mark.asyncio
async def test_closed_on_the_platform_reaches_the_incident_made_from_it(
    intake: Intake, services: Services, dispatcher: Actor, platform: Platform
) -> None:
    await intake.setting("report_progress", False)
    await intake.poll("markaspot_requests.json")
    waste = await intake.report("4711-2026")
    converted = await services.reports.convert_to_incident(dispatcher, waste.id, None)
    assert converted.incident_id is not None

    platform.serve_only("markaspot_update.json")
    await intake.poll()

    info = await intake.info(waste.id)
    assert info.status == "converted" and info.platform_mark == "closed_there"
    incident = await services.incidents.get(dispatcher, converted.incident_id)
    assert any(
        "auf der Open311-Plattform erledigt" in line.text and "AVEA" in line.text
        for line in incident.journal
    )


@pytest.mark.asyncio
async def test_media_url_to_an_internal_address_is_not_fetched(
    intake: Intake, platform: Platform
) -> None:
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
        platform.lists[:] = listing(entry)
        result = await intake.poll()
    assert len(result.created) == 1
    # The platform's own photo is taken; nothing else on this machine or its network is asked.
    assert internal.gets == []
    stored = await intake.report("666-2026")
    assert len(await intake.photos(stored.id)) == 1
