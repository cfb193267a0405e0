"""Open311 GeoReport v2: service requests of a citizens' platform, read without trusting them.

:func:`parse_requests` turns the platform's ``requests.json`` or ``requests.xml`` answer into
:class:`ServiceRequest` values; an entry without an id, with a bad date or bad coordinates is
left out with a German reason, so one broken entry never stops the intake. Real platforms add
their own ways: FixMyStreet answers ``<requests>`` instead of ``<service_requests>`` and knows
more states than open and closed, Mark-a-Spot sends ``media_url`` as a list; an answer that is
the spec's errors array becomes :class:`PlatformErrors`. The checks of the ``open311.*``
settings live here too.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from app.domain.codes import CATEGORY_BY_CODE
from app.platform.errors import ValidationError
from app.platform.i18n import tr

#: Longest request id kept (``report.external_id``).
MAX_ID = 64
MAX_URL = 500
MAX_NOTE = 1000
#: Photos taken from one request (Mark-a-Spot may list several).
MAX_MEDIA = 5
#: Statuses GeoReport v2 knows.
STATUSES = ("open", "closed")
#: States of platforms beyond the spec that mean the request is done there (FixMyStreet's
#: "additional states"); every other state counts as open.
CLOSED_STATES = frozenset(
    {
        "closed",
        "fixed",
        "duplicate",
        "not_councils_responsibility",
        "no_further_action",
        "internal_referral",
        "unable_to_fix",
        "not_responsible",
        "resolved",
        "done",
    }
)
#: Answer formats the intake can ask for (``open311.format``).
FORMATS = ("json", "xml")


class PlatformErrors(ValueError):
    """The platform answered with GeoReport v2's errors array (German message)."""


@dataclass(frozen=True)
class ServiceRequest:
    """One citizen's request as the platform lists it."""

    service_request_id: str
    status: str
    service_code: str
    service_name: str
    description: str
    requested_datetime: datetime | None
    updated_datetime: datetime | None
    address: str
    lat: float | None
    lon: float | None
    media_urls: tuple[str, ...] = ()
    status_notes: str = ""

    @property
    def media_url(self) -> str | None:
        """The first photo's address, if any."""
        return self.media_urls[0] if self.media_urls else None


def status_kind(value: str) -> str:
    """``open`` or ``closed`` for a platform's state (FixMyStreet's extra states included)."""
    return "closed" if value.strip().lower() in CLOSED_STATES else "open"


def parse_datetime(value: object) -> datetime | None:
    """An ISO 8601 time with offset (W3C format of the spec) as UTC; raises ValueError."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment.astimezone(UTC)


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(key)
    return value.strip()


def _coordinate(value: object, limit: float) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    number = float(value)  # type: ignore[arg-type]
    if not -limit <= number <= limit:
        raise ValueError(value)
    return number


def _media_url(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL:
        return None
    return url


def _media_urls(value: object) -> tuple[str, ...]:
    # The spec has one URL; Mark-a-Spot sends a list, some a list of {"url": …} objects.
    items = value if isinstance(value, list) else [value]
    urls: list[str] = []
    for item in items:
        url = _media_url(item.get("url") if isinstance(item, dict) else item)
        if url and url not in urls:
            urls.append(url)
    return tuple(urls[:MAX_MEDIA])


def parse_request(entry: object) -> ServiceRequest:
    """One entry of ``requests.json``; raises :class:`ValueError` with a German reason."""
    if not isinstance(entry, dict):
        raise ValueError(tr("open311", "The entry is not an object."))
    try:
        request_id = _text(entry, "service_request_id")
    except ValueError:
        request_id = ""
    if not request_id or len(request_id) > MAX_ID:
        raise ValueError(tr("open311", "The entry has no valid service_request_id."))
    try:
        requested = parse_datetime(entry.get("requested_datetime"))
        updated = parse_datetime(entry.get("updated_datetime"))
    except (TypeError, ValueError) as exc:
        raise ValueError(tr("open311", "Request %1 has an invalid date.", request_id)) from exc
    try:
        lat = _coordinate(entry.get("lat"), 90)
        lon = _coordinate(entry.get("long"), 180)
        status = status_kind(_text(entry, "status") or "open")
        fields = {k: _text(entry, k) for k in ("service_code", "service_name", "description")}
        address = _text(entry, "address") or _text(entry, "address_string")
        notes = _text(entry, "status_notes") or _text(entry, "status_note")
    except (TypeError, ValueError) as exc:
        raise ValueError(tr("open311", "Request %1 has invalid fields.", request_id)) from exc
    if (lat is None) != (lon is None):
        lat = lon = None
    return ServiceRequest(
        service_request_id=request_id,
        status=status,
        service_code=fields["service_code"],
        service_name=fields["service_name"],
        description=fields["description"],
        requested_datetime=requested,
        updated_datetime=updated or requested,
        address=address,
        lat=lat,
        lon=lon,
        media_urls=_media_urls(entry.get("media_url")),
        status_notes=notes[:MAX_NOTE],
    )


def _errors(payload: object) -> str | None:
    """The descriptions of GeoReport v2's errors array, or None if ``payload`` is not one."""
    if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
        payload = payload["errors"]
    if not isinstance(payload, list) or not payload:
        return None
    if not all(isinstance(e, dict) and "description" in e and "code" in e for e in payload):
        return None
    return "; ".join(f"{e['code']}: {str(e['description'])[:200]}" for e in payload[:5])


def _xml_value(node: ElementTree.Element) -> object:
    children = list(node)
    if not children:
        return (node.text or "").strip()
    # Nested elements (FixMyStreet's <agency_responsible><recipient>…) as a list of texts,
    # several <media_url> children of Mark-a-Spot as a list of URLs.
    return [(child.text or "").strip() for child in children]


def _xml_payload(body: bytes | str) -> object:
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        # No entity expansion from a remote answer ("billion laughs").
        raise ValueError(tr("open311", "The platform's answer is not valid XML."))
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise ValueError(tr("open311", "The platform's answer is not valid XML.")) from exc
    if root.tag == "errors":
        return [{child.tag: _xml_value(child) for child in error} for error in root]
    if root.tag not in ("service_requests", "requests"):
        raise ValueError(tr("open311", "The platform's answer is not a list of requests."))
    entries: list[object] = []
    for request in root:
        entry: dict[str, object] = {}
        for child in request:
            value = _xml_value(child)
            if child.tag == "media_url" and "media_url" in entry:
                previous = entry["media_url"]
                value = [*(previous if isinstance(previous, list) else [previous]), value]
            entry[child.tag] = value
        entries.append(entry)
    return entries


def parse_requests(body: bytes | str) -> tuple[list[ServiceRequest], list[str]]:
    """The requests of a ``requests.json``/``requests.xml`` answer and the reasons of those left out.

    Raises :class:`PlatformErrors` when the answer is GeoReport v2's errors array and
    :class:`ValueError` when it is not a list of requests at all.
    """
    start = body.lstrip()[:1]
    if start in (b"<", "<"):
        payload = _xml_payload(body)
    else:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(tr("open311", "The platform's answer is not valid JSON.")) from exc
    errors = _errors(payload)
    if errors is not None:
        raise PlatformErrors(tr("open311", "The Open311 platform reports errors: %1", errors))
    if isinstance(payload, dict) and isinstance(payload.get("service_requests"), list):
        payload = payload["service_requests"]  # some platforms wrap the list
    if not isinstance(payload, list):
        raise ValueError(tr("open311", "The platform's answer is not a list of requests."))
    requests: list[ServiceRequest] = []
    skipped: list[str] = []
    for entry in payload:
        try:
            requests.append(parse_request(entry))
        except ValueError as exc:
            skipped.append(str(exc))
    return requests, skipped


def error_text(body: bytes) -> str | None:
    """The errors array of an error answer as text (None if the body is something else)."""
    try:
        text = body.decode("utf-8").strip()
        payload = _xml_payload(text) if text.startswith("<") else json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    return _errors(payload)


def category_for(service_code: str, mapping: dict[str, str]) -> str:
    """The Meldung category of a service code (``other`` when unmapped or unknown)."""
    code = mapping.get(service_code)
    return code if code in CATEGORY_BY_CODE else "other"


def check_base_url(value: object) -> str | None:
    """Why ``value`` cannot be the platform's base URL (German), or None."""
    if value == "":
        return None
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return tr("open311", "The Open311 address must start with http:// or https://.")
    return None


def check_status_path(value: object) -> str | None:
    """Why ``value`` cannot be the path status updates go to (German), or None."""
    if "{id}" not in str(value) or str(value).startswith(("/", "http")):
        return tr(
            "open311",
            "The status path must be relative to the base URL and contain {id}, "
            "e.g. requests/{id}.json.",
        )
    return None


def check_category_map(value: object) -> dict[str, str]:
    """The checked mapping of service codes to categories; raises ValidationError (German)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError(
            tr("open311", 'open311.category_map must be a JSON object {"code": "category"}.'),
            "open311.category_map",
        )
    unknown = sorted(v for v in value.values() if v not in CATEGORY_BY_CODE)
    if unknown:
        raise ValidationError(
            tr("open311", "Unknown categories in open311.category_map: %1", ", ".join(unknown)),
            "open311.category_map",
        )
    return dict(value)
