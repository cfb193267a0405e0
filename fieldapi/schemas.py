"""The API's request and answer bodies (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.services.field_inbox import InboxItem

#: BOS status codes a device may send; ``N`` is the Notruf (emergency key), ``5`` Sprechwunsch,
#: ``0`` priorisierter Sprechwunsch.
StatusCode = Literal["0", "1", "2", "3", "4", "5", "6", "N"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatusIn(_In):
    """A status change of the device's unit."""

    status: StatusCode
    note: str | None = Field(default=None, max_length=500)


class UnitOut(BaseModel):
    """The unit as the control room now sees it."""

    call_sign: str
    status: str
    status_changed_at: datetime
    lat: float | None
    lon: float | None
    position_at: datetime | None
    incident_number: str | None


class PositionIn(_In):
    """One position fix."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    at: datetime | None = None
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)


class PositionsIn(_In):
    """Positions recorded since the last call (oldest first; the last one counts as current)."""

    positions: list[PositionIn] = Field(min_length=1, max_length=100)


class Accepted(BaseModel):
    """How many items were stored."""

    stored: int


class DeviceOut(BaseModel):
    """The calling device, its officer and its unit."""

    device_id: int
    label: str
    officer: str
    officer_name: str
    unit: str


class TokenOut(BaseModel):
    """A new token; the old one works until this one is first used (at most 10 minutes)."""

    token: str


class ReportOut(BaseModel):
    """A Meldung as recorded."""

    id: int
    number: str
    received_at: datetime
    source: str
    photos: int


class OffenceOut(BaseModel):
    """An offence case as recorded."""

    id: int
    number: str
    limitation_date: date
    offence: str
    photos: int


class CatalogueEntryOut(BaseModel):
    """A current catalogue entry (Tatbestand)."""

    id: int
    key: str
    catalogue_number: str | None
    description: str
    legal_basis: str
    amount_min_cents: int | None
    amount_max_cents: int | None
    verified: bool


class InboxOut(BaseModel):
    """The unit's inbox and the change-feed position it reflects."""

    cursor: int
    items: list[InboxItem]


class AckOut(BaseModel):
    """When the item was acknowledged (the first acknowledgement counts)."""

    kind: Literal["incident", "task"]
    id: int
    acknowledged_at: datetime


class ErrorDetail(BaseModel):
    """What went wrong, in German."""

    code: str
    message: str
    field: str | None


class ErrorOut(BaseModel):
    """Every error answer."""

    error: ErrorDetail
