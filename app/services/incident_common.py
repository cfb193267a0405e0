"""What the incident services share: checking input, journal lines, running numbers, labels.

Split from :mod:`app.services.incidents` (which re-exports these names for its consumers) so
that the unit dispatch (:mod:`app.services.unit_dispatch`) and the Meldungen/Aufträge services
use them without importing the whole incident service.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.codes import CATEGORY_BY_CODE, category_label, priority_label
from app.domain.dto import IncidentDraft
from app.platform.errors import ValidationError
from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.i18n import tr
from app.platform.uow import Work
from db.models import JournalEntry

MAX_DESCRIPTION = 10_000


async def journal(
    work: Work,
    incident_id: int,
    kind: str,
    text: str,
    data: str | None = None,
    client_ref: str | None = None,
) -> None:
    """Append a journal line to an incident inside ``work``."""
    work.session.add(
        JournalEntry(
            incident_id=incident_id,
            created_at=work.now,
            user_id=work.actor.user_id,
            kind=kind,
            text=text,
            data=data,
            client_ref=client_ref,
        )
    )


async def next_number(session: AsyncSession, column: Any, prefix: str, year: int) -> str:
    """Next running number like ``E-2026-000042`` (writers are serialised, so no gaps race)."""
    stem = f"{prefix}-{year}-"
    last = await session.scalar(select(func.max(column)).where(column.like(f"{stem}%")))
    seq = int(str(last).rsplit("-", 1)[1]) + 1 if last else 1
    return f"{stem}{seq:06d}"


def validate_coordinates(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise ValidationError(tr("incidents", "Latitude and longitude belong together."), "lat")
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError(tr("incidents", "The coordinates are not valid."), "lat")


def validate_fields(values: dict[str, Any]) -> None:
    if "category" in values and values["category"] not in CATEGORY_BY_CODE:
        raise ValidationError(
            tr("incidents", "Unknown category '%1'.", values["category"]), "category"
        )
    if "priority" in values and values["priority"] not in (1, 2, 3):
        raise ValidationError(tr("incidents", "The priority must be 1, 2 or 3."), "priority")
    if len(values.get("description") or "") > MAX_DESCRIPTION:
        raise ValidationError(
            tr(
                "incidents", "The description is too long (at most %1 characters).", MAX_DESCRIPTION
            ),
            "description",
        )
    if len(values.get("address") or "") > 255:
        raise ValidationError(tr("incidents", "The address is too long."), "address")
    for key in ("caller_name", "caller_phone"):
        if len(values.get(key) or "") > 64 + (56 if key == "caller_name" else 0):
            raise ValidationError(tr("incidents", "The caller details are too long."), key)


def draft_values(draft: IncidentDraft) -> dict[str, Any]:
    """Check a call-taking draft; the column values to store (raises ValidationError).

    Public so that the offline outbox (:mod:`app.services.resilient`) refuses bad input at once,
    exactly as the service would, instead of only at replay.
    """
    values = {
        "category": draft.category,
        "priority": draft.priority
        or CATEGORY_BY_CODE.get(draft.category, CATEGORY_BY_CODE["other"]).default_priority,
        "address": draft.address.strip(),
        "description": draft.description.strip(),
        "caller_name": (draft.caller_name or "").strip() or None,
        "caller_phone": (draft.caller_phone or "").strip() or None,
    }
    validate_fields(values)
    validate_coordinates(draft.lat, draft.lon)
    if not values["address"] and draft.lat is None:
        raise ValidationError(
            tr("incidents", "Enter an address or a position for the incident."), "address"
        )
    validate_client_ref(draft.client_ref)
    return values


def note_text(text: str) -> str:
    """Check a journal note; the text to store (raises ValidationError)."""
    text = text.strip()
    if not text:
        raise ValidationError(tr("incidents", "The note is empty."), "note")
    if len(text) > MAX_DESCRIPTION:
        raise ValidationError(tr("incidents", "The note is too long."), "note")
    return text


def validate_client_ref(client_ref: str | None) -> None:
    if client_ref is not None and not (0 < len(client_ref) <= 36):
        raise ValidationError(tr("incidents", "The client reference is not valid."), "client_ref")


def describe_value(field: str, value: Any) -> str:
    if value is None or value == "":
        return "–"
    if field == "category":
        return category_label(str(value))
    if field == "priority":
        return priority_label(int(value))
    return str(value)


FIELD_LABELS_SOURCE = {
    "category": N_("incident_fields", "Category"),
    "priority": N_("incident_fields", "Priority"),
    "address": N_("incident_fields", "Address"),
    "lat": N_("incident_fields", "Latitude"),
    "lon": N_("incident_fields", "Longitude"),
    "caller_name": N_("incident_fields", "Caller"),
    "caller_phone": N_("incident_fields", "Phone"),
    "description": N_("incident_fields", "Description"),
    "stadtteil": N_("incident_fields", "District"),
}


def field_label(field: str) -> str:
    """Translated label of an incident field."""
    return tr("incident_fields", FIELD_LABELS_SOURCE.get(field, field))
