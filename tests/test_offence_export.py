"""The hand-over to the Bußgeldstelle: XML valid against the shipped schema and read back
unchanged, CSV for spreadsheets and import, audited per case, refused to roles without
``offence.read`` (by the server too), bad files and bad selections refused in German."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from app.domain.offences.cases import CaseStatus, PersonDraft
from app.domain.offences.handover import (
    Handover,
    HandoverCase,
    HandoverStep,
    parse_xml,
    to_xml,
    validate,
)
from app.platform.errors import NotFound, PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.services import Services
from app.services.offence_export import Document, ExportFormat, handover_case
from tests import test_offence_cases
from tests.conftest import service_actions
from tests.pg_logins import attempt, login
from tests.test_cli import _url, run_admin
from tests.test_offence_cases import Login, days_ago, draft, entry_id

#: The fixture that logs a person in with a role (shared with the case tests).
person = test_offence_cases.person

LITTERING = PersonDraft(
    "Øztürk-Schmidt", "Anna", date(1999, 2, 3), "Kölner Str. 5, 51379 Leverkusen"
)


async def _two_cases(services: Services, clerk: object) -> tuple[int, int]:
    """A parking case heard and a littering case handed over."""
    offences = clerk.services.offences  # type: ignore[attr-defined]
    actor = clerk.actor  # type: ignore[attr-defined]
    parking = await offences.capture(actor, draft(await entry_id(services, "141312"), days_ago(3)))
    parking = await offences.mark_checked(actor, parking.id, parking.version)
    parking = await offences.send_hearing(actor, parking.id, parking.version, days_ago(1).date())
    litter = await offences.capture(
        actor,
        draft(
            await entry_id(services, "Kleinabfall"),
            days_ago(2),
            act_description="Zigarettenstummel auf den Gehweg geworfen",
            place="Wiesdorfer Platz, Wiesdorf",
            concerned=LITTERING,
            lat=51.0331,
            lon=6.9853,
        ),
    )
    litter = await offences.mark_checked(actor, litter.id, litter.version)
    litter = await offences.hand_over(actor, litter.id, litter.version)
    return parking.id, litter.id


@pytest.mark.asyncio
async def test_a_clerk_exports_cases_as_xml_valid_against_the_schema_and_reads_them_back(
    services: Services,
    person: Login,
) -> None:
    clerk = await person(Role.CLERK)
    parking, litter = await _two_cases(services, clerk)
    exports = clerk.services.offence_export
    result = await exports.export(clerk.actor, [litter, parking], ExportFormat.XML)
    validate(result.data)
    back = parse_xml(result.data)
    assert back.created_by == "clerk" and back.sender == "Stadt Leverkusen"
    records = [
        await exports.print_record(clerk.actor, i, Document.COMPLAINT) for i in (litter, parking)
    ]
    assert list(back.cases) == [handover_case(r) for r in records]
    first = back.cases[0]
    info = records[0].info
    assert first.number == info.number and first.status == "handed_over"
    assert first.last_name == "Øztürk-Schmidt" and first.birth_date == date(1999, 2, 3)
    assert first.committed_at == info.committed_at and first.lat == 51.0331
    assert first.officer == "Clerk"
    assert [s.status for s in first.history] == ["open", "checked", "handed_over"]
    assert back.cases[1].fine_cents == 2500 and back.cases[1].catalogue_number == "141312"
    assert result.numbers == (info.number, records[1].info.number)
    assert result.file_name.startswith("owi-abgabe-") and result.file_name.endswith(".xml")

    table = await exports.export(clerk.actor, [parking], ExportFormat.CSV)
    rows = list(csv.DictReader(io.StringIO(table.data.decode("utf-8")), delimiter=";"))
    assert len(rows) == 1
    assert rows[0]["aktenzeichen"] == records[1].info.number
    assert rows[0]["betrag_eur"] == "25,00" and rows[0]["katalognummer"] == "141312"
    assert rows[0]["name"] == "Muster" and rows[0]["geburtsdatum"] == "1980-05-17"

    actions = service_actions(services.db, "offence_case")
    assert actions.count("offence.export") == 3 and actions.count("offence.print") == 2
    engine = services.db.sync_engine()
    try:
        with engine.connect() as conn:
            exported = conn.execute(
                text(
                    "select username, entity_id, details from audit_log "
                    "where action = 'offence.export' order by id"
                )
            ).all()
    finally:
        engine.dispose()
    assert [(r.username, r.entity_id) for r in exported] == [
        ("clerk", litter),
        ("clerk", parking),
        ("clerk", parking),
    ]
    assert '"format":"xml"' in exported[0].details.replace(" ", "")


@pytest.mark.asyncio
async def test_a_dispatcher_may_not_export_nor_print_others_cases_and_is_audited(
    services: Services,
    person: Login,
) -> None:
    clerk, dispo = await person(Role.CLERK), await person(Role.DISPATCHER)
    field = await person(Role.FIELD_OFFICER)
    # A field officer prints the certificate of the caution they gave, but exports nothing.
    # (First: on PostgreSQL they see only their own cases when the next number is drawn.)
    own = await field.services.offences.capture(
        field.actor, draft(await entry_id(services, "141312"), days_ago(1))
    )
    own = await field.services.offences.mark_checked(field.actor, own.id, own.version)
    own = await field.services.offences.give_caution(
        field.actor, own.id, own.version, 2500, True, True
    )
    record = await field.services.offence_export.print_record(
        field.actor, own.id, Document.CAUTION_CERTIFICATE
    )
    assert record.info.number == own.number and record.officer_name == "Streife"
    with pytest.raises(PermissionDenied):
        await field.services.offence_export.export(field.actor, [own.id], ExportFormat.XML)
    parking, _ = await _two_cases(services, clerk)
    with pytest.raises(PermissionDenied, match="Ordnungswidrigkeiten"):
        await dispo.services.offence_export.export(dispo.actor, [parking], ExportFormat.XML)
    with pytest.raises(NotFound):  # they print only the cases they recorded themselves
        await dispo.services.offence_export.print_record(
            dispo.actor, parking, Document.HEARING_FORM
        )
    assert "offence.export" not in service_actions(services.db, "offence_case")
    assert "permission.denied" in service_actions(services.db)
    if not services.db.target.is_sqlite:
        # The server gives the dispatcher's login nothing of the clerk's case the export reads.
        with login(services.db.target, "dispo") as conn:
            for table, column in (
                ("offence_case", "id"),
                ("offence_person", "case_id"),
                ("offence_case_event", "case_id"),
            ):
                done, why = attempt(
                    conn, f"SELECT * FROM {table} WHERE {column} = %(c)s", {"c": parking}
                )
                assert not done, f"{table}: {why}"


@pytest.mark.asyncio
async def test_bad_selections_are_refused_in_german_and_nothing_is_audited(
    services: Services,
    person: Login,
) -> None:
    clerk = await person(Role.CLERK)
    exports = clerk.services.offence_export
    fresh = await clerk.services.offences.capture(
        clerk.actor, draft(await entry_id(services, "141312"), days_ago(1))
    )
    assert fresh.status is CaseStatus.OPEN
    with pytest.raises(ValidationError, match="mindestens einen Fall"):
        await exports.export(clerk.actor, [], ExportFormat.XML)
    with pytest.raises(NotFound, match="existieren nicht: 999"):
        await exports.export(clerk.actor, [fresh.id, 999], ExportFormat.XML)
    with pytest.raises(ValidationError, match=f"{fresh.number} \\(\u201eErfasst\u201c\\)"):
        await exports.export(clerk.actor, [fresh.id], ExportFormat.CSV)
    with pytest.raises(ValidationError, match="keine Verwarnung"):
        await exports.print_record(clerk.actor, fresh.id, Document.CAUTION_CERTIFICATE)
    with pytest.raises(NotFound, match="OWi-1999-000001"):
        await exports.case_ids(clerk.actor, [fresh.number, "OWi-1999-000001"])
    assert await exports.case_ids(clerk.actor, [fresh.number]) == [fresh.id]
    actions = service_actions(services.db, "offence_case")
    assert "offence.export" not in actions and "offence.print" not in actions


def _handover() -> Handover:
    at = datetime(2026, 11, 30, 13, 5, tzinfo=UTC)
    case = HandoverCase(
        number="OWi-2026-000007",
        status="handed_over",
        catalogue_key="PARK_141312",
        catalogue_revision=1,
        catalogue_number="141312",
        offence="Parken im absoluten Haltverbot (Zeichen 283)",
        legal_basis="§ 41 Abs. 1 StVO",
        act_description="Fahrzeug LEV-X 1 <im> Haltverbot & \u201eauf\u201c dem Gehweg",
        committed_at=at,
        place="Hauptstraße 12, Opladen",
        lat=None,
        lon=None,
        culpability="negligence",
        procedure="fine",
        fine_cents=2500,
        caution_agreed=None,
        payment_due=None,
        hearing_date=date(2026, 12, 1),
        limitation_date=date(2027, 3, 1),
        limitation_basis="§ 26 Abs. 3 StVG",
        last_name="Muster",
        first_name=None,
        birth_date=None,
        address="Wiesdorfer Platz 1, 51373 Leverkusen",
        officer=None,
        incident_number=None,
        history=(HandoverStep(at, "", "open", "erfasst"),),
    )
    return Handover(at, "clerk", "Stadt Leverkusen", (case,))


def test_optional_fields_and_markup_in_texts_survive_the_round_trip() -> None:
    handover = _handover()
    assert parse_xml(to_xml(handover)) == handover


def test_malformed_and_invalid_files_are_refused_naming_the_line() -> None:
    good = to_xml(_handover())
    with pytest.raises(ValidationError, match=r"kein wohlgeformtes XML \(Zeile 1\)"):
        parse_xml(b"<OWiAbgabe")
    with pytest.raises(ValidationError, match=r"Schema owi-abgabe.xsd: Zeile \d+"):
        parse_xml(good.replace(b"<Betrag>25.00<", b"<Betrag>25.001<"))
    with pytest.raises(ValidationError, match="Schema"):
        parse_xml(good.replace(b"OWi-2026-000007", b"irgendwas"))
    with pytest.raises(ValidationError, match="Schema"):
        parse_xml(good.replace(b"<Status>handed_over<", b"<Status>verschwunden<"))
    entity = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + good.split(b"?>", 1)[1].replace(b"Muster", b"&e;")
    )
    with pytest.raises(ValidationError, match="DOCTYPE"):
        parse_xml(entity)


@pytest.mark.asyncio
async def test_the_export_command_needs_a_clerk_login_and_its_file_passes_the_check(
    services: Services,
    person: Login,
    tmp_path: Path,
) -> None:
    clerk = await person(Role.CLERK)
    parking, _ = await _two_cases(services, clerk)
    number = (await clerk.services.offences.case(clerk.actor, parking)).number
    target = services.db.target
    out = tmp_path / "abgabe.xml"
    if target.is_sqlite:
        # On SQLite the command line acts as the administration, which reads no case data.
        done = run_admin("offences", "export", str(out), number, database=_url(target))
        assert done.returncode == 6 and "Administration" in done.stderr, done.stderr
        assert not out.exists()
        out.write_bytes(to_xml(_handover()))
    else:
        url = target.with_login("clerk", "geheim123")
        done = run_admin("offences", "export", str(out), number, database=_url(url))
        assert done.returncode == 0, done.stderr
        assert "1 Fälle" in done.stdout
        assert parse_xml(out.read_bytes()).cases[0].number == number
    checked = run_admin("offences", "check", str(out), database=_url(target))
    assert checked.returncode == 0 and "gültig" in checked.stdout, checked.stderr
    out.write_bytes(out.read_bytes().replace(b"<Verfahren>", b"<Verfahren>x"))
    refused = run_admin("offences", "check", str(out), database=_url(target))
    assert refused.returncode == 8 and "Schema" in refused.stderr
    wrong = run_admin("offences", "export", str(tmp_path / "a.txt"), number, database=_url(target))
    assert wrong.returncode == 8 and ".xml oder .csv" in wrong.stderr
