"""Open311 GeoReport v2: service requests of a citizens' platform, read without trusting them.

:func:`parse_requests` turns the platform's ``requests.json`` answer into
:class:`ServiceRequest` values; an entry without an id, with a bad date or bad coordinates is
left out with a German reason, so one broken entry never stops the intake. The checks of the
``open311.*`` settings live here too.
"""

from __future__ import annotations

import json
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
#: Statuses GeoReport v2 knows.
STATUSES = ("open", "closed")


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
    media_url: str | None


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
        status = _text(entry, "status").lower() or "open"
        fields = {k: _text(entry, k) for k in ("service_code", "service_name", "description")}
        address = _text(entry, "address")
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
        media_url=_media_url(entry.get("media_url")),
    )


def parse_requests(body: bytes | str) -> tuple[list[ServiceRequest], list[str]]:
    """The requests of a ``requests.json`` answer and the German reasons of those left out.

    Raises :class:`ValueError` when the answer as a whole is not a JSON list.
    """
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(tr("open311", "The platform's answer is not valid JSON.")) from exc
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
