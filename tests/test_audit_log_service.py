"""The audit log as the viewer reads it: filters, paging, export, head and verification.

On both engines, through the service (the server's own refusals are tested with real logins in
tests/ui/test_audit_log_check_export.py and tests/test_pg_rights_audit.py).
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app.platform import audit, uow
from app.platform.database import Database
from app.platform.errors import KodError, PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.platform.timeutil import format_local, utcnow
from app.platform.uow import Actor
from app.services import Services
from app.services import audit_log as audit_log_module
from app.services.audit_labels import ACTION_LABELS, action_label, actions_named, entity_label
from app.services.audit_log import AuditQuery, describe_result
from tests.conftest import service_actions, tamper

DSB = Actor(None, "dsb", Role.DATA_PROTECTION, "Dana Schutz")
ADMINISTRATION = Actor(None, "verwaltung", Role.ADMIN, "Vera Waltung")
CLERK = Actor(None, "sachbearbeitung", Role.CLERK, "Sam Bearbeiter")


@dataclass(frozen=True)
class Rec:
    """One audit record of the scene."""

    hours: int
    username: str
    action: str
    entity: str | None = None
    entity_id: int | None = None
    reason: str | None = None
    details: dict[str, object] | None = None


SCENE = (
    Rec(1, "anna", "incident.create", "incident", 7, details={"number": "E-2026-7"}),
    Rec(2, "anna", "incident.update", "incident", 7, details={"fields": ["address"]}),
    Rec(3, "bernd", "task.create", "task", 3, details={"number": "A-3"}),
    Rec(4, "bernd", "permission.denied", details={"permission": "audit.read"}),
    Rec(5, "carla", "login.failed", "user", 2, details={"why": "password"}),
    Rec(6, "carla", "login.locked", "user", 2),
    Rec(7, "carla", "db.update", "incident", 7, details={"columns": ["address"]}),
    Rec(8, "anna", "incident.reopen", "incident", 8, reason="Anruf ergänzt"),
    Rec(9, "anna", "report.create", "report", 5, details={"number": "M-5"}),
)


async def _write_scene(db: Database) -> datetime:
    """The scene's records, an hour apart, from ten days ago; returns the start."""
    base = (utcnow() - timedelta(days=10)).replace(microsecond=0)
    async with db.write_session() as s:
        for rec in SCENE:
            await audit.append(
                s,
                occurred_at=base + timedelta(hours=rec.hours),
                user_id=None,
                username=rec.username,
                action=rec.action,
                entity=rec.entity,
                entity_id=rec.entity_id,
                details=rec.details,
                reason=rec.reason,
                workstation="ws-3",
            )
    return base


async def _actions(services: Services, q: AuditQuery) -> list[str]:
    rows = await services.audit_log.page(DSB, q, 0, 100)
    count = await services.audit_log.count(DSB, q)
    assert count == len(rows)
    return [r.action for r in rows]


@pytest.mark.asyncio
async def test_filters_give_the_right_records_newest_first(
    services: Services, db: Database
) -> None:
    base = await _write_scene(db)

    everything = await _actions(services, AuditQuery())
    # Newest first; the server's row records (db.*) only when asked for.
    assert everything == [r.action for r in reversed(SCENE) if not r.action.startswith("db.")]
    assert await _actions(services, AuditQuery(person="ANN")) == [
        "report.create",
        "incident.reopen",
        "incident.update",
        "incident.create",
    ]
    assert await _actions(services, AuditQuery(entity="incident")) == [
        "incident.reopen",
        "incident.update",
        "incident.create",
    ]
    assert await _actions(services, AuditQuery(entity="incident", entity_id=7)) == [
        "incident.update",
        "incident.create",
    ]
    assert await _actions(services, AuditQuery(entity="incident", row_changes=True)) == [
        "incident.reopen",
        "db.update",
        "incident.update",
        "incident.create",
    ]
    # The action by its code or its German name; % and _ are literal.
    assert await _actions(services, AuditQuery(action="login")) == [
        "login.locked",
        "login.failed",
    ]
    assert await _actions(services, AuditQuery(action="angelegt")) == [
        "report.create",
        "task.create",
        "incident.create",
    ]
    assert await _actions(services, AuditQuery(action="%")) == []
    # Time: from inclusive, to exclusive.
    period = AuditQuery(since=base + timedelta(hours=2), until=base + timedelta(hours=4))
    assert await _actions(services, period) == ["task.create", "incident.update"]
    assert await _actions(services, AuditQuery(refused_only=True)) == [
        "login.locked",
        "login.failed",
        "permission.denied",
    ]
    assert await _actions(services, AuditQuery(refused_only=True, person="bernd")) == [
        "permission.denied"
    ]
    rows = await services.audit_log.page(DSB, AuditQuery(action="reopen"), 0, 10)
    assert rows[0].reason == "Anruf ergänzt" and rows[0].workstation == "ws-3"
    assert rows[0].refused is False
    refused = await services.audit_log.page(DSB, AuditQuery(person="carla"), 0, 10)
    assert all(r.refused for r in refused)


@pytest.mark.asyncio
async def test_pages_follow_the_last_record_shown(services: Services, db: Database) -> None:
    await _write_scene(db)
    first = await services.audit_log.page(DSB, AuditQuery(), 0, 3)
    second = await services.audit_log.page(DSB, AuditQuery(), 0, 3, before_id=first[-1].id)
    everything = await services.audit_log.page(DSB, AuditQuery(), 0, 100)
    assert [r.id for r in first + second] == [r.id for r in everything[:6]]
    # A record written meanwhile does not shift the next page.
    await _write_scene(db)
    again = await services.audit_log.page(DSB, AuditQuery(), 0, 3, before_id=first[-1].id)
    assert again == second
    assert await services.audit_log.count(DSB, AuditQuery(), limit=5) == 6  # "more than 5"


@pytest.mark.asyncio
async def test_a_period_outside_the_sane_range_or_backwards_is_refused(
    services: Services,
) -> None:
    now = utcnow()
    with pytest.raises(ValidationError, match="Beginn des Zeitraums"):
        await services.audit_log.page(DSB, AuditQuery(since=now, until=now), 0, 10)
    with pytest.raises(ValidationError, match="zwischen den Jahren 2000 und 2100"):
        await services.audit_log.count(DSB, AuditQuery(since=now.replace(year=1752)))
    with pytest.raises(ValidationError, match="Steuerzeichen"):
        await services.audit_log.count(DSB, AuditQuery(person="an\x00na"))


@pytest.mark.asyncio
async def test_only_data_protection_reads_administration_verifies(
    services: Services, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uow, "_recent_refusals", {})
    await _write_scene(db)
    for actor in (ADMINISTRATION, CLERK):
        with pytest.raises(PermissionDenied):
            await services.audit_log.page(actor, AuditQuery(), 0, 10)
        with pytest.raises(PermissionDenied):
            await services.audit_log.export_csv(actor, AuditQuery())
    head = await services.audit_log.head(ADMINISTRATION)
    assert head is not None and head == await services.audit_log.head(DSB)
    assert (await services.audit_log.verify(ADMINISTRATION)).ok
    with pytest.raises(PermissionDenied):
        await services.audit_log.head(CLERK)
    with pytest.raises(PermissionDenied):
        await services.audit_log.verify(CLERK)
    # The refusals are in the log itself (a repeat within seconds is recorded once): reading
    # by both, the head by the clerk; plus the scene's own.
    assert service_actions(db).count("permission.denied") == 1 + 3


@pytest.mark.asyncio
async def test_verify_says_in_german_whether_the_chain_is_intact(
    services: Services, db: Database
) -> None:
    await _write_scene(db)
    head = await services.audit_log.head(DSB)
    assert head is not None
    result = await services.audit_log.verify(DSB, expect_head=f"  {head.upper()} ")
    assert result.ok and result.checked == len(SCENE)
    assert describe_result(result).startswith("Audit-Protokoll intakt: 9 Einträge geprüft.")
    engine = db.sync_engine()
    try:
        with engine.begin() as conn:
            victim = conn.execute(
                text("select id from audit_log where action = 'login.failed'")
            ).scalar()
            tamper(conn, "update audit_log set username = 'niemand' where id = :i", {"i": victim})
    finally:
        engine.dispose()
    broken = await services.audit_log.verify(DSB)
    assert not broken.ok and broken.first_broken_id == victim
    assert describe_result(broken) == (
        f"Audit-Protokoll NICHT intakt: Eintrag {victim} wurde nach dem Schreiben geändert."
    )
    gone = await services.audit_log.verify(DSB, expect_head="0" * 64)
    assert not gone.ok


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens umlauts correctly
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


@pytest.mark.asyncio
async def test_export_writes_a_csv_for_excel_and_is_audited(
    services: Services, db: Database, tmp_path: Path
) -> None:
    await _write_scene(db)
    folder = tmp_path / "exporte"
    folder.mkdir()
    target = folder / "protokoll.csv"
    target.write_text("älterer Export", encoding="utf-8")
    q = AuditQuery(person="anna")
    written = await services.audit_log.export_csv_file(DSB, q, target)
    rows = _read_csv(target)
    assert written == 4 and len(rows) == 5
    assert rows[0][:6] == ["Nummer", "Zeit", "Person", "Aktion", "Aktion (Klartext)", "Objekt"]
    expected = await services.audit_log.page(DSB, q, 0, 10)
    for line, entry in zip(rows[1:], expected, strict=True):
        assert line[0] == str(entry.id)
        assert line[1] == format_local(entry.occurred_at, with_seconds=True)
        assert line[2:5] == ["anna", entry.action, action_label(entry.action)]
        assert line[5] == entity_label(entry.entity)
    reopen = rows[1 + [e.action for e in expected].index("incident.reopen")]
    assert reopen[5:8] == ["Einsatz", "8", "Anruf ergänzt"]
    assert [p.name for p in folder.iterdir()] == ["protokoll.csv"]  # no leftovers
    engine = db.sync_engine()
    try:
        with engine.connect() as conn:
            details = conn.execute(
                text("select details from audit_log where action = 'audit.export'")
            ).scalar()
    finally:
        engine.dispose()
    recorded = json.loads(details)
    assert recorded["person"] == "anna" and recorded["rows"] == 4
    assert recorded["file"] == "protokoll.csv" and recorded["refused_only"] is False


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in (root may write anywhere but sysfs)."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "schreibgeschützt"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


@pytest.mark.asyncio
async def test_an_export_into_a_folder_that_cannot_be_written_says_so_and_records_nothing(
    services: Services, db: Database, tmp_path: Path
) -> None:
    await _write_scene(db)
    folder = unwritable_folder(tmp_path)
    with pytest.raises(KodError, match="keine Schreibberechtigung") as caught:
        await services.audit_log.export_csv_file(DSB, AuditQuery(), folder / "protokoll.csv")
    assert "Es wurde nichts exportiert" in str(caught.value)
    assert not list(folder.glob("*protokoll*"))
    assert "audit.export" not in service_actions(db)
    with pytest.raises(KodError, match="Ordner existiert nicht"):
        await services.audit_log.export_csv_file(DSB, AuditQuery(), tmp_path / "weg" / "p.csv")


@pytest.mark.asyncio
async def test_an_export_larger_than_the_limit_is_refused_not_cut_short(
    services: Services, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _write_scene(db)
    monkeypatch.setattr(audit_log_module, "MAX_EXPORT_ROWS", 3)
    with pytest.raises(ValidationError, match="Mehr als 3 Einträge"):
        await services.audit_log.export_csv_file(DSB, AuditQuery(), tmp_path / "p.csv")
    monkeypatch.setattr(audit_log_module, "EXPORT_CHUNK", 2)  # several chunks
    text_out = await services.audit_log.export_csv(DSB, AuditQuery(person="carla"))
    assert len(text_out.splitlines()) == 3


@pytest.mark.asyncio
async def test_an_export_opened_in_a_spreadsheet_runs_no_formula(
    services: Services, db: Database
) -> None:
    async with db.write_session() as s:
        await audit.append(
            s,
            occurred_at=utcnow(),
            user_id=None,
            username="@angreifer",
            action="incident.reopen",
            entity="incident",
            entity_id=9,
            reason='=HYPERLINK("http://example.invalid";"Klick")',
            recipient="+49 214 0",
            workstation="-ws",
        )
    lines = list(
        csv.reader(
            io.StringIO(await services.audit_log.export_csv(DSB, AuditQuery())), delimiter=";"
        )
    )
    row = lines[1]
    assert row[2] == "'@angreifer" and row[7] == '\'=HYPERLINK("http://example.invalid";"Klick")'
    assert row[8] == "'+49 214 0" and row[10] == "'-ws"
    assert row[6] == "9" and row[9] == "{}"  # numbers and plain text stay as they are


def test_action_and_object_names_are_german() -> None:
    assert action_label("login.failed") == "Anmeldung fehlgeschlagen"
    assert action_label("something.new") == "something.new"
    assert entity_label("incident") == "Einsatz" and entity_label(None) == ""
    assert "login.failed" in actions_named("anmeldung")
    assert actions_named("  ") == []


#: Actions built from a variable part (``f"offence.{kind}"``): every value the code passes.
_BUILT_ACTIONS = {
    "offence.": {"capture", "caution", "payment", "status"},
    "task.": {"done", "cancelled"},
}


def _written_actions() -> dict[str, str]:
    """Every audit action the program writes: the services' ``audit(...)`` calls, the field
    API's call records and the server's own records (db/pg_security). Action → where."""
    root = Path(__file__).resolve().parent.parent
    found: dict[str, str] = {}

    def literals(node: ast.expr) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return literals(node.body) + literals(node.orelse)
        if isinstance(node, ast.JoinedStr):
            head = node.values[0]
            assert isinstance(head, ast.Constant) and head.value in _BUILT_ACTIONS, ast.dump(node)
            return [head.value + part for part in _BUILT_ACTIONS[head.value]]
        return []

    for folder in ("app", "fieldapi"):
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                values: list[str] = []
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "action" for t in node.targets
                ):
                    values = literals(node.value)
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                    if name == "audit" and node.args:
                        values = literals(node.args[0])
                    values += [
                        v for k in node.keywords if k.arg == "action" for v in literals(k.value)
                    ]
                for value in values:
                    if re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+", value):
                        found.setdefault(value, str(path.relative_to(root)))
    for path in (root / "db" / "pg_security").glob("*.sql"):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"kod_audit_(?:server|append)\((.{0,200})", text, re.S):
            for value in re.findall(r"'([a-z]+\.[a-z_.]+)'", call.group(1)):
                found.setdefault(value, str(path.relative_to(root)))
    return found


def test_every_action_the_program_writes_has_a_german_name() -> None:
    """The data-protection officer reads German, never a code the program writes."""
    written = _written_actions()
    assert {"incident.create", "field.call", "field.refused", "user.disable"} <= set(written)
    unnamed = {a: where for a, where in written.items() if a not in ACTION_LABELS}
    assert unnamed == {}
    assert all(action_label(a) != a for a in written)
