"""Bad input on both engines: German messages, nothing stored, nothing shown that is secret."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.domain.dto import IncidentDraft, IncidentQuery
from app.domain.dto_work import TaskDraft, TaskQuery
from app.platform.config import parse_database_url
from app.platform.database import Database
from app.platform.errors import (
    ConfigError,
    DatabaseRefused,
    DatabaseUnavailable,
    PermissionDenied,
    ValidationError,
)
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from db.models import AuditRecord, Incident
from tests.conftest import ADMIN, service_actions


@pytest.mark.asyncio
@pytest.mark.parametrize("bad", ["Hund\x00 frei", "Lärm\x07", "x\x1b[2J"])
async def test_control_characters_are_refused_in_german_and_nothing_is_stored(
    services: Services, dispatcher: Actor, bad: str
) -> None:
    with pytest.raises(ValidationError, match="Steuerzeichen"):
        await services.incidents.create(
            dispatcher, IncidentDraft("noise", address="Hauptstraße 1", description=bad)
        )
    with pytest.raises(ValidationError, match="Steuerzeichen"):
        await services.tasks.create(dispatcher, TaskDraft(title=bad))
    async with services.db.read() as s:
        assert await s.scalar(select(Incident.id)) is None
    # Line breaks and tabs are text, not control characters.
    ok = await services.incidents.create(
        dispatcher, IncidentDraft("noise", address="Hauptstraße 1", description="a\n\tb")
    )
    assert ok.description == "a\n\tb"


@pytest.mark.asyncio
async def test_a_nul_in_a_search_is_refused_not_a_match_for_everything(
    services: Services, dispatcher: Actor
) -> None:
    await services.incidents.create(dispatcher, IncidentDraft("noise", address="Hauptstraße 1"))
    with pytest.raises(ValidationError, match="Suche"):
        await services.incidents.count(dispatcher, IncidentQuery(text="\x00"))
    with pytest.raises(ValidationError, match="Suche"):
        await services.tasks.count(dispatcher, TaskQuery(text="a\x00"))


@pytest.mark.asyncio
async def test_percent_and_underscore_in_searches_are_literal(
    services: Services, dispatcher: Actor
) -> None:
    await services.tasks.create(dispatcher, TaskDraft(title="Kontrolle Kiosk"))
    await services.tasks.create(dispatcher, TaskDraft(title="Rabatt 50% Aktion"))
    await services.tasks.create(dispatcher, TaskDraft(title="datei_name prüfen"))
    assert await services.tasks.count(dispatcher, TaskQuery(text="%")) == 1
    assert await services.tasks.count(dispatcher, TaskQuery(text="_")) == 1
    assert await services.tasks.count(dispatcher, TaskQuery(text="")) == 3
    for title, needle in (("x_y", "_"), ("100%", "%")):
        await services.incidents.create(
            dispatcher, IncidentDraft("noise", address=f"Feld {title}", description=title)
        )
        assert await services.incidents.count(dispatcher, IncidentQuery(text=needle)) == 1


@pytest.mark.asyncio
async def test_over_long_values_and_impossible_dates_are_validation_errors(
    services: Services, dispatcher: Actor
) -> None:
    with pytest.raises(ValidationError, match="zu lang"):
        await services.tasks.create(dispatcher, TaskDraft(title="T" * 201))
    for year in (1752, 9999):
        with pytest.raises(ValidationError, match="Datum"):
            await services.tasks.create(
                dispatcher, TaskDraft(title="Prüfen", due_at=datetime(year, 9, 14, tzinfo=UTC))
            )
    assert await services.tasks.count(dispatcher, TaskQuery()) == 0


@pytest.mark.asyncio
async def test_a_refused_action_is_audited(services: Services, dispatcher: Actor) -> None:
    clerk = Actor(None, "sachb", Role.CLERK)
    with pytest.raises(PermissionDenied):
        await services.incidents.create(clerk, IncidentDraft("noise", address="A 1"))
    with pytest.raises(PermissionDenied):
        await services.audit_log.prune_expired(dispatcher)
    async with services.db.read() as s:
        refused = (
            await s.scalars(select(AuditRecord).where(AuditRecord.action == "permission.denied"))
        ).all()
    details = [json.loads(r.details) for r in refused]
    assert [d.get("permission") for d in details] == ["incident.write", "audit.prune"]
    assert service_actions(services.db)[-1] == "permission.denied"


@pytest.mark.parametrize("db_target", ["sqlite"], indirect=True)
@pytest.mark.asyncio
async def test_a_failed_login_never_stores_what_was_typed_as_the_name(services: Services) -> None:
    from app.platform.errors import AuthenticationError

    with pytest.raises(AuthenticationError):
        await services.users.authenticate("MeinGeheimesPasswort!", "x")
    async with services.db.read() as s:
        rows = (await s.execute(text("select username, details from audit_log"))).all()
    assert rows and all("Geheim" not in (u + d) for u, d in rows)
    assert rows[-1][0] == "(unbekannt)"


@pytest.mark.parametrize("db_target", ["sqlite"], indirect=True)
@pytest.mark.asyncio
async def test_a_disabled_account_cannot_go_on_writing_in_its_open_session(
    services: Services, dispatcher: Actor
) -> None:
    from app.platform.errors import AuthenticationError

    await services.incidents.create(dispatcher, IncidentDraft("noise", address="A 1"))
    await services.users.set_active(ADMIN, dispatcher.username, False)
    with pytest.raises(AuthenticationError, match="deaktiviert"):
        await services.incidents.create(dispatcher, IncidentDraft("noise", address="A 2"))


@pytest.mark.asyncio
async def test_a_search_index_error_is_not_called_unreachable(
    tmp_path: Path, sqlite_template: Path
) -> None:
    import shutil

    from app.platform.config import sqlite_target

    path = tmp_path / "fts.sqlite"
    shutil.copy(sqlite_template, path)
    db = Database(sqlite_target(path))
    try:
        with pytest.raises(DatabaseRefused) as caught:
            async with db.read() as s:
                await s.execute(
                    text("SELECT rowid FROM incident_search WHERE incident_search MATCH '\"'")
                )
        assert not isinstance(caught.value, DatabaseUnavailable)
        assert "abgelehnt" in str(caught.value)
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://kod:Sup3r-Geheim@db.stadt.local:5432/leitstelle",
        "postgresql://db.stadt.local:5432/leitstelle?password=Sup3r-Geheim",
        "postgresql://kod@db.stadt.local/leitstelle?sslmode=require&password=Sup3r-Geheim",
    ],
)
def test_a_password_in_the_database_url_is_never_shown(raw: str) -> None:
    target = parse_database_url(raw)
    assert "Sup3r-Geheim" not in target.display and "***" in target.display
    # A person's login drops what the URL carried.
    person = target.with_login("dora", "anderes")
    assert "Sup3r-Geheim" not in person.sync_url.render_as_string(hide_password=False)


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://kod:Sup3r-Geheim@[db:5432/leitstelle",
        "postgresql://kod:Sup3r-Geheim@db.stadt.local:99999/leitstelle",
        "kaputt://kod:Sup3r-Geheim@host/db?password=Sup3r-Geheim",
        "Sup3r-Geheim",
    ],
)
def test_a_password_in_a_malformed_url_is_never_shown(raw: str) -> None:
    try:
        target = parse_database_url(raw)
    except ConfigError as exc:
        message = str(exc)
        assert "Traceback" not in message and "ValueError" not in message
    else:
        message = target.display + repr(target)
    assert "Sup3r-Geheim" not in message or raw == "Sup3r-Geheim"


def test_dates_at_the_ends_of_the_calendar_are_shown_not_crashed_on() -> None:
    from app.platform.timeutil import format_local

    # Rows stored before dates were checked must still show in every list.
    assert format_local(datetime(9999, 12, 31, 23, 30, tzinfo=UTC)) == "31.12.9999 23:30"
    assert format_local(datetime(1, 1, 1, tzinfo=UTC)).startswith("01.01.1 ")
