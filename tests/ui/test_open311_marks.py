"""A citizen's request closed on the Open311 platform shows in the Meldungen work list.

The intake polls a local platform replaying Mark-a-Spot's recorded answers (see
tests/open311/README.md); the live list marks the Meldung that is still open here, in the
status column and in the pane's notice, until the dispatcher closes it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.domain.dto_work import ReportQuery
from app.services.open311_loop import run_poller
from tests.conftest import ADMIN
from tests.open311_platform import Platform, running_platform
from tests.ui.conftest import wait_until
from tests.ui.test_work_items import settle
from ui.context import UiContext
from ui.models.reports import COL_STATUS, PLATFORM_MARK_COLOUR
from ui.views.reports import ReportPane


@pytest.fixture
def platform() -> Iterator[Platform]:
    with running_platform() as state:
        yield state


async def _no_wait(_seconds: float) -> None:
    return None


async def _poll(ctx: UiContext) -> None:
    await run_poller(ctx.services.db, ctx.actor, asyncio.Event(), once=True, sleep=_no_wait)


@pytest.mark.asyncio
async def test_closed_on_the_platform_is_marked_in_the_work_list(
    ui_ctx: UiContext, qtbot: QtBot, qtmodeltester: ModelTester, platform: Platform
) -> None:
    settings = ui_ctx.services.settings
    await settings.set(ADMIN, "open311.base_url", platform.base)
    await settings.set(ADMIN, "open311.category_map", json.dumps({"0009": "waste"}))
    await settings.set(ADMIN, "open311.report_progress", False)
    platform.serve_file("markaspot_requests.json")
    await _poll(ui_ctx)
    pane = ReportPane(ui_ctx)
    qtbot.addWidget(pane)
    pane.show()
    pane.model.reload()
    await wait_until(lambda: pane.model.rowCount() == 2)
    rows = await ui_ctx.services.reports.page(ui_ctx.actor, ReportQuery(open_only=True))
    waste = next(r for r in rows if r.external_id == "4711-2026")
    assert pane.select_report(waste.id)
    assert pane.link_label.text() == ""

    platform.serve_only("markaspot_update.json")
    await _poll(ui_ctx)

    def status_cell() -> str:
        row = next(
            i
            for i in range(pane.model.rowCount())
            if pane.model.row_at(i).id == waste.id  # type: ignore[union-attr]
        )
        return str(pane.model.data(pane.model.index(row, COL_STATUS)))

    await wait_until(lambda: status_cell() == "Neu · auf der Plattform erledigt")
    qtmodeltester.check(pane.model, force_py=True)
    index = next(
        pane.model.index(i, COL_STATUS)
        for i in range(pane.model.rowCount())
        if pane.model.row_at(i).id == waste.id  # type: ignore[union-attr]
    )
    assert pane.model.data(index, Qt.ItemDataRole.ForegroundRole).color() == PLATFORM_MARK_COLOUR
    tooltip = pane.model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert "Auf der Bürgerplattform erledigt" in tooltip and "AVEA" in tooltip
    # Still an open Meldung, still selectable; the pane says what the platform did.
    assert pane.select_report(waste.id)
    await wait_until(lambda: "AVEA" in pane.link_label.text())
    assert "Schließen Sie die Meldung hier" in pane.link_label.text()
    assert pane.close_button.isEnabled()

    await ui_ctx.services.reports.set_status(ui_ctx.actor, waste.id, None, "closed")
    await wait_until(lambda: pane.model.rowCount() == 1)  # left the open reports
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_the_report_dialog_shows_what_the_platform_says(
    ui_ctx: UiContext, qtbot: QtBot, platform: Platform
) -> None:
    from app.domain.dto_work import ReportDraft
    from ui.dialogs.reports import ReportDialog

    settings = ui_ctx.services.settings
    await settings.set(ADMIN, "open311.base_url", platform.base)
    await settings.set(ADMIN, "open311.category_map", json.dumps({"0009": "waste"}))
    await settings.set(ADMIN, "open311.report_progress", False)
    platform.serve_file("markaspot_requests.json")
    await _poll(ui_ctx)
    platform.serve_only("markaspot_update.json")
    await _poll(ui_ctx)
    rows = await ui_ctx.services.reports.page(ui_ctx.actor, ReportQuery(open_only=True))
    waste = next(r for r in rows if r.external_id == "4711-2026")

    dialog = ReportDialog(ui_ctx, waste)
    qtbot.addWidget(dialog)
    dialog.show()
    # The same words as the work list's tooltip, read-only (a label, not a field to edit).
    assert dialog.platform.isVisibleTo(dialog)
    shown = dialog.platform.text()
    assert "Auf der Bürgerplattform erledigt" in shown and "AVEA" in shown
    assert "Schließen Sie die Meldung hier" in shown
    assert "Hinweis:" in shown
    assert "platform" not in dialog.values() and "external_note" not in dialog.values()

    # A Meldung taken at the desk has nothing from the platform: no such row.
    desk = await ui_ctx.services.reports.create(
        ui_ctx.actor, ReportDraft(subject="Laubbläser am Sonntag")
    )
    plain = ReportDialog(ui_ctx, desk)
    qtbot.addWidget(plain)
    plain.show()
    assert not plain.platform.isVisibleTo(plain)
    new = ReportDialog(ui_ctx, None)
    qtbot.addWidget(new)
    new.show()
    assert not new.platform.isVisibleTo(new)
    await settle(ui_ctx)
