"""The audit viewer checking the hash chain and exporting, as data protection and
administration use it, on both engines.

The people log in as themselves (on PostgreSQL: their own server login, so the server's rights
apply); the records are written as the schema owner would.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.platform import audit
from app.platform.database import Database
from app.platform.errors import PermissionDenied
from app.platform.permissions import Role
from app.services import Services
from app.services import audit_log as audit_log_module
from tests.conftest import service_actions, tamper
from tests.test_audit_log_service import _write_scene, unwritable_folder
from tests.ui.audit_log_pane import (
    Login,
    actions_shown,
    chain_checked,
    export_via_dialog,
    logins,
    open_pane,
    reloaded,
    scalar,
)
from tests.ui.conftest import wait_until


@pytest_asyncio.fixture
async def login(services: Services) -> AsyncIterator[Login]:
    """Log a person of a role in as themselves (a real server login on PostgreSQL)."""
    async with logins(services) as make:
        yield make


@pytest.mark.asyncio
async def test_verify_from_the_pane_shows_intact_then_the_tampered_record(
    services: Services, db: Database, login: Login, qtbot: QtBot
) -> None:
    await _write_scene(db)
    ctx = await login(Role.DATA_PROTECTION)
    pane = open_pane(ctx, qtbot)
    await reloaded(pane, pane.start)
    chain = pane.chain
    await wait_until(lambda: len(chain.head.text()) == 64)
    head = chain.head.text()
    # Copyable: the button (or Ctrl+Shift+C) puts it on the clipboard.
    chain.copy_button.click()
    assert QGuiApplication.clipboard().text() == head

    intact = await chain_checked(
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
    anchored = await chain_checked(chain, lambda: qtbot.keyClick(chain.anchor, Qt.Key.Key_Return))
    assert anchored.ok

    victim = scalar(db, "select min(id) from audit_log where action = 'task.create'")
    engine = db.sync_engine()
    try:
        with engine.begin() as conn:
            tamper(conn, "update audit_log set username = 'x' where id = :i", {"i": victim})
    finally:
        engine.dispose()
    chain.anchor.clear()
    broken = await chain_checked(chain, lambda: chain.verify_button.click())
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
    pane = open_pane(ctx, qtbot)
    await reloaded(pane, pane.start)
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
    checked = await chain_checked(pane.chain, lambda: pane.chain.verify())
    assert checked.ok
    await export_via_dialog(pane, qtbot, tmp_path / "a.csv")
    await wait_until(lambda: pane.status.property("ok") is True, timeout=10)
    assert held_on_gui == [False, False]


@pytest.mark.asyncio
async def test_export_writes_the_filtered_records_and_a_failure_says_why(
    services: Services, db: Database, login: Login, qtbot: QtBot, tmp_path: Path
) -> None:
    await _write_scene(db)
    ctx = await login(Role.DATA_PROTECTION)
    pane = open_pane(ctx, qtbot)
    await reloaded(pane, pane.start)
    await reloaded(pane, lambda: pane.filter.refused.setChecked(True))
    target = tmp_path / "abgewiesen.csv"
    await export_via_dialog(pane, qtbot, target)
    await wait_until(lambda: pane.status.property("ok") is True)
    assert pane.status.text() == f"3 Einträge nach {target} exportiert."
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [line[3] for line in lines[1:]] == ["login.locked", "login.failed", "permission.denied"]
    assert lines[1][4] == "Konto nach Fehlversuchen gesperrt"

    # A folder that cannot be written: a German message in the pane; the table, the filter
    # and the earlier file stay as they were, and no export is recorded.
    shown = actions_shown(pane)
    exports = service_actions(db).count("audit.export")
    folder = unwritable_folder(tmp_path)
    await export_via_dialog(pane, qtbot, folder / "protokoll.csv")
    await wait_until(lambda: pane.status.property("ok") is False)
    assert "konnte nicht nach" in pane.status.text()
    assert "keine Schreibberechtigung" in pane.status.text()
    assert actions_shown(pane) == shown and pane.filter.refused.isChecked()
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
    pane = open_pane(ctx, qtbot)
    pane.start()
    assert not pane.can_read and pane.can_verify
    assert pane.notice.isVisible() and "nicht seine Einträge lesen" in pane.notice.text()
    assert not pane.table.isVisible() and not pane.filter.isVisible()
    assert not pane.export_button.isVisible()
    await wait_until(lambda: len(pane.chain.head.text()) == 64)
    checked = await chain_checked(
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
