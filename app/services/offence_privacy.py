"""Data protection of offence cases (DSG NRW part 3 / GDPR, see DOMAIN.md).

- Personal data of a closed case is removed ``offences.personal_data_days`` after it closed:
  the person concerned loses name, birth date and address, the act's description becomes the
  catalogue's wording (it may name a licence plate); the case itself stays for the statistics
  (offence, time, place, amount, status).
- Reading a person's data is audited for every role other than the case's own: the clerks who
  process cases and the officer who captured the case read without a record; anyone else (the
  shift lead, for example) leaves one per read, naming the cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.domain.changes import Entity
from app.domain.offences.cases import CLOSED, CaseInfo, PersonDraft
from app.platform.database import Database
from app.platform.permissions import Permission, Role
from app.platform.uow import Actor, unit_of_work
from app.services.settings import read_setting
from db.models import OffenceCase, OffenceCatalogueEntry, OffencePerson

#: Roles that process offence cases: their reads are the purpose, not an access to audit.
CASE_ROLES = frozenset({Role.CLERK})
#: Most cases one run anonymises (the next run takes the rest).
BATCH = 500
#: What is left of a removed name (the case shows when its personal data was removed).
REMOVED_NAME = ""


@dataclass(frozen=True)
class AnonymiseResult:
    """What a run did."""

    anonymised: int
    cutoff: datetime


def maintenance_clerk(workstation: str) -> Actor:
    """Who a SQLite workstation's own anonymisation runs as (named in the audit record)."""
    return Actor(None, f"system:{workstation}"[:64], Role.CLERK, "Wartung")


async def anonymise_closed(db: Database, actor: Actor, dry_run: bool = False) -> AnonymiseResult:
    """Remove the personal data of cases closed longer than the setting allows.

    A job of those who process all cases (reading and writing them: the clerks), not of the
    roles that only capture their own.
    """
    async with unit_of_work(db, actor, Permission.OFFENCE_READ) as w:
        w.require(Permission.OFFENCE_WRITE)
        days = int(await read_setting(w.session, "offences.personal_data_days"))
        cutoff = w.now - timedelta(days=days)
        rows = (
            await w.session.execute(
                select(OffenceCase.id, OffenceCase.number, OffenceCatalogueEntry.description)
                .join(
                    OffenceCatalogueEntry,
                    OffenceCatalogueEntry.id == OffenceCase.catalogue_entry_id,
                )
                .where(
                    OffenceCase.status.in_([s.value for s in CLOSED]),
                    OffenceCase.closed_at < cutoff,
                    OffenceCase.anonymised_at.is_(None),
                )
                .order_by(OffenceCase.id)
                .limit(BATCH)
            )
        ).all()
        if dry_run or not rows:
            return AnonymiseResult(len(rows), cutoff)
        ids = [r.id for r in rows]
        await w.session.execute(
            update(OffencePerson)
            .where(OffencePerson.case_id.in_(ids))
            .values(last_name=REMOVED_NAME, first_name=None, birth_date=None, address=None)
        )
        for case_id, _number, wording in rows:
            await w.session.execute(
                update(OffenceCase)
                .where(OffenceCase.id == case_id)
                .values(act_description=wording, anonymised_at=w.now)
            )
            w.changed(Entity.OFFENCE, case_id, "update")
        await w.audit(
            "offence.anonymise",
            "offence_case",
            None,
            {"cases": [r.number for r in rows], "days": days},
        )
        return AnonymiseResult(len(rows), cutoff)


def own_case(actor: Actor, case: CaseInfo) -> bool:
    """True if reading the case's personal data is ``actor``'s own work (no audit record)."""
    return actor.role in CASE_ROLES or (
        actor.user_id is not None and case.officer_id == actor.user_id
    )


def without_person(case: CaseInfo) -> CaseInfo:
    """The case for a list read by someone else: no personal data (read it in the case)."""
    return replace(case, concerned=PersonDraft("", "", None, ""))


async def audit_person_reads(db: Database, actor: Actor, cases: Sequence[CaseInfo]) -> None:
    """Record that ``actor`` read these cases' personal data, unless it is their own work."""
    read = [c.number for c in cases if not own_case(actor, c) and c.concerned.last_name]
    if not read:
        return
    async with unit_of_work(db, actor, None) as w:
        await w.audit(
            "offence.read_person", "offence_case", None, {"cases": read[:200], "count": len(read)}
        )
