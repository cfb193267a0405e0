"""The audit viewer as data protection and administration use it, on both engines.

The people log in as themselves (on PostgreSQL: their own server login, so the server's rights
apply); the records are written as the schema owner would.
"""

from __future__ import annotations

import csv
import io
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.platform import audit
from app.platform.audit import VerifyResult
from app.platform.database import Database
from app.platform.errors import PermissionDenied
from app.platform.permissions import Role
from app.platform.timeutil import format_local, utcnow
from app.services import Services
from app.services import audit_log as audit_log_module
from app.services.login import Session, log_in
from tests.conftest import ADMIN, service_actions, tamper
from tests.test_audit_log_service import SCENE, _write_scene, unwritable_folder
from tests.ui.conftest import wait_until
from ui.asyncutil import pending_tasks
from ui.context import ChangeBridge, UiContext
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
from ui.views.audit_chain import ChainCheckPanel
from ui.views.audit_log import AuditLogPane
from ui.workstation_window import start_window

NAMES = {Role.DATA_PROTECTION: "dsb", Role.ADMIN: "verwaltung", Role.DISPATCHER: "dispo"}
Login = Callable[[Role], Any]


@pytest_asyncio.fixture
async def login(services: Services) -> AsyncIterator[Login]:
    """Log a person of a role in as themselves (a real server login on PostgreSQL)."""
    sessions: list[Session] = []

    async def make(role: Role) -> UiContext:
        name = NAMES[role]
        await services.users.add(ADMIN, name, name.title(), role, "geheim123")
        session = await log_in(services.db.target, name, "geheim123", workstation="ws-dsb")
        sessions.append(session)
        return UiContext(session.services, session.actor, ChangeBridge())

    yield make
    for session in sessions:
        await session.close()


def _pane(ctx: UiContext, qtbot: QtBot) -> AuditLogPane:
    pane = AuditLogPane(ctx)
    qtbot.addWidget(pane)
    pane.resize(1200, 700)
    pane.show()
    return pane


async def _loaded(pane: AuditLogPane, action: Callable[[], object]) -> None:
    """Do ``action`` and wait until the table has reloaded (or said why it could not)."""
    done: list[object] = []

    def finished(value: object) -> None:
        done.append(value)

    pane.model.loaded.connect(finished)
    pane.model.failed.connect(finished)
    try:
        action()
        await wait_until(lambda: done)
    finally:
        pane.model.loaded.disconnect(finished)
        pane.model.failed.disconnect(finished)


async def _checked(chain: ChainCheckPanel, action: Callable[[], object]) -> VerifyResult:
    """Do ``action`` and wait for the chain check it starts."""
    results: list[VerifyResult] = []
    chain.verified.connect(results.append)
    try:
        action()
        await wait_until(lambda: results, timeout=20)
    finally:
        chain.verified.disconnect(results.append)
    return results[0]


def _actions(pane: AuditLogPane) -> list[str]:
    return [pane.model.entry_at(r).action for r in range(pane.model.rowCount())]  # type: ignore[union-attr]


def _sync(db: Database, sql: str, **params: Any) -> Any:
    engine = db.sync_engine()
    try:
        with engine.begin() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


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
    pane = _pane(ctx, qtbot)
    await _loaded(pane, pane.start)
    bar = pane.filter

    pane.activateWindow()
    bar.person.setFocus()
    qtbot.keyClicks(bar.person, "ann")
    await _loaded(pane, lambda: qtbot.keyClick(bar.person, Qt.Key.Key_Return))
    assert _actions(pane) == [
        "report.create",
        "incident.reopen",
        "incident.update",
        "incident.create",
    ]
    assert pane.count_label.text().startswith("4 Einträge · Stand ")
    # Esc clears every filter field.
    await _loaded(pane, lambda: qtbot.keyClick(bar.person, Qt.Key.Key_Escape))
    assert bar.person.text() == "" and "anna" in {e for e in _usernames(pane)}
    assert {"carla", "bernd"} <= set(_usernames(pane))

    qtbot.keyClicks(bar.action, "Anmeldung")
    await _loaded(pane, lambda: qtbot.keyClick(bar.action, Qt.Key.Key_Enter))
    assert _actions(pane) == ["login.failed"]  # "Anmeldung fehlgeschlagen" (and "Angemeldet"?)
    bar.clear()
    await wait_until(lambda: not pane.model.loading)

    await _loaded(pane, lambda: bar.refused.setChecked(True))
    assert _actions(pane) == ["login.locked", "login.failed", "permission.denied"]
    await _loaded(pane, lambda: bar.refused.setChecked(False))

    incident = bar.entity.findData("incident")
    bar.entity.setCurrentIndex(incident)
    qtbot.keyClicks(bar.entity_id, "7")
    await _loaded(pane, lambda: qtbot.keyClick(bar.entity_id, Qt.Key.Key_Return))
    assert _actions(pane) == ["incident.update", "incident.create"]
    await _loaded(pane, lambda: bar.row_changes.setChecked(True))
    assert _actions(pane) == ["db.update", "incident.update", "incident.create"]
    assert pane.model.data(pane.model.index(0, COL_ACTION)) == "Zeile geändert (Serverprotokoll)"
    await _loaded(pane, bar.clear)

    # A period: from inclusive, to exclusive; Enter in the date field applies.
    bar.since.edit.set_value(base + timedelta(hours=2))
    bar.until.edit.set_value(base + timedelta(hours=4))
    await _loaded(pane, lambda: bar.since.check.setChecked(True))
    await _loaded(pane, lambda: bar.until.check.setChecked(True))
    assert _actions(pane) == ["task.create", "incident.update"]
    bar.until.edit.set_value(base + timedelta(hours=3, minutes=30))
    await _loaded(pane, lambda: qtbot.keyClick(bar.until.edit, Qt.Key.Key_Return))
    assert _actions(pane) == ["task.create", "incident.update"]
    # A period backwards: a German message in the pane, no dialog.
    bar.until.edit.set_value(base)
    await _loaded(pane, lambda: qtbot.keyClick(bar.until.edit, Qt.Key.Key_Return))
    assert pane.model.rowCount() == 0
    assert pane.status.text() == "Der Beginn des Zeitraums muss vor seinem Ende liegen."
    assert pane.count_label.text() == "0 Einträge"
    assert ui_errors == []


def _usernames(pane: AuditLogPane) -> list[str]:
    return [pane.model.entry_at(r).username for r in range(pane.model.rowCount())]  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_details_of_the_selected_record_are_readable(
    services: Services, db: Database, login: Login, qtbot: QtBot
) -> None:
    await _write_scene(db)
    ctx = await login(Role.DATA_PROTECTION)
    pane = _pane(ctx, qtbot)
    await _loaded(pane, pane.start)
    pane.focus_main()
    reopen = _actions(pane).index("incident.reopen")
    pane.select_entry(pane.model.entry_at(reopen).id)  # type: ignore[union-attr]
    shown = pane.detail.toPlainText()
    for part in ("Wer", "anna", "Was", "Einsatz wieder geöffnet (incident.reopen)", "Objekt"):
        assert part in shown
    assert "Einsatz 8" in shown and "Anruf ergänzt" in shown and "ws-3" in shown
    created = _actions(pane).index("incident.create")
    pane.select_entry(pane.model.entry_at(created).id)  # type: ignore[union-attr]
    assert '{\n  "number": "E-2026-7"\n}' in pane.detail.toPlainText()
    locked = _actions(pane).index("login.locked")
    pane.select_entry(pane.model.entry_at(locked).id)  # type: ignore[union-attr]
    assert "Abgewiesener Versuch" in pane.detail.toPlainText()
    assert pane.detail.isReadOnly()


@pytest.mark.asyncio
async def test_verify_from_the_pane_shows_intact_then_the_tampered_record(
    services: Services, db: Database, login: Login, qtbot: QtBot
) -> None:
    await _write_scene(db)
    ctx = await login(Role.DATA_PROTECTION)
    pane = _pane(ctx, qtbot)
    await _loaded(pane, pane.start)
    chain = pane.chain
    await wait_until(lambda: len(chain.head.text()) == 64)
    head = chain.head.text()
    # Copyable: the button (or Ctrl+Shift+C) puts it on the clipboard.
    chain.copy_button.click()
    assert QGuiApplication.clipboard().text() == head

    intact = await _checked(
        chain,
        lambda: qtbot.keyClick(
            pane.table,
            Qt.Key.Key_P,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        ),
    )
    assert intact.ok
    assert chain.result.text().startswith("✔ Audit-Protokoll intakt:")
    assert chain.result.property("ok") is True

    # With the anchor from a shift report (pasted with spaces): still intact after more writes.
    await _write_scene(db)
    chain.anchor.setText(f" {head} ")
    anchored = await _checked(chain, lambda: qtbot.keyClick(chain.anchor, Qt.Key.Key_Return))
    assert anchored.ok

    victim = _sync(db, "select min(id) from audit_log where action = 'task.create'")
    engine = db.sync_engine()
    try:
        with engine.begin() as conn:
            tamper(conn, "update audit_log set username = 'x' where id = :i", {"i": victim})
    finally:
        engine.dispose()
    chain.anchor.clear()
    broken = await _checked(chain, lambda: chain.verify_button.click())
    assert not broken.ok
    assert chain.result.text() == (
        f"✖ Audit-Protokoll NICHT intakt: Eintrag {victim} wurde nach dem Schreiben geändert."
    )
    assert chain.result.property("ok") is False
    # Not a hash: said plainly, nothing checked.
    chain.anchor.setText("Schichtbericht")
    chain.verify_button.click()
    assert "64 Zeichen" in chain.result.text() and not chain.running


@pytest.mark.asyncio
async def test_verification_and_export_run_off_the_gui_thread(
    services: Services,
    db: Database,
    login: Login,
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the chain is checked or the file written, the window keeps handling events.

    The slow step is held until a Qt timer has fired on the GUI thread: on the GUI thread
    itself it would wait in vain (and the test fail), in a worker it is released at once.
    """
    await _write_scene(db)
    ctx = await login(Role.DATA_PROTECTION)
    pane = _pane(ctx, qtbot)
    await _loaded(pane, pane.start)
    released = threading.Event()
    held_on_gui: list[bool] = []

    def hold() -> None:
        held_on_gui.append(threading.current_thread() is threading.main_thread())
        QTimer.singleShot(0, pane, released.set)  # runs in the GUI thread's event loop
        assert released.wait(5), "the GUI thread handled no event while the step ran"
        released.clear()

    real_verify = audit.verify_connection
    real_csv = audit_log_module.csv_text

    def slow_verify(conn: Any, expect_head: str | None = None) -> audit.VerifyResult:
        hold()
        return real_verify(conn, expect_head)

    def slow_csv(rows: Any) -> str:
        hold()
        return real_csv(rows)

    monkeypatch.setattr(audit, "verify_connection", slow_verify)
    monkeypatch.setattr(audit_log_module, "csv_text", slow_csv)
    checked = await _checked(pane.chain, lambda: pane.chain.verify())
    assert checked.ok
    await _export_via_dialog(pane, qtbot, tmp_path / "a.csv")
    await wait_until(lambda: pane.status.property("ok") is True, timeout=10)
    assert held_on_gui == [False, False]


async def _export_via_dialog(pane: AuditLogPane, qtbot: QtBot, path: Path) -> None:
    pane.activateWindow()
    await wait_until(pane.isActiveWindow)
    pane.table.setFocus()
    qtbot.keyClick(
        pane.table,
        Qt.Key.Key_E,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    await wait_until(lambda: pane.export_dialog is not None and pane.export_dialog.isVisible())
    dialog = pane.export_dialog
    assert dialog is not None
    assert dialog.selectedFiles()[0].endswith(".csv")
    assert Path(dialog.selectedFiles()[0]).name.startswith("Audit-Protokoll-")
    dialog.selectFile(str(path))
    dialog.accept()


@pytest.mark.asyncio
async def test_export_writes_the_filtered_records_and_a_failure_says_why(
    services: Services, db: Database, login: Login, qtbot: QtBot, tmp_path: Path
) -> None:
    await _write_scene(db)
    ctx = await login(Role.DATA_PROTECTION)
    pane = _pane(ctx, qtbot)
    await _loaded(pane, pane.start)
    await _loaded(pane, lambda: pane.filter.refused.setChecked(True))
    target = tmp_path / "abgewiesen.csv"
    await _export_via_dialog(pane, qtbot, target)
    await wait_until(lambda: pane.status.property("ok") is True)
    assert pane.status.text() == f"3 Einträge nach {target} exportiert."
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [line[3] for line in lines[1:]] == ["login.locked", "login.failed", "permission.denied"]
    assert lines[1][4] == "Konto nach Fehlversuchen gesperrt"

    # A folder that cannot be written: a German message in the pane; the table, the filter
    # and the earlier file stay as they were, and no export is recorded.
    shown = _actions(pane)
    exports = service_actions(db).count("audit.export")
    folder = unwritable_folder(tmp_path)
    await _export_via_dialog(pane, qtbot, folder / "protokoll.csv")
    await wait_until(lambda: pane.status.property("ok") is False)
    assert "konnte nicht nach" in pane.status.text()
    assert "keine Schreibberechtigung" in pane.status.text()
    assert _actions(pane) == shown and pane.filter.refused.isChecked()
    assert service_actions(db).count("audit.export") == exports
    assert target.read_bytes() == raw
    assert pane.export_button.isEnabled()


@pytest.mark.asyncio
async def test_administration_verifies_but_sees_no_records(
    services: Services,
    db: Database,
    login: Login,
    qtbot: QtBot,
    ui_errors: list[BaseException],
) -> None:
    await _write_scene(db)
    ctx = await login(Role.ADMIN)
    refusals = service_actions(db).count("permission.denied")
    pane = _pane(ctx, qtbot)
    pane.start()
    assert not pane.can_read and pane.can_verify
    assert pane.notice.isVisible() and "nicht seine Einträge lesen" in pane.notice.text()
    assert not pane.table.isVisible() and not pane.filter.isVisible()
    assert not pane.export_button.isVisible()
    await wait_until(lambda: len(pane.chain.head.text()) == 64)
    checked = await _checked(
        pane.chain,
        lambda: qtbot.keyClick(
            pane.chain.verify_button,
            Qt.Key.Key_P,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        ),
    )
    assert checked.ok and "intakt" in pane.chain.result.text()
    # The pane never asked for what the role may not read (no refusal in the log).
    assert service_actions(db).count("permission.denied") == refusals
    assert pane.model.rowCount() == 0 and ui_errors == []
    if not db.target.is_sqlite:
        # The server itself refuses this login the records.
        with pytest.raises(PermissionDenied):
            async with ctx.services.db.read() as s:
                await s.execute(text("select * from audit_log"))


async def _window(ctx: UiContext, tmp_path: Path, qtbot: QtBot) -> tuple[Any, Any]:
    """The whole workstation window as the program builds it for ``ctx``'s person."""
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window, follower = await start_window(ctx.services, ctx.actor, "Test-DB", settings)
    qtbot.addWidget(window)
    return window, follower


@pytest.mark.asyncio
async def test_only_roles_that_read_or_verify_get_the_pane(
    services: Services, login: Login, tmp_path: Path, qtbot: QtBot
) -> None:
    window, follower = await _window(await login(Role.DISPATCHER), tmp_path, qtbot)
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
    window, follower = await _window(await login(Role.DATA_PROTECTION), tmp_path, qtbot)
    window.resize(1366, 768)
    window.show()
    pane = window.findChild(AuditLogPane)
    assert pane is not None and window.docks["audit"].isVisible()
    # The incident panes (nothing this role may see) are put away, not erroring.
    assert not window.docks["queue"].isVisible() and not window.docks["detail"].isVisible()
    await wait_until(lambda: "incident.create" in _actions(pane))
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
    before = Counter(_actions(pane))
    await _write_scene(db)
    await _loaded(pane, lambda: qtbot.keyClick(pane.filter.person, Qt.Key.Key_F5))
    # The scene's entries came (one is not shown), besides this window's own audited reads
    # (the clip-access report, read in the background, counts as an audit export).
    added = Counter(_actions(pane)) - before
    assert sum(added.values()) - added["audit.export"] == len(SCENE) - 1
    assert ui_errors == []
    await follower.stop()
