"""A device's status POST reaches the workstation's unit board model live (SQLite and
PostgreSQL), with the device's last report; a field Meldung is marked as such in the list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.platform.config import DatabaseTarget
from app.platform.timeutil import utcnow
from tests.field_setup import api_client, officer_with_device
from tests.ui.conftest import wait_until
from tests.ui.test_unit_board import finish, owner
from ui.context import UiContext
from ui.models.reports import COL_SOURCE, ReportTableModel
from ui.models.unit_board import COL_DEVICE, COL_STATUS, UnitStatusTableModel


@pytest.mark.asyncio
async def test_status_from_device_reaches_the_board(
    ui_ctx: UiContext, db_target: DatabaseTarget, qtbot: QtBot
) -> None:
    setup = await officer_with_device(ui_ctx.services)
    holder = owner(qtbot)
    board = UnitStatusTableModel(ui_ctx, holder)
    reports = ReportTableModel(ui_ctx, parent=holder)
    await board.wait_loaded()
    assert board.data(board.index(0, COL_DEVICE)) == "–"
    async with api_client(db_target) as client:
        auth = {"Authorization": f"Bearer {setup.token}"}
        answer = await client.post("/v1/status", json={"status": "4"}, headers=auth)
        assert answer.status_code == 200, answer.text
        answer = await client.post("/v1/reports", data={"subject": "Lärm"}, headers=auth)
        assert answer.status_code == 201, answer.text
    await wait_until(lambda: board.data(board.index(0, COL_STATUS)) == "4")
    await wait_until(lambda: board.data(board.index(0, COL_DEVICE)) not in ("–", None))
    await wait_until(lambda: reports.rowCount() == 1)
    assert reports.data(reports.index(0, COL_SOURCE)) == "Außendienst"
    await finish(ui_ctx)


@pytest.mark.asyncio
async def test_a_link_left_open_by_a_process_that_died_is_not_shown_as_connected(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    setup = await officer_with_device(ui_ctx.services)
    holder = owner(qtbot)

    async def shown(seconds_ago: int) -> str:
        engine = ui_ctx.services.db.sync_engine()
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE field_device SET connected = :c, last_seen_at = :at WHERE id = :d"),
                {"c": True, "at": utcnow() - timedelta(seconds=seconds_ago), "d": setup.device_id},
            )
        engine.dispose()
        board = UnitStatusTableModel(ui_ctx, holder)
        await board.wait_loaded()
        return str(board.data(board.index(0, COL_DEVICE)))

    # Confirmed by its API process a moment ago: open.
    assert await shown(20) == "verbunden"
    # Not confirmed for 5 minutes (the process that held it died): how long ago it reported.
    assert await shown(300) == "5:00"
    await finish(ui_ctx)
