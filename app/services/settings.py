"""Configurable values stored in the database (shared by all workstations)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.changes import Entity
from app.domain.map_tiles import check_tile_url
from app.domain.open311 import FORMATS, check_base_url, check_category_map, check_status_path
from app.domain.shifts import parse_starts
from app.platform.database import Database
from app.platform.errors import ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, unit_of_work
from db.models import Setting

#: Defaults; every key here can be changed with ``kod-admin settings set``.
DEFAULTS: dict[str, Any] = {
    # "warn": assigning an unavailable unit needs a confirmation; "refuse": it is not possible.
    "dispatch.assign_unavailable": "warn",
    # Seconds an alarmed unit has to confirm (status 3) before the alarm is flagged on screen.
    "dispatch.confirm_timeout_s": 120,
    # Position history kept for dispatch use only; 0 keeps none (staff council agreements).
    "units.position_retention_hours": 24,
    "audit.retention_days": 730,
    "bodycam.retention_days": 14,
    # Offence cases this many days before their limitation date are marked on every list.
    "offences.warn_days": 14,
    # A closed offence case's personal data is removed this many days after it closed (the case
    # stays, without names, for the statistics); time for payment checks and complaints.
    "offences.personal_data_days": 180,
    # Local start times of the Leitstelle's shifts (the Schichtbericht covers one shift).
    "shifts.starts": ["06:00", "14:00", "22:00"],
    "bodycam.pre_recording": False,
    # Letterhead of printed documents and reports; the logo is a PNG, JPEG or SVG file that
    # every workstation can read (empty: no logo).
    "print.city_name": "Stadt Leverkusen",
    "print.office_name": "Kommunaler Ordnungsdienst",
    "print.logo_path": "",
    # Days the person concerned has to reply to a hearing notice (Anhörungsbogen, § 55 OWiG).
    "offences.hearing_reply_days": 14,
    # Map background (see README, "Kartenhintergrund"): an MBTiles file on this workstation
    # (relative paths are in the data folder; set by `kod-admin map import-tiles`), else a
    # tile server's URL template with {z}/{x}/{y}, else a plain background.
    "map.mbtiles_path": "",
    "map.tile_url": "",
    "map.tile_attribution": "",
    # Open311 (GeoReport v2) intake of citizen reports (see README, "Open311"): the platform's
    # base URL (empty: off), seconds between polls, jurisdiction, the path status updates are
    # posted to, and service codes mapped to Meldung categories (unknown codes: "other").
    # The API key is read from the environment (KOD_OPEN311_API_KEY), never stored here.
    "open311.base_url": "",
    "open311.interval_s": 300,
    "open311.jurisdiction_id": "",
    "open311.status_path": "requests/{id}.json",
    "open311.category_map": {},
    # "xml" for platforms that answer requests.xml only (FixMyStreet's server documents XML).
    "open311.format": "json",
    # Also report "open" with a note when a Meldung is taken up (in progress or converted);
    # off for platforms that take only "closed".
    "open311.report_progress": True,
}

_CHOICES: dict[str, tuple[Any, ...]] = {
    "dispatch.assign_unavailable": ("warn", "refuse"),
    "open311.format": FORMATS,
}
#: Lower limits above 0: the audit log must outlive a review of what happened.
_MINIMUM: dict[str, int] = {
    "audit.retention_days": 30,
    "offences.personal_data_days": 30,
    "offences.hearing_reply_days": 7,
    "open311.interval_s": 30,
}
#: Text settings: longest value, and whether it may be empty.
_TEXTS: dict[str, tuple[int, bool]] = {
    "print.city_name": (120, False),
    "print.office_name": (120, True),
    "print.logo_path": (1000, True),
    "map.mbtiles_path": (1000, True),
    "map.tile_url": (1000, True),
    "map.tile_attribution": (500, True),
    "open311.base_url": (1000, True),
    "open311.jurisdiction_id": (200, True),
    "open311.status_path": (200, False),
}
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg")
#: Further checks of text settings: the reason a value is refused (German), or None.
_TEXT_CHECKS: dict[str, Callable[[object], str | None]] = {
    "map.tile_url": check_tile_url,
    "open311.base_url": check_base_url,
    "open311.status_path": check_status_path,
}


async def read_setting(session: AsyncSession, key: str) -> Any:
    """A setting's value inside an open session (default if unset)."""
    row = await session.get(Setting, key)
    return json.loads(row.value) if row is not None else DEFAULTS[key]


class SettingsService:
    """Read and change settings."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> dict[str, Any]:
        """Every setting with its effective value."""
        async with self._db.read() as s:
            stored = {r.key: json.loads(r.value) for r in (await s.scalars(select(Setting))).all()}
        return {k: stored.get(k, v) for k, v in DEFAULTS.items()}

    async def get(self, key: str) -> Any:
        """One setting."""
        self._check_key(key)
        async with self._db.read() as s:
            return await read_setting(s, key)

    async def set(self, actor: Actor, key: str, value: Any) -> None:
        """Change a setting (administration only), audited."""
        self._check_key(key)
        default = DEFAULTS[key]
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ValidationError(tr("settings", "%1 must be true or false.", key), key)
        if (
            isinstance(default, int)
            and not isinstance(default, bool)
            and (not isinstance(value, int) or isinstance(value, bool) or value < 0)
        ):
            raise ValidationError(tr("settings", "%1 must be a whole number ≥ 0.", key), key)
        if key in _MINIMUM and value < _MINIMUM[key]:
            raise ValidationError(
                tr("settings", "%1 must be at least %2.", key, _MINIMUM[key]), key
            )
        if isinstance(default, dict):
            value = check_category_map(value)
        if isinstance(default, list):
            parse_starts(value if isinstance(value, list) else [value])
        if key in _TEXTS:
            value = _check_text(key, value)
            problem = _TEXT_CHECKS[key](value) if key in _TEXT_CHECKS else None
            if problem:
                raise ValidationError(problem, key)
        if key in _CHOICES and value not in _CHOICES[key]:
            raise ValidationError(
                tr("settings", "%1 must be one of: %2", key, ", ".join(map(str, _CHOICES[key]))),
                key,
            )
        async with unit_of_work(self._db, actor, Permission.SETTINGS_MANAGE) as w:
            row = await w.session.get(Setting, key)
            old = json.loads(row.value) if row else default
            if row is None:
                w.session.add(Setting(key=key, value=json.dumps(value), updated_at=w.now))
            else:
                row.value = json.dumps(value)
                row.updated_at = w.now
            await w.audit("setting.change", details={"key": key, "old": old, "new": value})
            if key.startswith("map."):
                # Open maps on every workstation take the new tile source.
                w.changed(Entity.MAP, 0, "tiles")

    @staticmethod
    def _check_key(key: str) -> None:
        if key not in DEFAULTS:
            raise ValidationError(
                tr("settings", "Unknown setting '%1'. Known: %2", key, ", ".join(DEFAULTS)), key
            )


def _check_text(key: str, value: Any) -> str:
    """A text setting, tidied; refused with a German message if it cannot be used."""
    longest, may_be_empty = _TEXTS[key]
    if not isinstance(value, str):
        raise ValidationError(tr("settings", "%1 must be a text.", key), key)
    text: str = value.strip()
    if not text and not may_be_empty:
        raise ValidationError(tr("settings", "%1 must not be empty.", key), key)
    if len(text) > longest or any(ord(ch) < 32 for ch in text):
        raise ValidationError(
            tr("settings", "%1: at most %2 characters on one line.", key, longest), key
        )
    if key == "print.logo_path" and text and not text.lower().endswith(LOGO_SUFFIXES):
        raise ValidationError(
            tr("settings", "The logo must be a PNG, JPEG or SVG file (%1).", text), key
        )
    return text
