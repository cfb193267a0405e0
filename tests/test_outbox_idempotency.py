"""client_ref: replaying an offline operation never duplicates it (both engines)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, inspect

from app.domain.dto import IncidentDraft
from app.platform.errors import ValidationError
from app.platform.uow import Actor
from app.services import Services
from db.migrate import downgrade, upgrade


@pytest.mark.asyncio
async def test_create_with_the_same_client_ref_returns_the_first_incident(
    services: Services, dispatcher: Actor
) -> None:
    ref = str(uuid.uuid4())
    draft = IncidentDraft("noise", address="Hauptstraße 5", client_ref=ref)
    first = await services.incidents.create(dispatcher, draft)
    again = await services.incidents.create(dispatcher, draft)
    assert again.id == first.id and again.number == first.number
    assert len(again.journal) == 1  # no second "opened" line
    other = await services.incidents.create(
        dispatcher, IncidentDraft("noise", address="Hauptstraße 5")
    )
    assert other.id != first.id


@pytest.mark.asyncio
async def test_note_with_the_same_client_ref_is_written_once(
    services: Services, dispatcher: Actor
) -> None:
    inc = await services.incidents.create(dispatcher, IncidentDraft("dog", address="Park"))
    ref = str(uuid.uuid4())
    await services.incidents.add_note(dispatcher, inc.id, "Hund angeleint", client_ref=ref)
    detail = await services.incidents.add_note(dispatcher, inc.id, "Hund angeleint", client_ref=ref)
    assert [j.text for j in detail.journal if j.kind == "note"] == ["Hund angeleint"]
    # Without a reference, notes append as before.
    detail = await services.incidents.add_note(dispatcher, inc.id, "Hund angeleint")
    assert len([j for j in detail.journal if j.kind == "note"]) == 2


@pytest.mark.asyncio
async def test_bad_client_ref_is_refused(services: Services, dispatcher: Actor) -> None:
    with pytest.raises(ValidationError):
        await services.incidents.create(
            dispatcher, IncidentDraft("noise", address="A", client_ref="x" * 37)
        )


@pytest.mark.parametrize("engine_kind", ["sqlite", "postgresql"])
def test_migration_0002_up_and_down(engine_kind: str, tmp_path: object) -> None:
    from tests.conftest import drop_pg_database, fresh_pg_database

    name = None
    if engine_kind == "sqlite":
        url = f"sqlite:///{tmp_path}/m.sqlite"
    else:
        name, raw = fresh_pg_database(None)
        url = raw.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    try:
        upgrade(engine, "0002")
        with engine.connect() as conn:
            for table in ("incident", "journal_entry"):
                cols = {c["name"] for c in inspect(conn).get_columns(table)}
                assert "client_ref" in cols
                idx = {i["name"]: i for i in inspect(conn).get_indexes(table)}
                assert idx[f"ix_{table}_client_ref"]["unique"]
        downgrade(engine, "0001")
        with engine.connect() as conn:
            for table in ("incident", "journal_entry"):
                cols = {c["name"] for c in inspect(conn).get_columns(table)}
                assert "client_ref" not in cols
        upgrade(engine)
    finally:
        engine.dispose()
        if name:
            drop_pg_database(name)
