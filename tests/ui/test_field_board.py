"""A device's status POST reaches the workstation's unit board model live (SQLite and
PostgreSQL), with the device's last report; a field Meldung is marked as such in the list."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.platform.config import DatabaseTarget
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
