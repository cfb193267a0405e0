"""The demo dataset reads like real work: live incidents carry the journal and history the
services would have written."""

from __future__ import annotations

import pytest

from app.domain.dto import IncidentQuery
from app.platform.uow import Actor
from app.services import Services
from demodata.generate import generate_demo


@pytest.mark.asyncio
async def test_live_incidents_have_journal_and_status_history_of_their_units(
    services: Services, dispatcher: Actor
) -> None:
    await generate_demo(services, Actor.cli(), incidents=300, seed=7)
    open_rows = await services.incidents.page(dispatcher, IncidentQuery(open_only=True), 0, 100)
    on_scene = [r for r in open_rows if r.status == "on_scene"]
    assert on_scene, "the demo has units on scene"
    for row in on_scene:
        detail = await services.incidents.get(dispatcher, row.id)
        (unit,) = [a for a in detail.assignments if a.released_at is None]
        texts = [j.text for j in detail.journal]
        assert any(unit.call_sign in t and "(Status 3)" in t for t in texts), texts
        assert any(unit.call_sign in t and "(Status 4)" in t for t in texts), texts
        times = [j.created_at for j in detail.journal]
        assert times == sorted(times)
        history = await services.units.history(dispatcher, unit.unit_id)
        assert [h.status for h in history[:2]] == ["4", "3"]  # newest first
