"""Offence cases as the clerk processes them: capture with the limitation clock, the status
workflow with its history, the Verwarnung; people log in as themselves on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from app.domain.dto import IncidentDraft
from app.domain.offences.cases import CaseDraft, CaseStatus, PersonDraft
from app.domain.offences.limitation import Culpability, period_end
from app.platform.errors import ConflictError, NotFound, ValidationError
from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.services import Services
from app.services.login import Session, log_in
from resources.paths import resource_path
from tests.conftest import ADMIN, service_actions
from tests.pg_logins import attempt, login

BERLIN = ZoneInfo("Europe/Berlin")
NAMES = {Role.CLERK: "clerk", Role.DISPATCHER: "dispo", Role.FIELD_OFFICER: "streife"}
Login = Callable[[Role], Any]
PERSON = PersonDraft("Muster", "Max", date(1980, 5, 17), "Wiesdorfer Platz 1, 51373 Leverkusen")


@pytest_asyncio.fixture
async def person(services: Services) -> AsyncIterator[Login]:
    await services.catalogue.import_csv(
        ADMIN, resource_path("data", "owi-catalogue-seed.csv").read_text(encoding="utf-8")
    )
    sessions: list[Session] = []

    async def make(role: Role) -> Session:
        name = NAMES[role]
        await services.users.add(ADMIN, name, name.title(), role, "geheim123")
        session = await log_in(services.db.target, name, "geheim123", workstation="ws-owi")
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        await session.close()


async def entry_id(services: Services, query: str) -> int:
    return (await services.catalogue.search(ADMIN, query))[0].id


def draft(entry: int, committed_at: datetime, **changes: Any) -> CaseDraft:
    values: dict[str, Any] = dict(
        catalogue_entry_id=entry,
        act_description="Fahrzeug im absoluten Haltverbot, Kennzeichen LEV-X 1",
        committed_at=committed_at,
        place="Hauptstraße 12, Opladen",
        culpability=Culpability.NEGLIGENCE,
        concerned=PERSON,
    )
    values.update(changes)
    return CaseDraft(**values)


def days_ago(n: int) -> datetime:
    return utcnow() - timedelta(days=n)


@pytest.mark.asyncio
async def test_a_parking_case_runs_out_after_three_months_and_a_hearing_restarts_the_clock(
    services: Services, person: Login
) -> None:
    clerk = await person(Role.CLERK)
    offences = clerk.services.offences
    committed = days_ago(10)
    case = await offences.capture(clerk.actor, draft(await entry_id(services, "141312"), committed))
    assert case.number.startswith("OWi-") and case.status is CaseStatus.OPEN
    act_day = committed.astimezone(BERLIN).date()
    assert case.limitation_date == period_end(act_day, 3)  # three months
    assert "§ 26 Abs. 3 StVG" in case.limitation_basis
    assert case.fine_cents == 2500 and case.procedure == "caution"
    case = await offences.mark_checked(clerk.actor, case.id, case.version)
    sent = utcnow().astimezone(BERLIN).date()
    case = await offences.send_hearing(clerk.actor, case.id, case.version, sent)
    assert case.status is CaseStatus.HEARING
    assert case.limitation_date == period_end(sent, 3)  # restarted from the notice
    listed = await offences.by_days_left(clerk.actor)
    assert [c.id for c in listed] == [case.id]
    history = await offences.history(clerk.actor, case.id)
    assert [e.to_status for e in history] == ["open", "checked", "hearing"]
    assert all(e.username == "clerk" for e in history)
    assert "Anhörung versandt" in history[-1].text


@pytest.mark.asyncio
async def test_a_verwarnung_paid_later_goes_caution_then_paid_and_needs_consent(
    services: Services, person: Login
) -> None:
    clerk = await person(Role.CLERK)
    offences = clerk.services.offences
    case = await offences.capture(
        clerk.actor, draft(await entry_id(services, "141312"), days_ago(1))
    )
    case = await offences.mark_checked(clerk.actor, case.id, case.version)
    with pytest.raises(ValidationError, match="Weigerungsrecht"):
        await offences.give_caution(clerk.actor, case.id, case.version, 2500, False, True)
    with pytest.raises(ValidationError, match="5 bis 55 Euro"):
        await offences.give_caution(clerk.actor, case.id, case.version, 6000, True, True)
    case = await offences.give_caution(clerk.actor, case.id, case.version, 2500, True, False)
    assert case.status is CaseStatus.CAUTION
    assert case.payment_due == utcnow().astimezone(BERLIN).date() + timedelta(weeks=1)
    case = await offences.record_payment(clerk.actor, case.id, case.version)
    assert case.status is CaseStatus.PAID
    assert await offences.by_days_left(clerk.actor) == []  # closed cases leave the clock list
    with pytest.raises(ValidationError, match="kann nicht"):
        await offences.hand_over(clerk.actor, case.id, case.version)
    actions = service_actions(services.db, "offence_case")
    assert actions == ["offence.capture", "offence.status", "offence.caution", "offence.payment"]


@pytest.mark.asyncio
async def test_bad_captures_get_german_messages_and_store_nothing(
    services: Services, person: Login
) -> None:
    clerk = await person(Role.CLERK)
    offences = clerk.services.offences
    entry = await entry_id(services, "141312")
    cases = [
        (draft(entry, utcnow() + timedelta(hours=2)), "Zukunft"),
        (draft(entry, days_ago(200)), "verjährt"),
        (
            draft(
                entry,
                days_ago(1),
                concerned=PersonDraft("Kind", "", date.today() - timedelta(days=365 * 12), "Weg 1"),
            ),
            "§ 12",
        ),
        (draft(entry, days_ago(1), concerned=PersonDraft("", "Max", None, "Weg 1")), "Nachname"),
        (draft(entry, days_ago(1), place="  "), "Tatort"),
        (draft(999_999, days_ago(1)), "Katalogeintrag"),
    ]
    for bad, words in cases:
        with pytest.raises(ValidationError, match=words):
            await offences.capture(clerk.actor, bad)
    assert await offences.by_days_left(clerk.actor) == []
    case = await offences.capture(clerk.actor, draft(entry, days_ago(1)))
    with pytest.raises(ValidationError, match="Grund"):
        await offences.discontinue(clerk.actor, case.id, case.version, "   ")
    with pytest.raises(ConflictError):
        await offences.mark_checked(clerk.actor, case.id, case.version + 1)


@pytest.mark.asyncio
async def test_a_case_keeps_its_catalogue_revision_when_the_catalogue_changes(
    services: Services, person: Login
) -> None:
    clerk = await person(Role.CLERK)
    entry = (await services.catalogue.search(ADMIN, "141312"))[0]
    case = await clerk.services.offences.capture(clerk.actor, draft(entry.id, days_ago(1)))
    await clerk.services.catalogue.revise(
        clerk.actor, entry.id, entry.version, amount_min_cents=3500, amount_max_cents=3500
    )
    again = await clerk.services.offences.case(clerk.actor, case.id)
    assert (again.catalogue_revision, again.fine_cents) == (1, 2500)
    with pytest.raises(ValidationError, match="Katalogeintrag"):
        await clerk.services.offences.capture(clerk.actor, draft(entry.id, days_ago(1)))


@pytest.mark.asyncio
async def test_a_dispatcher_records_a_verwarnung_from_a_call_and_sees_only_own_cases(
    services: Services, person: Login
) -> None:
    clerk, dispo = await person(Role.CLERK), await person(Role.DISPATCHER)
    entry = await entry_id(services, "141312")
    incident = await dispo.services.incidents.create(
        dispo.actor, IncidentDraft("parking", address="Hauptstraße 12")
    )
    mine = await dispo.services.offences.capture(
        dispo.actor, draft(entry, days_ago(0), incident_id=incident.id, officer_id=999)
    )
    assert (mine.incident_id, mine.officer_id) == (incident.id, dispo.actor.user_id)
    # Given on the spot: no check at the desk first.
    paid = await dispo.services.offences.give_caution(
        dispo.actor, mine.id, mine.version, 2500, True, True
    )
    assert paid.status is CaseStatus.PAID
    other = await clerk.services.offences.capture(clerk.actor, draft(entry, days_ago(1)))
    assert [c.id for c in await dispo.services.offences.by_days_left(dispo.actor)] == []
    assert {c.id for c in await clerk.services.offences.by_days_left(clerk.actor)} == {other.id}
    with pytest.raises(NotFound):
        await dispo.services.offences.case(dispo.actor, other.id)
    with pytest.raises(NotFound):
        await dispo.services.offences.mark_checked(dispo.actor, other.id, other.version)
    assert (await clerk.services.offences.case(clerk.actor, mine.id)).status is CaseStatus.PAID


@pytest.mark.parametrize("db_target", ["postgresql"], indirect=True)
@pytest.mark.asyncio
async def test_the_server_keeps_field_officers_to_their_own_cases_and_history_append_only(
    services: Services, person: Login
) -> None:
    clerk, field = await person(Role.CLERK), await person(Role.FIELD_OFFICER)
    await person(Role.DISPATCHER)
    entry = await entry_id(services, "141312")
    theirs = await field.services.offences.capture(field.actor, draft(entry, days_ago(1)))
    other = await clerk.services.offences.capture(clerk.actor, draft(entry, days_ago(1)))
    # Row security hides the clerk's case from the officer, not its Aktenzeichen's place.
    again = await field.services.offences.capture(field.actor, draft(entry, days_ago(1)))
    assert len({theirs.number, other.number, again.number}) == 3
    assert (await field.services.offences.case(field.actor, theirs.id)).id == theirs.id
    with login(services.db.target, "streife") as conn:
        assert attempt(conn, "SELECT id FROM offence_case WHERE id = %(c)s", {"c": theirs.id})[0]
        assert not attempt(conn, "SELECT id FROM offence_case WHERE id = %(c)s", {"c": other.id})[0]
        assert not attempt(
            conn, "SELECT id FROM offence_case_event WHERE case_id = %(c)s", {"c": other.id}
        )[0]
    for name in ("clerk", "streife", "dispo"):
        with login(services.db.target, name) as conn:
            done, why = attempt(conn, "UPDATE offence_case_event SET text = 'x'")
            assert not done, f"{name} changed a case's history: {why}"
            done, why = attempt(conn, "DELETE FROM offence_case_event")
            assert not done, f"{name} deleted a case's history: {why}"


@pytest.mark.asyncio
async def test_a_witness_and_their_statement_are_evidence_of_the_case(
    services: Services, person: Login
) -> None:
    clerk, dispo = await person(Role.CLERK), await person(Role.DISPATCHER)
    case = await clerk.services.offences.capture(
        clerk.actor, draft(await entry_id(services, "141312"), days_ago(1))
    )
    child = PersonDraft("Kind", "Mia", date.today() - timedelta(days=365 * 10), "Weg 2, Leverkusen")
    added = await clerk.services.offences.add_witness(
        clerk.actor, case.id, child, "Hat das Parken   gesehen."
    )
    assert added.description == "Hat das Parken gesehen."  # any age may witness
    with pytest.raises(ValidationError, match="Aussage"):
        await clerk.services.offences.add_witness(clerk.actor, case.id, child, "  ")
    items = await clerk.services.offences.evidence(clerk.actor, case.id)
    assert [(i.kind, i.witness.last_name if i.witness else None) for i in items] == [
        ("witness", "Kind")
    ]
    with pytest.raises(NotFound):
        await dispo.services.offences.evidence(dispo.actor, case.id)
    assert "offence.witness" in service_actions(services.db)
