"""The offence catalogue as the clerks keep it: seed on a fresh database, CSV import in
revisions, search, confirming unverified entries; on both engines, people as themselves."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from app.platform.config import sqlite_target
from app.platform.database import Database
from app.platform.errors import ConflictError, PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.services import Services
from app.services.login import Session, log_in
from app.tools.cli import run as kod_admin
from db.models import OffenceCatalogueEntry
from resources.paths import resource_path
from tests.conftest import ADMIN, service_actions
from tests.pg_logins import attempt, login

SEED = resource_path("data", "owi-catalogue-seed.csv").read_text(encoding="utf-8")
NAMES = {Role.CLERK: "clerk", Role.DISPATCHER: "dispo", Role.FIELD_OFFICER: "streife"}
Login = Callable[[Role], Any]


def seed_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(SEED)))


def as_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest_asyncio.fixture
async def person(services: Services) -> AsyncIterator[Login]:
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


async def count(db: Database) -> int:
    async with db.read() as s:
        return int(await s.scalar(select(func.count(OffenceCatalogueEntry.id))) or 0)


def test_a_fresh_database_gets_the_seed_catalogue_with_unverified_rows_marked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'frisch.sqlite'}"
    assert kod_admin(["--database", url, "db", "upgrade"]) == 0
    assert "80" in capsys.readouterr().out
    assert kod_admin(["--database", url, "db", "upgrade"]) == 0  # the seed loads once
    assert "80" not in capsys.readouterr().out
    assert kod_admin(["--database", url, "catalogue", "list", "--unverified"]) == 0
    listed = capsys.readouterr().out.splitlines()
    unverified = [r for r in seed_rows() if r["verified"] != "yes"]
    assert len(listed) == len(unverified) > 0
    assert all("[ungeprüft]" in line for line in listed)

    async def stored() -> int:
        db = Database(sqlite_target(tmp_path / "frisch.sqlite"))
        try:
            return await count(db)
        finally:
            await db.dispose()

    assert asyncio.run(stored()) == 80


@pytest.mark.asyncio
async def test_search_finds_by_six_digit_number_words_and_legal_basis(
    services: Services, person: Login
) -> None:
    await services.catalogue.import_csv(ADMIN, SEED)
    clerk = await person(Role.CLERK)
    search = clerk.services.catalogue.search
    by_number = await search(clerk.actor, "141312")
    assert [e.key for e in by_number] == ["PARK_141312"]
    assert by_number[0].is_traffic and by_number[0].amount_min_cents == 2500
    words = await search(clerk.actor, "absoluten haltverbot stunde")
    assert [e.key for e in words] == ["PARK_141314"]
    law = await search(clerk.actor, "LHundG")
    assert law and all(e.group_name == "Hunde" for e in law)
    assert await search(clerk.actor, "100%_") == []  # LIKE characters are text


@pytest.mark.asyncio
async def test_a_changed_amount_makes_a_revision_and_the_old_one_stays_for_its_cases(
    services: Services, person: Login
) -> None:
    await services.catalogue.import_csv(ADMIN, SEED)
    clerk = await person(Role.CLERK)
    old = (await services.catalogue.search(ADMIN, "141312"))[0]
    rows = seed_rows()
    for r in rows:
        if r["key"] == "PARK_141312":
            r["amount_min_eur"] = r["amount_max_eur"] = "35"
    result = await clerk.services.catalogue.import_csv(clerk.actor, as_csv(rows))
    assert (result.added, result.revised, result.unchanged) == (0, 1, 79)
    now = (await services.catalogue.search(ADMIN, "141312"))[0]
    assert (now.revision, now.amount_min_cents) == (2, 3500)
    kept = await services.catalogue.entry(ADMIN, old.id)  # what a case made before points at
    assert (kept.revision, kept.amount_min_cents, kept.superseded_at is not None) == (1, 2500, True)
    history = await services.catalogue.history(ADMIN, "park_141312")
    assert [h.revision for h in history] == [1, 2]
    assert "catalogue.revise" in service_actions(services.db)


@pytest.mark.asyncio
async def test_editing_an_entry_adds_an_unverified_revision_and_refuses_a_stale_edit(
    services: Services, person: Login
) -> None:
    await services.catalogue.import_csv(ADMIN, SEED)
    clerk = await person(Role.CLERK)
    entry = (await services.catalogue.search(ADMIN, "141312"))[0]
    revised = await clerk.services.catalogue.revise(
        clerk.actor, entry.id, entry.version, amount_min_cents=3000, amount_max_cents=3000
    )
    assert (revised.revision, revised.amount_max_cents, revised.verified) == (2, 3000, False)
    with pytest.raises(ConflictError):
        await clerk.services.catalogue.revise(clerk.actor, entry.id, entry.version, description="x")
    with pytest.raises(ValidationError, match="Höchstmaß"):
        await clerk.services.catalogue.revise(
            clerk.actor, revised.id, revised.version, amount_max_cents=300_000_00
        )


@pytest.mark.asyncio
async def test_a_faulty_file_names_every_bad_line_in_german_and_imports_nothing(
    services: Services,
) -> None:
    rows = seed_rows()
    rows[3]["amount_min_eur"] = "zwanzig"
    rows[5]["catalogue_number"] = "12"
    rows[7]["description_de"] = ""
    rows[9]["key"] = rows[8]["key"]
    with pytest.raises(ValidationError) as caught:
        await services.catalogue.import_csv(ADMIN, as_csv(rows))
    message = str(caught.value)
    assert "Nichts wurde importiert" in message
    for line in ("Zeile 5", "Zeile 7", "Zeile 9", "Zeile 11"):
        assert line in message
    assert await count(services.db) == 0
    for bad in ("", "kein,katalog\n1,2\n", "\x00\x01binär", "key,group,description_de\n"):
        with pytest.raises(ValidationError):
            await services.catalogue.import_csv(ADMIN, bad)
    assert await count(services.db) == 0


@pytest.mark.asyncio
async def test_only_catalogue_managers_import_or_confirm_but_field_officers_can_search(
    services: Services, person: Login
) -> None:
    await services.catalogue.import_csv(ADMIN, SEED)
    clerk, dispo, field = (
        await person(Role.CLERK),
        await person(Role.DISPATCHER),
        await person(Role.FIELD_OFFICER),
    )
    unverified = next(e for e in await services.catalogue.search(ADMIN) if not e.verified)
    with pytest.raises(PermissionDenied):
        await dispo.services.catalogue.confirm(dispo.actor, unverified.id, unverified.version)
    with pytest.raises(PermissionDenied):
        await field.services.catalogue.import_csv(field.actor, SEED)
    assert await field.services.catalogue.search(field.actor, "141312")
    confirmed = await clerk.services.catalogue.confirm(
        clerk.actor, unverified.id, unverified.version
    )
    assert confirmed.verified and confirmed.confirmed_at is not None
    assert "catalogue.confirm" in service_actions(services.db)


@pytest.mark.parametrize("db_target", ["postgresql"], indirect=True)
@pytest.mark.asyncio
async def test_the_server_refuses_catalogue_writes_to_logins_without_the_right(
    services: Services, person: Login
) -> None:
    await services.catalogue.import_csv(ADMIN, SEED)
    for role in NAMES:
        await person(role)
    entry = (await services.catalogue.search(ADMIN, "141312"))[0]
    probes = (
        (
            "UPDATE offence_catalogue_entry SET amount_min_cents = 1 WHERE id = %(e)s",
            {"e": entry.id},
        ),
        (
            "INSERT INTO offence_catalogue_entry (key, group_name, description, legal_basis,"
            " is_traffic, verified, active, version, revision) VALUES"
            " ('X_1', 'x', 'x', 'x', false, true, true, 1, 1) RETURNING id",
            {},
        ),
    )
    for name, may in (("clerk", True), ("dispo", False), ("streife", False)):
        with login(services.db.target, name) as conn:
            for sql, params in probes:
                done, why = attempt(conn, sql, params)
                assert done is may, f"{name}: {sql} {why}"
