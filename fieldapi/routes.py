"""The device's HTTP calls. Every call authenticates the device, acts as its officer through
the ordinary services and is audited (see :class:`fieldapi.context.FieldContext`)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Header, Path, Query, Request, UploadFile
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.domain.dto_map import PositionReport
from app.domain.dto_work import ReportDraft
from app.domain.offences.cases import CaseDraft, PersonDraft
from app.domain.offences.limitation import Culpability
from app.platform.changefeed import last_change_id
from app.platform.errors import AuthenticationError
from app.platform.i18n import tr
from app.platform.images import MAX_PHOTO_BYTES, CleanPhoto, clean_photo
from app.services import field_inbox
from app.services.field_gateway import DeviceIdentity
from app.services.field_idempotency import KEY_PATTERN
from app.services.field_intake import report_from_field
from app.services.field_photos import MAX_PHOTOS
from fieldapi import schemas
from fieldapi.context import FieldContext
from fieldapi.errors import ApiError

#: Largest id accepted (a 64-bit database id).
MAX_ID = 2**62
_bearer = HTTPBearer(auto_error=False, description="Das Token des Geräts (kodf_…)")
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": schemas.ErrorOut} for code in (401, 403, 404, 409, 413, 422, 429, 503)
}


def context(request: Request) -> FieldContext:
    """The running API's state."""
    ctx: FieldContext = request.app.state.field
    return ctx


async def device(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> DeviceIdentity:
    """The calling device (Bearer token), within its rate limit."""
    known = getattr(request.state, "identity", None)
    if isinstance(known, DeviceIdentity):  # authenticated already for its Idempotency-Key
        return known
    ctx = context(request)
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError(
            tr("field", "The device token is missing (Authorization: Bearer …).")
        )
    client = request.client.host if request.client else "?"
    identity = await ctx.identify(credentials.credentials, client)
    request.state.identity = identity
    request.state.token = credentials.credentials
    return identity


Device = Annotated[DeviceIdentity, Depends(device)]


def idempotency_key(
    key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            pattern=KEY_PATTERN.pattern,
            description="Ein eigener Schlüssel des Geräts je Schreibvorgang: wird derselbe "
            "Vorgang mit demselben Schlüssel erneut gesendet, kommt die erste Antwort zurück "
            "und nichts wird doppelt gespeichert (14 Tage lang).",
        ),
    ] = "",
) -> None:
    """Documents the header; :mod:`fieldapi.idempotency` honours it before the route runs."""


#: The writing calls a device may send again after a dead spot.
ONCE = [Depends(idempotency_key)]
router = APIRouter(prefix="/v1", responses=ERRORS)


@router.get("/device", response_model=schemas.DeviceOut, summary="Das Gerät und seine Einheit")
async def whoami(request: Request, dev: Device) -> schemas.DeviceOut:
    """Which device, officer and unit this token stands for."""
    return schemas.DeviceOut(
        device_id=dev.device_id,
        label=dev.label,
        officer=dev.actor.username,
        officer_name=dev.actor.display_name,
        unit=dev.call_sign,
    )


@router.post("/device/token", response_model=schemas.TokenOut, summary="Token erneuern")
async def rotate_token(request: Request, dev: Device) -> schemas.TokenOut:
    """A new token for this device (rotation)."""
    return schemas.TokenOut(token=await context(request).gateway.rotate(dev))


@router.post(
    "/status",
    response_model=schemas.UnitOut,
    summary="Status der Einheit setzen",
    dependencies=ONCE,
)
async def set_status(request: Request, dev: Device, body: schemas.StatusIn) -> schemas.UnitOut:
    """BOS status 0–6 of the unit, or ``N`` for the Notruf (alarms every workstation)."""
    services = context(request).services_for(dev)
    unit = await services.units.report_status(dev.actor, dev.unit_id, body.status, body.note)
    return schemas.UnitOut(
        call_sign=unit.call_sign,
        status=unit.status,
        status_changed_at=unit.status_changed_at,
        lat=unit.lat,
        lon=unit.lon,
        position_at=unit.position_at,
        incident_number=unit.incident_number,
    )


@router.post(
    "/positions",
    response_model=schemas.Accepted,
    summary="Positionen melden",
    dependencies=ONCE,
)
async def positions(request: Request, dev: Device, body: schemas.PositionsIn) -> schemas.Accepted:
    """Position fixes of the unit (a batch; the last one is its current position)."""
    services = context(request).services_for(dev)
    reports = [PositionReport(dev.unit_id, p.lat, p.lon) for p in body.positions]
    await services.units.report_positions(dev.actor, reports, source="field")
    return schemas.Accepted(stored=len(reports))


async def _photos(files: list[UploadFile]) -> list[CleanPhoto]:
    if len(files) > MAX_PHOTOS:
        raise ApiError(
            422, "invalid", tr("field", "At most %1 photos per request.", MAX_PHOTOS), "photos"
        )
    cleaned: list[CleanPhoto] = []
    for index, upload in enumerate(files, 1):
        data = await upload.read(MAX_PHOTO_BYTES + 1)
        label = tr("field", "Photo %1", index)
        # Decoding is CPU work: off the event loop.
        cleaned.append(await asyncio.to_thread(clean_photo, data, label))
    return cleaned


@router.post(
    "/reports",
    response_model=schemas.ReportOut,
    status_code=201,
    summary="Meldung mit Fotos",
    dependencies=ONCE,
)
async def create_report(
    request: Request,
    dev: Device,
    subject: Annotated[str, Form(min_length=1, max_length=200)],
    text: Annotated[str, Form(max_length=10_000)] = "",
    category: Annotated[str | None, Form(max_length=64)] = None,
    address: Annotated[str, Form(max_length=255)] = "",
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Form(ge=-180, le=180)] = None,
    photos: Annotated[list[UploadFile], File(description="JPEG, PNG oder WebP")] = [],  # noqa: B006
) -> schemas.ReportOut:
    """A Meldung from the field (source ``field``) with up to six photos."""
    cleaned = await _photos(photos)
    services = context(request).services_for(dev)
    draft = ReportDraft(
        subject=subject, text=text, category=category, address=address, lat=lat, lon=lon
    )
    info = await report_from_field(services.db, dev.actor, draft, cleaned)
    return schemas.ReportOut(
        id=info.id,
        number=info.number,
        received_at=info.received_at,
        source=info.source,
        photos=len(cleaned),
    )


@router.post(
    "/offences",
    response_model=schemas.OffenceOut,
    status_code=201,
    summary="OWi erfassen",
    dependencies=ONCE,
)
async def capture_offence(
    request: Request,
    dev: Device,
    catalogue_entry_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    act_description: Annotated[str, Form(min_length=1, max_length=4000)],
    committed_at: Annotated[datetime, Form()],
    place: Annotated[str, Form(min_length=1, max_length=255)],
    last_name: Annotated[str, Form(min_length=1, max_length=120)],
    address: Annotated[str, Form(min_length=1, max_length=255)],
    culpability: Annotated[Literal["intent", "negligence"], Form()] = "negligence",
    first_name: Annotated[str, Form(max_length=120)] = "",
    birth_date: Annotated[date | None, Form()] = None,
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Form(ge=-180, le=180)] = None,
    incident_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    photos: Annotated[list[UploadFile], File(description="Beweisfotos")] = [],  # noqa: B006
) -> schemas.OffenceOut:
    """An offence case captured by the officer, with evidence photos."""
    if committed_at.tzinfo is None:
        raise ApiError(
            422,
            "invalid",
            tr("field", "The time of the act needs a time zone (e.g. +01:00)."),
            "committed_at",
        )
    cleaned = await _photos(photos)
    services = context(request).services_for(dev)
    draft = CaseDraft(
        catalogue_entry_id=catalogue_entry_id,
        act_description=act_description,
        committed_at=committed_at,
        place=place,
        culpability=Culpability(culpability),
        concerned=PersonDraft(last_name, first_name, birth_date, address),
        lat=lat,
        lon=lon,
        incident_id=incident_id,
    )
    case = await services.offences.capture(dev.actor, draft, cleaned)
    return schemas.OffenceOut(
        id=case.id,
        number=case.number,
        limitation_date=case.limitation_date,
        offence=case.offence,
        photos=len(cleaned),
    )


@router.get(
    "/catalogue", response_model=list[schemas.CatalogueEntryOut], summary="Tatbestände suchen"
)
async def catalogue(
    request: Request, dev: Device, q: Annotated[str, Query(max_length=100)] = ""
) -> list[schemas.CatalogueEntryOut]:
    """Current catalogue entries matching number, words or legal basis."""
    services = context(request).services_for(dev)
    found = await services.catalogue.search(dev.actor, q)
    return [
        schemas.CatalogueEntryOut(
            id=e.id,
            key=e.key,
            catalogue_number=e.catalogue_number,
            description=e.description,
            legal_basis=e.legal_basis,
            amount_min_cents=e.amount_min_cents,
            amount_max_cents=e.amount_max_cents,
            verified=e.verified,
        )
        for e in found[:50]
    ]


@router.get("/inbox", response_model=schemas.InboxOut, summary="Einsätze und Aufträge der Einheit")
async def get_inbox(request: Request, dev: Device) -> schemas.InboxOut:
    """The unit's incident assignment and open Aufträge (also pushed over ``/v1/stream``)."""
    ctx = context(request)
    cursor = await last_change_id(ctx.db)
    items = await field_inbox.inbox(ctx.services_for(dev).db, dev.actor, dev.unit_id, dev.device_id)
    return schemas.InboxOut(
        cursor=cursor,
        items=items,
    )


@router.post(
    "/inbox/{kind}/{item_id}/ack",
    response_model=schemas.AckOut,
    summary="Empfang bestätigen",
    dependencies=ONCE,
)
async def acknowledge(
    request: Request,
    dev: Device,
    kind: Literal["incident", "task"],
    item_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> schemas.AckOut:
    """The device has received this incident or Auftrag (the first acknowledgement counts)."""
    db = context(request).services_for(dev).db
    at = await field_inbox.acknowledge(db, dev.actor, dev.unit_id, dev.device_id, kind, item_id)
    return schemas.AckOut(kind=kind, id=item_id, acknowledged_at=at)
