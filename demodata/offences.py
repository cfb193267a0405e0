"""Demo offence cases: a few hundred across the catalogue, in every workflow state, some close
to their limitation date. Made through the case service (as a clerk would), so every case has
its history, audit records and a computed limitation date."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.domain.offences.cases import CaseDraft, CaseInfo, CaseStatus, PersonDraft
from app.domain.offences.limitation import Culpability
from app.platform.errors import ValidationError
from app.platform.permissions import Role
from app.platform.timeutil import local, utcnow
from app.platform.uow import Actor
from app.services import Services
from db.models import User

#: Share of the cases left in each state (the rest stay "recorded").
STATES: tuple[tuple[CaseStatus, float], ...] = (
    (CaseStatus.CHECKED, 0.2),
    (CaseStatus.CAUTION, 0.15),
    (CaseStatus.PAID, 0.15),
    (CaseStatus.HEARING, 0.1),
    (CaseStatus.HANDED_OVER, 0.05),
    (CaseStatus.DISCONTINUED, 0.05),
)
PLACES = (
    "Hauptstraße",
    "Kölner Straße",
    "Friedrich-Ebert-Platz",
    "Wiesdorfer Platz",
    "Opladener Platz",
    "Bergische Landstraße",
    "Neukronenberger Straße",
    "Rathenaustraße",
)


async def _clerk(services: Services) -> Actor:
    async with services.db.read() as s:
        row = (
            await s.execute(
                select(User.id, User.username, User.display_name)
                .where(User.role_code == Role.CLERK.value, User.active.is_(True))
                .order_by(User.id)
                .limit(1)
            )
        ).one()
    return Actor(row[0], row[1], Role.CLERK, row[2] or row[1])


def _state(rng: random.Random) -> CaseStatus:
    roll, edge = rng.random(), 0.0
    for status, share in STATES:
        edge += share
        if roll < edge:
            return status
    return CaseStatus.OPEN


async def _advance(
    services: Services, actor: Actor, case: CaseInfo, target: CaseStatus, today: date
) -> None:
    offences = services.offences
    if target is CaseStatus.OPEN:
        return
    if target is CaseStatus.DISCONTINUED:
        await offences.discontinue(actor, case.id, case.version, "Geringfügigkeit (Demo)")
        return
    case = await offences.mark_checked(actor, case.id, case.version)
    if target in (CaseStatus.CAUTION, CaseStatus.PAID):
        fee = case.fine_cents if case.fine_cents and case.fine_cents <= 55_00 else 20_00
        await offences.give_caution(
            actor, case.id, case.version, fee, True, target is CaseStatus.PAID
        )
    elif target in (CaseStatus.HEARING, CaseStatus.HANDED_OVER):
        act_day = local(case.committed_at).date()
        sent = act_day + timedelta(days=min(14, max(0, (today - act_day).days)))
        case = await offences.send_hearing(actor, case.id, case.version, min(sent, today))
        if target is CaseStatus.HANDED_OVER:
            await offences.hand_over(actor, case.id, case.version)


async def generate_offence_cases(
    services: Services,
    rng: random.Random,
    count: int,
    first_names: Sequence[str],
    last_names: Sequence[str],
) -> int:
    """Create ``count`` demo cases; returns how many were made."""
    actor = await _clerk(services)
    entries = await services.catalogue.search(actor)
    if not entries:
        return 0
    now = utcnow()
    today = local(now).date()
    made = 0
    for n in range(count):
        entry = rng.choice(entries)
        span = 88 if entry.is_traffic else 175  # inside the shortest period of each kind
        # Every tenth case is close to its limitation date.
        age_days = rng.randint(span - 12, span - 1) if n % 10 == 0 else rng.randint(0, span // 2)
        committed: datetime = now - timedelta(days=age_days, minutes=rng.randint(0, 600))
        street = rng.choice(PLACES)
        draft = CaseDraft(
            catalogue_entry_id=entry.id,
            act_description=entry.description,
            committed_at=committed,
            place=f"{street} {rng.randint(1, 120)}, Leverkusen",
            culpability=Culpability.NEGLIGENCE if rng.random() < 0.8 else Culpability.INTENT,
            concerned=PersonDraft(
                rng.choice(last_names),
                rng.choice(first_names),
                date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)),
                f"{rng.choice(PLACES)} {rng.randint(1, 200)}, 5137{rng.randint(0, 9)} Leverkusen",
            ),
        )
        try:
            case = await services.offences.capture(actor, draft)
        except ValidationError:
            continue  # e.g. an act already time-barred under a short traffic period
        await _advance(services, actor, case, _state(rng), today)
        made += 1
    return made
