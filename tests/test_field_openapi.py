"""The OpenAPI document in docs/ is the one the API serves, and the API keeps to it: a
property-based run of every operation (schemathesis) with a valid device token finds no
server error."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from app.platform.config import sqlite_target
from app.platform.database import Database
from app.services import Services
from fieldapi.app import create_app, openapi_document
from tests.field_setup import officer_with_device, serve_field_api

DOC = Path(__file__).resolve().parent.parent / "docs" / "field-api.openapi.json"
schema = schemathesis.openapi.from_path(DOC)
# Valid requests only: the property is "no server error, answers as documented".
schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])


def test_checked_in_document_is_current(tmp_path: Path) -> None:
    app = create_app(Database(sqlite_target(tmp_path / "x.sqlite")))
    assert DOC.read_text(encoding="utf-8") == openapi_document(app), (
        "docs/field-api.openapi.json is out of date: "
        "kod-field-api --export-openapi docs/field-api.openapi.json"
    )


@pytest.fixture(scope="module")
def live_api(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The API on a loopback port over a SQLite file with one registered device."""
    path = tmp_path_factory.mktemp("fieldapi") / "kod.sqlite"
    shutil.copy(sqlite_template, path)
    target = sqlite_target(path)

    async def prepare() -> str:
        db = Database(target, "test-ws")
        try:
            setup = await officer_with_device(Services.create(db))
            return setup.token
        finally:
            await db.dispose()

    token = asyncio.run(prepare())
    api = serve_field_api(target)
    yield api.base, token
    api.stop()


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_fails_with_a_server_error(
    case: schemathesis.Case, live_api: tuple[str, str]
) -> None:
    base_url, token = live_api
    response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, response.text
    case.validate_response(
        response, excluded_checks=[schemathesis.checks.not_a_server_error] if False else None
    )
