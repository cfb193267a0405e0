"""The audit viewer as data protection and administration use it, on both engines.

The people log in as themselves (on PostgreSQL: their own server login, so the server's rights
apply); the records are written as the schema owner would. This file: the table, its filters
and details, and the pane in the workstation window; checking the chain and exporting:
tests/ui/test_audit_log_check_export.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.platform import audit
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.timeutil import format_local, utcnow
from app.services import Services
from tests.conftest import service_actions
from tests.test_audit_log_service import SCENE, _write_scene
from tests.ui.audit_log_pane import (
    Login,
    actions_shown,
    logins,
    open_pane,
    reloaded,
    usernames_shown,
    workstation_window,
)
from tests.ui.conftest import wait_until
from ui.asyncutil import pending_tasks
from ui.models.audit_log import (
    COL_ACTION,
    COL_ID,
    COL_OBJECT,
    COL_PERSON,
    COL_TIME,
    PAGE_SIZE,
    AuditLogTableModel,
    EntryRole,
    RefusedRole,
)
from ui.views import audit_log
from ui.views.audit_log import AuditLogPane


@pytest_asyncio.fixture
async def login(services: Services) -> AsyncIterator[Login]:
    """Log a person of a role in as themselves (a real server login on PostgreSQL)."""
    async with logins(services) as make:
        yield make


@pytest.mark.asyncio
async def test_model_passes_qtmodeltester_and_shows_refused_attempts_visibly(
    services: Services, db: Database, login: Login, qtmodeltester: ModelTester
) -> None:
    await _write_scene(db)
    ctx = await login(Role.DATA_PROTECTION)
    model = AuditLogTableModel(ctx.services.audit_log, ctx.actor)
    await model.wait_loaded()
    qtmodeltester.check(model, force_py=True)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == [
        "Nr.",
        "Zeit",
        "Person",
        "Aktion",
        "Objekt",
        "Arbeitsplatz",
    ]
    rows = {model.entry_at(r).action: r for r in range(model.rowCount())}  # type: ignore[union-attr]
    reopen = rows["incident.reopen"]
    entry = model.data(model.index(reopen, COL_ID), EntryRole)
    assert model.data(model.index(reopen, COL_ID)) == str(entry.id)
    assert model.data(model.index(reopen, COL_TIME)) == format_local(
        entry.occurred_at, with_seconds=True
    )
    assert model.data(model.index(reopen, COL_PERSON)) == "anna"
    assert model.data(model.index(reopen, COL_ACTION)) == "Einsatz wieder geöffnet"
    assert model.data(model.index(reopen, COL_OBJECT)) == "Einsatz 8"
    assert model.data(model.index(reopen, COL_ACTION), Qt.ItemDataRole.ToolTipRole) == (
        "incident.reopen"
    )
    assert model.data(model.index(reopen, COL_ACTION), Qt.ItemDataRole.ForegroundRole) is None
    # A refused attempt: red, bold, a stop sign in the action column and a tooltip saying so.
    locked = model.index(rows["login.locked"], COL_ACTION)
    assert model.data(locked) == "Konto nach Fehlversuchen gesperrt"
    assert model.data(locked, RefusedRole) is True
    assert model.data(locked, Qt.ItemDataRole.FontRole).bold()
    assert model.data(locked, Qt.ItemDataRole.ForegroundRole).color().name() == "#b00020"
    assert not model.data(locked, Qt.ItemDataRole.DecorationRole).isNull()
    assert model.data(locked, Qt.ItemDataRole.ToolTipRole) == ("Abgewiesener Versuch: login.locked")
    assert model.flags(locked) & Qt.ItemFlag.ItemIsEditable == Qt.ItemFlag.NoItemFlags


@pytest.mark.asyncio
async def test_pages_load_lazily_newest_first(
    services: Services, db: Database, login: Login
) -> None:
    now = utcnow()
    async with db.write_session() as s:
        for k in range(PAGE_SIZE * 2 + 50):
            await audit.append(
                s,
                occurred_at=now - timedelta(minutes=1000 - k),
                user_id=None,
                username="massen",
                action="incident.note",
                entity="incident",
                entity_id=k,
            )
    ctx = await login(Role.DATA_PROTECTION)
    model = AuditLogTableModel(ctx.services.audit_log, ctx.actor)
    model.set_query(model.query.__class__(person="massen"))
    await wait_until(lambda: model.rowCount() == PAGE_SIZE)
    assert model.total == PAGE_SIZE * 2 + 50 and model.canFetchMore()
    model.fetchMore()
    assert not model.canFetchMore()  # one page at a time
    await wait_until(lambda: model.rowCount() == PAGE_SIZE * 2)
    model.fetchMore()
    await wait_until(lambda: model.rowCount() == PAGE_SIZE * 2 + 50)
    assert not model.canFetchMore()
    ids = [model.entry_at(r).entity_id for r in range(model.rowCount())]  # type: ignore[union-attr]
    assert ids == list(range(PAGE_SIZE * 2 + 49, -1, -1))


@pytest.mark.asyncio
async def test_filters_from_the_keyboard_give_the_right_records(
    services: Services, db: Database, login: Login, qtbot: QtBot, ui_errors: list[BaseException]
) -> None:
    base = await _write_scene(db)
    ctx = await login(Role.DATA_PROTECTION)
    pane = open_pane(ctx, qtbot)
    await reloaded(pane, pane.start)
    bar = pane.filter

    pane.activateWindow()
    bar.person.setFocus()
    qtbot.keyClicks(bar.person, "ann")
    await reloaded(pane, lambda: qtbot.keyClick(bar.person, Qt.Key.Key_Return))
    assert actions_shown(pane) == [
        "report.create",
        "incident.reopen",
        "incident.update",
        "incident.create",
    ]
    assert pane.count_label.text().startswith("4 Einträge · Stand ")
    # Esc clears every filter field.
    await reloaded(pane, lambda: qtbot.keyClick(bar.person, Qt.Key.Key_Escape))
    assert bar.person.text() == "" and "anna" in {e for e in usernames_shown(pane)}
    assert {"carla", "bernd"} <= set(usernames_shown(pane))

    qtbot.keyClicks(bar.action, "Anmeldung")
    await reloaded(pane, lambda: qtbot.keyClick(bar.action, Qt.Key.Key_Enter))
    assert actions_shown(pane) == ["login.failed"]  # "Anmeldung fehlgeschlagen" (and "Angemeldet"?)
    bar.clear()
    await wait_until(lambda: not pane.model.loading)

    await reloaded(pane, lambda: bar.refused.setChecked(True))
    assert actions_shown(pane) == ["login.locked", "login.failed", "permission.denied"]
    await reloaded(pane, lambda: bar.refused.setChecked(False))

    incident = bar.entity.findData("incident")
    bar.entity.setCurrentIndex(incident)
    qtbot.keyClicks(bar.entity_id, "7")
    await reloaded(pane, lambda: qtbot.keyClick(bar.entity_id, Qt.Key.Key_Return))
    assert actions_shown(pane) == ["incident.update", "incident.create"]
    await reloaded(pane, lambda: bar.row_changes.setChecked(True))
    assert actions_shown(pane) == ["db.update", "incident.update", "incident.create"]
    assert pane.model.data(pane.model.index(0, COL_ACTION)) == "Zeile geändert (Serverprotokoll)"
    await reloaded(pane, bar.clear)

    # A period: from inclusive, to exclusive; Enter in the date field applies.
    bar.since.edit.set_value(base + timedelta(hours=2))
    bar.until.edit.set_value(base + timedelta(hours=4))
    await reloaded(pane, lambda: bar.since.check.setChecked(True))
    await reloaded(pane, lambda: bar.until.check.setChecked(True))
    assert actions_shown(pane) == ["task.create", "incident.update"]
    bar.until.edit.set_value(base + timedelta(hours=3, minutes=30))
    await reloaded(pane, lambda: qtbot.keyClick(bar.until.edit, Qt.Key.Key_Return))
    assert actions_shown(pane) == ["task.create", "incident.update"]
    # A period backwards: a German message in the pane, no dialog.
    bar.until.edit.set_value(base)
    await reloaded(pane, lambda: qtbot.keyClick(bar.until.edit, Qt.Key.Key_Return))
    assert pane.model.rowCount() == 0
    assert pane.status.text() == "Der Beginn des Zeitraums muss vor seinem Ende liegen."
    assert pane.count_label.text() == "0 Einträge"
    assert ui_errors == []


@pytest.mark.asyncio
async def test_details_of_the_selected_record_are_readable(
    services: Services, db: Database, login: Login, qtbot: QtBot
) -> None:
    await _write_scene(db)
    ctx = await login(Role.DATA_PROTECTION)
    pane = open_pane(ctx, qtbot)
    await reloaded(pane, pane.start)
    pane.focus_main()
    reopen = actions_shown(pane).index("incident.reopen")
    pane.select_entry(pane.model.entry_at(reopen).id)  # type: ignore[union-attr]
    shown = pane.detail.toPlainText()
    for part in ("Wer", "anna", "Was", "Einsatz wieder geöffnet (incident.reopen)", "Objekt"):
        assert part in shown
    assert "Einsatz 8" in shown and "Anruf ergänzt" in shown and "ws-3" in shown
    created = actions_shown(pane).index("incident.create")
    pane.select_entry(pane.model.entry_at(created).id)  # type: ignore[union-attr]
    assert '{\n  "number": "E-2026-7"\n}' in pane.detail.toPlainText()
    locked = actions_shown(pane).index("login.locked")
    pane.select_entry(pane.model.entry_at(locked).id)  # type: ignore[union-attr]
    assert "Abgewiesener Versuch" in pane.detail.toPlainText()
    assert pane.detail.isReadOnly()


@pytest.mark.asyncio
async def test_only_roles_that_read_or_verify_get_the_pane(
    services: Services, login: Login, tmp_path: Path, qtbot: QtBot
) -> None:
    window, follower = await workstation_window(await login(Role.DISPATCHER), tmp_path, qtbot)
    assert "audit" not in window.docks
    assert audit_log.install(window) is None
    await follower.stop()


@pytest.mark.asyncio
async def test_data_protection_window_opens_on_the_audit_log_without_an_error(
    services: Services,
    db: Database,
    login: Login,
    tmp_path: Path,
    qtbot: QtBot,
    ui_errors: list[BaseException],
) -> None:
    await _write_scene(db)
    window, follower = await workstation_window(await login(Role.DATA_PROTECTION), tmp_path, qtbot)
    window.resize(1366, 768)
    window.show()
    pane = window.findChild(AuditLogPane)
    assert pane is not None and window.docks["audit"].isVisible()
    # The incident panes (nothing this role may see) are put away, not erroring.
    assert not window.docks["queue"].isVisible() and not window.docks["detail"].isVisible()
    await wait_until(lambda: "incident.create" in actions_shown(pane))
    # Whatever the incident queue started has finished (it should have started nothing).
    await wait_until(
        lambda: not any("IncidentQueue" in t.get_coro().__qualname__ for t in pending_tasks())
    )
    assert ui_errors == [] and window.queue.model.rowCount() == 0
    # The window asked for nothing this role may not see: no refusal besides the scene's own.
    assert service_actions(db).count("permission.denied") == 1
    # Ctrl+6 comes here; F5 in the pane reloads the log.
    window.activateWindow()
    await wait_until(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    assert pane.table.hasFocus() or pane.table.isAncestorOf(QApplication.focusWidget())
    # Ctrl+F in the pane goes to its filter (not to the hidden queue's search).
    qtbot.keyClick(pane.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert pane.filter.person.hasFocus() and not window.docks["queue"].isVisible()
    before = Counter(actions_shown(pane))
    await _write_scene(db)
    await reloaded(pane, lambda: qtbot.keyClick(pane.filter.person, Qt.Key.Key_F5))
    # The scene's entries came (one is not shown), besides this window's own audited reads
    # (the clip-access report, read in the background, counts as an audit export).
    added = Counter(actions_shown(pane)) - before
    assert sum(added.values()) - added["audit.export"] == len(SCENE) - 1
    assert ui_errors == []
    await follower.stop()
