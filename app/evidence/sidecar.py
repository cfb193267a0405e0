"""The details of a recording: from the camera's sidecar file and from the person importing.

A docking station may write a JSON file beside each video, with the same name and ``.json``
(``BC017_0815.mp4`` → ``BC017_0815.json``)::

    {"officer": "m.mueller", "device": "BC-017", "unit": "KOD 12",
     "started_at": "2026-12-06T10:15:00+01:00", "ended_at": "2026-12-06T10:17:30+01:00",
     "location": {"lat": 51.03, "lon": 6.98, "text": "Hauptstraße 1"},
     "reason": "Bedrohung mit einem Messer", "announced": true,
     "inside_home": false, "ordered_by": null}

Every field is optional there; what is missing comes from the import dialog (values given
there win). Times need a time zone; a malformed file is refused with a German message and
stays where it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from app.platform.errors import ValidationError
from app.platform.i18n import tr


@dataclass(frozen=True)
class RecordingDetails:
    """What is known about a recording besides the video itself (None: not given)."""

    officer: str | None = None  # username of the recording officer
    device: str | None = None
    unit: str | None = None  # call sign
    started_at: datetime | None = None
    ended_at: datetime | None = None
    lat: float | None = None
    lon: float | None = None
    location: str | None = None
    reason: str | None = None  # the concrete danger (§ 15c PolG NRW)
    announced: bool | None = None
    inside_home: bool | None = None
    ordered_by: str | None = None  # who ordered a recording inside a home

    def merged(self, given: RecordingDetails | None) -> RecordingDetails:
        """These details with every value ``given`` sets taking precedence."""
        if given is None:
            return self
        changes = {f.name: getattr(given, f.name) for f in fields(given)}
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def gaps_from(self, fill: RecordingDetails) -> RecordingDetails:
        """The values of ``fill`` for exactly the fields these details lack.

        Passed as ``given`` to the import, what the camera wrote stays and the person's entries
        complete it (the import dialog's fields apply to a whole batch of files).
        """
        return RecordingDetails(
            **{f.name: getattr(fill, f.name) for f in fields(fill) if getattr(self, f.name) is None}
        )


def sidecar_path(video: Path) -> Path:
    """Where the sidecar of ``video`` would be."""
    return video.with_suffix(".json")


def read_sidecar(video: Path) -> RecordingDetails:
    """The sidecar's details (empty details if there is none)."""
    path = sidecar_path(video)
    if not path.is_file():
        return RecordingDetails()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _bad(path, tr("evidence", "it is not valid JSON")) from exc
    if not isinstance(data, dict):
        raise _bad(path, tr("evidence", "it is not valid JSON"))
    location = data.get("location") or {}
    if not isinstance(location, dict):
        raise _bad(path, tr("evidence", "'location' must be an object"))
    return RecordingDetails(
        officer=_text(path, data, "officer"),
        device=_text(path, data, "device"),
        unit=_text(path, data, "unit"),
        started_at=_moment(path, data, "started_at"),
        ended_at=_moment(path, data, "ended_at"),
        lat=_number(path, location, "lat", 90.0),
        lon=_number(path, location, "lon", 180.0),
        location=_text(path, location, "text"),
        reason=_text(path, data, "reason"),
        announced=_flag(path, data, "announced"),
        inside_home=_flag(path, data, "inside_home"),
        ordered_by=_text(path, data, "ordered_by"),
    )


def _bad(path: Path, why: str, field: str | None = None) -> ValidationError:
    return ValidationError(
        tr(
            "evidence",
            "The metadata file %1 cannot be used: %2. Correct it or enter the details in the "
            "import dialog; the video stays in the import folder.",
            path.name,
            why,
        ),
        field,
    )


def _text(path: Path, data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(path, tr("evidence", "'%1' must be text", key), key)
    return value.strip() or None


def _flag(path: Path, data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise _bad(path, tr("evidence", "'%1' must be true or false", key), key)
    return value


def _number(path: Path, data: dict[str, Any], key: str, limit: float) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > limit:
        raise _bad(path, tr("evidence", "'%1' must be a coordinate", key), key)
    return float(value)


def _moment(path: Path, data: dict[str, Any], key: str) -> datetime | None:
    raw = _text(path, data, key)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise _bad(
            path,
            tr("evidence", "'%1' must be a date and time with time zone (ISO 8601)", key),
            key,
        )
    return value
