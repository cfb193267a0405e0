"""Open311 intake against answers of real platforms as they document them: FixMyStreet's XML,
Mark-a-Spot's JSON with its quirks, the specification's errors array and malformed XML
(tests/open311/, sources in its README)."""

from __future__ import annotations

import pytest

from app.domain.open311 import PlatformErrors, parse_requests
from app.services.open311_client import Open311Error
from tests.open311_platform import DATA, Intake, Platform


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
