"""Open311: changes made on the platform reach the Meldungen (and the incidents made from them),
and our statuses go back to the platform once each, never against a newer state there."""

from __future__ import annotations

import pytest

from app.platform.uow import Actor
from app.services import Services
from tests.open311_platform import Intake, Platform, listing, running_platform

#: When our own request in spec_requests.json was made.
_REQUESTED = {"requested_datetime": "2026-12-01T09:15:00+01:00"}


def _waste_there(status: str, notes: str, updated: str, **more: str) -> list[tuple[int, bytes]]:
    """The platform's list after a change there of our request LEV-2026-0815 (Wilder Müll)."""
    entry = {"service_request_id": "LEV-2026-0815", "status": status, "status_notes": notes}
    return listing({**entry, "updated_datetime": updated, **more})


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
