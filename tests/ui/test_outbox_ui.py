"""The workstation through a database outage (real PostgreSQL behind a TCP proxy).

The main window keeps its queue, call-taking still creates incidents (stored offline, shown in
the queue as OFFLINE-<n>), the status bar counts them, and when the server is back they are
transferred and conflicts are shown in a non-modal dialog.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from app.domain.dto import IncidentDraft
from app.platform.changefeed import ChangeFollower, LinkState, last_change_id
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from app.services.resilient import PENDING_PREFIX, ResilientIncidents
from tests.multiws import fixtures
from tests.multiws.proxy import TcpProxy
from tests.ui.conftest import wait_until
from ui.asyncutil import cancel_all
from ui.context import ChangeBridge, UiContext
from ui.main_window import MainWindow
from ui.models.incident_queue import COL_NUMBER
from ui.outbox_ui import OutboxDialog, install

pg = fixtures.pg
proxy = fixtures.proxy
multiws_template = fixtures.multiws_template
PgDb = fixtures.PgDb
DISPO = Actor(None, "cli:dispo", Role.DISPATCHER, "Dora Dispo")


@pytest_asyncio.fixture
async def proxied(
    pg: PgDb, proxy: TcpProxy, tmp_path: Path
) -> AsyncIterator[tuple[UiContext, ChangeFollower, Services]]:
    """A workstation context whose database link runs through the proxy, and a direct one."""
    db = Database(pg.target(proxy.url_host_port), workstation="ws-ui")
    direct = Database(pg.target(), workstation="ws-other")
    services = Services.for_workstation(db, tmp_path)
    follower = ChangeFollower(db, after_id=await last_change_id(db), max_backoff=1.0)
    services.link.follow(lambda: follower.state == LinkState.ONLINE)
    ctx = UiContext(services=services, actor=DISPO, bridge=ChangeBridge(follower))
    follower.start()
    try:
        yield ctx, follower, Services.create(direct)
    finally:
        proxy.resume()
        await follower.stop()
        await cancel_all()
        await services.close()
        await db.dispose()
        await direct.dispose()


def _queue_numbers(window: MainWindow) -> list[str]:
    m = window.queue.model
    return [m.data(m.index(r, COL_NUMBER)) for r in range(m.rowCount())]


@pytest.mark.asyncio
async def test_outage_create_offline_replay_and_conflict_dialog(
    proxied: tuple[UiContext, ChangeFollower, Services],
    proxy: TcpProxy,
    qtbot: QtBot,
    tmp_path: Path,
    qtlog: object,
) -> None:
    ctx, follower, other = proxied
    known = await other.incidents.create(DISPO, IncidentDraft("noise", address="Marktplatz 1"))
    window = MainWindow(
        ctx, "test", QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    incidents = ctx.services.incidents
    controller = install(window)
    # Composed once in app/: the window shows the services' outbox and swaps nothing.
    assert isinstance(incidents, ResilientIncidents)
    assert controller is not None and controller.facade is incidents
    assert ctx.services.incidents is incidents
    button = window.findChild(QToolButton, "outboxButton")
    assert button is not None and button.isHidden()
    window.queue.model.reload()
    await wait_until(lambda: follower.state == LinkState.ONLINE, 5)
    await wait_until(lambda: _queue_numbers(window) == [known.number], 5)
    await ctx.services.incidents.get(DISPO, known.id)  # the detail pane had it open

    await proxy.go_down()
    await wait_until(lambda: follower.state == LinkState.OFFLINE, 5)
    # The queue keeps what it showed.
    assert _queue_numbers(window) == [known.number]
    offline = await ctx.services.incidents.create(
        DISPO, IncidentDraft("assault_staff", address="Rathaus, Friedrich-Ebert-Platz 1")
    )
    assert offline.number == f"{PENDING_PREFIX}{-offline.id}"
    await ctx.services.incidents.add_note(DISPO, known.id, "Anrufer meldet sich erneut")
    # The offline incident heads the queue (priority 1) and can be selected.
    assert _queue_numbers(window)[0] == offline.number
    assert window.queue.select_incident(offline.id)
    assert not button.isHidden() and "2" in button.text()
    # Meanwhile another workstation closes the incident the note was written to.
    await other.incidents.close(DISPO, known.id, known.version, "resolved")

    await proxy.come_back()
    await wait_until(lambda: follower.state == LinkState.ONLINE, 8)
    await wait_until(lambda: controller.facade.outbox.pending_count == 0, 8)
    await wait_until(lambda: button.isHidden(), 3)
    # The offline row gave way to the server's incident, which is selected instead.
    await wait_until(
        lambda: not any(n.startswith(PENDING_PREFIX) for n in _queue_numbers(window)), 5
    )
    await wait_until(lambda: len(_queue_numbers(window)) == 2, 5)
    resolution = controller.facade.outbox.resolution_by_seq(-offline.id)
    assert resolution is not None and resolution.number.startswith("E-")
    await wait_until(lambda: window.queue.selected_id() == resolution.incident_id, 5)
    assert (await other.incidents.get(DISPO, resolution.incident_id)).category == "assault_staff"
    # The conflict (note on an incident closed meanwhile) is shown, without blocking.
    dialog = window.findChild(OutboxDialog, "OutboxDialog")
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    assert dialog.conflicts.count() == 1
    assert known.number in dialog.conflicts.item(0).text()
    detail = await other.incidents.get(DISPO, known.id)
    assert detail.journal[-1].text == "Anrufer meldet sich erneut"

    await follower.stop()
    messages = [r.message for r in qtlog.records]  # type: ignore[attr-defined]
    assert not [m for m in messages if "QSocketNotifier" in m], messages
    dialog.close()
    window.close()


@pytest.mark.asyncio
async def test_hung_link_under_qasync_goes_offline_and_leaves_no_dangling_notifier(
    proxied: tuple[UiContext, ChangeFollower, Services], proxy: TcpProxy, qtlog: object
) -> None:
    """The follower's timed-out query is ended before its socket is closed (TECH-NOTES)."""
    _ctx, follower, _other = proxied
    await wait_until(lambda: follower.state == LinkState.ONLINE, 5)
    proxy.hang()
    await wait_until(lambda: follower.state == LinkState.OFFLINE, 5.5)
    proxy.resume()
    await wait_until(lambda: follower.state == LinkState.ONLINE, 8)
    proxy.cut()
    await wait_until(lambda: follower.state == LinkState.OFFLINE, 5)
    await wait_until(lambda: follower.state == LinkState.ONLINE, 8)
    await follower.stop()
    messages = [r.message for r in qtlog.records]  # type: ignore[attr-defined]
    assert not [m for m in messages if "QSocketNotifier" in m], messages
