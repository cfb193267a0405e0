"""Open311 GeoReport v2 answers parsed: the specification's example, real platforms' answers
as they document them (FixMyStreet's XML) and malformed ones (files in tests/open311/, sources
in its README). The intake that polls a platform is tested in tests/test_open311.py.
"""

from __future__ import annotations

import pytest

from app.domain.open311 import parse_requests
from tests.open311_platform import DATA


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
