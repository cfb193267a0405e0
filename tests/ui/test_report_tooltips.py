"""A Meldung's text comes from outside (a citizen on the Open311 platform, a phone call, a field
device): its tooltip in the work list shows it as written, never as markup."""

from __future__ import annotations

import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot

from app.domain.dto_work import ReportDraft
from tests.ui.conftest import wait_until
from tests.ui.test_work_items import settle
from ui.context import UiContext
from ui.models.reports import COL_SUBJECT
from ui.views.reports import ReportPane

HOSTILE = "<b>Achtung</b> <img src='file:///etc/passwd'> Müll\nam <i>Rhein</i> &amp;"


def shown(tooltip: str) -> str:
    """What a tooltip shows: Qt takes it as rich text when it looks like some."""
    doc = QTextDocument()
    if QtGui.Qt.mightBeRichText(tooltip):
        doc.setHtml(tooltip)
    else:
        doc.setPlainText(tooltip)
    return doc.toPlainText()


@pytest.mark.asyncio
async def test_meldung_text_with_markup_is_shown_as_written(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    await ui_ctx.services.reports.create(
        ui_ctx.actor, ReportDraft(subject="Sperrmüll", source="open311", text=HOSTILE)
    )
    pane = ReportPane(ui_ctx)
    qtbot.addWidget(pane)
    pane.model.reload()
    await wait_until(lambda: pane.model.rowCount() == 1)
    tooltip = pane.model.data(pane.model.index(0, COL_SUBJECT), Qt.ItemDataRole.ToolTipRole)
    assert shown(str(tooltip)) == HOSTILE
    await settle(ui_ctx)
