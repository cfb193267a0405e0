"""Data protection of offence cases: personal data of long-closed cases removed on schedule,
lists without names for other roles, every other role's read of a person audited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text

from app.domain.offences.cases import CaseDraft, CaseInfo, PersonDraft
from app.domain.offences.limitation import Culpability
from app.platform.database import Database
from app.platform.errors import PermissionDenied
from app.platform.maintenance import retention_loop
from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.services import Services
from app.services.login import Session, log_in
from app.tools.cli import run as kod_admin
from resources.paths import resource_path
from tests.conftest import ADMIN, service_actions

NAMES = {Role.CLERK: "clerk", Role.SHIFT_LEAD: "lead", Role.DISPATCHER: "dispo"}
Login = Callable[[Role], Any]


@pytest_asyncio.fixture
async def person(services: Services) -> AsyncIterator[Login]:
    seed = resource_path("data", "owi-catalogue-seed.csv").read_text(encoding="utf-8")
    await services.catalogue.import_csv(ADMIN, seed)
    sessions: list[Session] = []

    async def make(role: Role) -> Session:
        name = NAMES[role]
        await services.users.add(ADMIN, name, name.title(), role, "geheim123")
        session = await log_in(services.db.target, name, "geheim123", workstation="ws")
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        await session.close()


async def capture(services: Services, clerk: Session, surname: str) -> CaseInfo:
    entry = (await services.catalogue.search(ADMIN, "141312"))[0]
    return await clerk.services.offences.capture(
        clerk.actor,
        CaseDraft(
            entry.id,
            "PKW LEV-AB 123 im Haltverbot",
            utcnow() - timedelta(days=2),
            "Hauptstraße 12",
            Culpability.NEGLIGENCE,
            PersonDraft(surname, "Max", date(1980, 5, 17), "Weg 1, 51373 Leverkusen"),
        ),
    )


def close_days_ago(db: Database, case_id: int, days: int) -> None:
    engine = db.sync_engine()
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE offence_case SET closed_at = :t WHERE id = :i"),
                {"t": utcnow() - timedelta(days=days), "i": case_id},
            )
    finally:
        engine.dispose()


@pytest.mark.asyncio
async def test_personal_data_of_long_closed_cases_is_removed_and_the_case_stays(
    services: Services, person: Login
) -> None:
    clerk = await person(Role.CLERK)
    offences = clerk.services.offences
    old = await capture(services, clerk, "Alt")
    recent = await capture(services, clerk, "Neu")
    running = await capture(services, clerk, "Offen")
    for case in (old, recent):
        await offences.discontinue(clerk.actor, case.id, case.version, "geringfügig")
    close_days_ago(services.db, old.id, 200)
    dry = await offences.anonymise_closed(clerk.actor, dry_run=True)
    assert dry.anonymised == 1
    assert (await offences.case(clerk.actor, old.id)).concerned.last_name == "Alt"
    assert (await offences.anonymise_closed(clerk.actor)).anonymised == 1
    gone = await offences.case(clerk.actor, old.id)
    assert gone.concerned == PersonDraft("", "", None, "")
    assert "LEV-AB" not in gone.act_description and gone.anonymised_at is not None
    assert (gone.offence, gone.fine_cents, gone.place) == (old.offence, 2500, "Hauptstraße 12")
    assert (await offences.case(clerk.actor, recent.id)).concerned.last_name == "Neu"
    assert (await offences.case(clerk.actor, running.id)).concerned.last_name == "Offen"
    assert "offence.anonymise" in service_actions(services.db)
    assert (await offences.anonymise_closed(clerk.actor)).anonymised == 0  # done once
    dispo = await person(Role.DISPATCHER)
    with pytest.raises(PermissionDenied):
        await dispo.services.offences.anonymise_closed(dispo.actor)


@pytest.mark.asyncio
async def test_other_roles_see_lists_without_names_and_each_read_of_a_person_is_audited(
    services: Services, person: Login
) -> None:
    clerk, lead = await person(Role.CLERK), await person(Role.SHIFT_LEAD)
    case = await capture(services, clerk, "Muster")
    assert (await clerk.services.offences.by_days_left(clerk.actor))[0].concerned.last_name
    await clerk.services.offences.case(clerk.actor, case.id)
    assert "offence.read_person" not in service_actions(services.db)  # the clerk's own work
    listed = await lead.services.offences.by_days_left(lead.actor)
    assert [c.concerned.last_name for c in listed] == [""]
    full = await lead.services.offences.case(lead.actor, case.id)
    assert full.concerned.last_name == "Muster"
    assert service_actions(services.db).count("offence.read_person") == 1


@pytest.mark.asyncio
async def test_the_sqlite_workstation_removes_old_personal_data_by_itself(
    services: Services, person: Login
) -> None:
    clerk = await person(Role.CLERK)
    # SQLite: the workstation runs it as itself. PostgreSQL: only under a clerk's login.
    logged_in = None if services.db.target.is_sqlite else clerk.actor
    case = await capture(services, clerk, "Alt")
    await clerk.services.offences.discontinue(clerk.actor, case.id, case.version, "erledigt")
    close_days_ago(services.db, case.id, 400)
    task = asyncio.create_task(retention_loop(services, interval_s=3600, logged_in=logged_in))
    try:
        for _ in range(200):
            if "offence.anonymise" in service_actions(services.db):
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
    assert (await clerk.services.offences.case(clerk.actor, case.id)).anonymised_at is not None


def test_kod_admin_counts_and_removes_old_personal_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'owi.sqlite'}"
    assert kod_admin(["--database", url, "db", "upgrade"]) == 0
    assert kod_admin(["--database", url, "offences", "anonymise", "--dry-run"]) == 0
    assert "0 abgeschlossene Fälle" in capsys.readouterr().out.splitlines()[-1]
