"""The whole workstation window as the program starts it: panes, layout, shortcuts, link state."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from pytestqt.qtbot import QtBot

from app.platform.changefeed import LinkState, LinkStatus
from app.services import Services
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from ui.dialogs.shortcut_help import ShortcutHelpDialog
from ui.workstation_window import start_window


async def _window(services: Services, tmp_path: Path, qtbot: QtBot):  # type: ignore[no-untyped-def]
    from app.platform.permissions import Role

    await services.users.add(ADMIN, "dispo", "Dora Dispo", Role.DISPATCHER, "geheim123")
    actor = await services.users.authenticate("dispo", "geheim123")
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    # As the program composes them: the incident service with the outbox on this workstation.
    workstation = Services.for_workstation(services.db, tmp_path)
    window, follower = await start_window(workstation, actor, "Test-DB", settings)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    return window, follower, settings


@pytest.mark.asyncio
async def test_start_window_installs_every_pane_and_the_outbox(
    services: Services, tmp_path: Path, qtbot: QtBot
) -> None:
    window, follower, _settings = await _window(services, tmp_path, qtbot)
    assert {"queue", "units", "detail", "tasks", "reports"} <= set(window.docks)
    assert window.outbox is not None
    assert (tmp_path / "outbox").exists() or any(tmp_path.iterdir())
    await wait_until(lambda: window.link_label.text() != window.tr("Connecting …"))
    keys = {k for info in window.commands.items() for k in info.keys.split(", ")}
    for portable in ("F1", "F2", "Ctrl+N", "Ctrl+D", "F5", "Ctrl+Q", "Ctrl+Shift+A"):
        expected = QKeySequence(portable).toString(QKeySequence.SequenceFormat.NativeText)
        assert expected in keys, expected
    # No key is bound to two window actions (Qt would fire neither: "ambiguous shortcut").
    bound = [
        seq.toString()
        for action in window.findChildren(QAction)
        for seq in action.shortcuts()
        if action.shortcutContext() != Qt.ShortcutContext.WidgetShortcut
    ]
    duplicates = {k for k in bound if bound.count(k) > 1}
    assert not duplicates, duplicates
    help_dialog = ShortcutHelpDialog(window.commands, window)
    qtbot.addWidget(help_dialog)
    assert help_dialog.table.rowCount() == len(window.commands.items())
    await follower.stop()


@pytest.mark.asyncio
async def test_layout_is_saved_per_user_and_can_be_reset(
    services: Services, tmp_path: Path, qtbot: QtBot
) -> None:
    window, follower, settings = await _window(services, tmp_path, qtbot)
    units = window.docks["units"]
    units.setFloating(True)
    window.save_layout()
    await follower.stop()
    window.close()
    again, follower2, _ = await _window_again(services, tmp_path, qtbot, settings)
    assert again.docks["units"].isFloating()
    again.reset_layout()
    assert not again.docks["units"].isFloating()
    assert settings.value("layout/dispo/state") is None
    await follower2.stop()


async def _window_again(services: Services, tmp_path: Path, qtbot: QtBot, settings: QSettings):  # type: ignore[no-untyped-def]
    actor = await services.users.authenticate("dispo", "geheim123")
    window, follower = await start_window(services, actor, "Test-DB", settings)
    qtbot.addWidget(window)
    window.show()
    return window, follower, settings


@pytest.mark.asyncio
async def test_offline_link_shows_banner_and_marks_queue_stale(
    services: Services, tmp_path: Path, qtbot: QtBot
) -> None:
    window, follower, _ = await _window(services, tmp_path, qtbot)
    since = datetime(2026, 11, 28, 13, 3, 12, tzinfo=UTC)
    window.on_link(LinkStatus(LinkState.OFFLINE, "Verbindung abgelehnt", since=since, retry_in=2.0))
    assert window.banners.connection.isVisibleTo(window)
    assert "14:03:12" in window.banners.connection.text()
    assert window.queue.stale_label.isVisibleTo(window)
    window.on_link(LinkStatus(LinkState.ONLINE))
    assert not window.banners.connection.isVisibleTo(window)
    assert not window.queue.stale_label.isVisibleTo(window)
    assert window.docks["queue"].widget() is window.queue
    assert window.dockWidgetArea(window.docks["queue"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    await follower.stop()
