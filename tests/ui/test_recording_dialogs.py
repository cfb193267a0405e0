"""The import dialog, the reason asked before a clip opens, and the list of recordings
(offscreen; the clips are real ffmpeg clips, imported into a real store)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLabel, QStatusBar
from pytestqt.qtbot import QtBot

from app.platform.database import Database
from app.platform.timeutil import BERLIN
from app.services import Services
from app.services.recording_batch import ImportOutcome, Outcome
from tests.conftest import service_actions
from tests.evidence_files import (
    SIDECAR,
    START,
    copy_clip,
    imported_scene,
    make_clip,
    officer_scene,
    write_sidecar,
)
from tests.ui.conftest import wait_until
from tests.ui.flows import build_window
from ui.context import UiContext
from ui.models.recordings import (
    COL_DELETION,
    COL_LENGTH,
    COL_OFFICER,
    COL_START,
    ID_ROLE,
    RecordingTableModel,
)
from ui.views.recordings.import_dialog import (
    COL_FILE,
    COL_MESSAGE,
    COL_STATUS,
    RecordingImportDialog,
)
from ui.views.recordings.inbox_watcher import InboxWatcher
from ui.views.recordings.list_pane import MODE_ALL, RecordingListPane
from ui.views.recordings.viewer import ClipViewerPane

# No sound device under Xvfb: libvlc plays into a silent output (before its first use).
os.environ.setdefault("KOD_VLC_ARGS", "--aout=dummy")

pytestmark = pytest.mark.parametrize("db_target", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4")


def _cells(dialog: RecordingImportDialog) -> dict[str, tuple[str, str]]:
    table = dialog.files
    result = {}
    for row in range(table.rowCount()):
        name = table.item(row, COL_FILE)
        status = table.item(row, COL_STATUS)
        message = table.item(row, COL_MESSAGE)
        assert name is not None and status is not None and message is not None
        result[name.text()] = (status.text(), message.text())
    return result


@pytest.mark.asyncio
async def test_import_dialog_imports_a_folder_and_names_what_it_refused(
    qtbot: QtBot,
    db: Database,
    services: Services,
    ui_ctx: UiContext,
    tmp_path: Path,
    clip: Path,
) -> None:
    scene, _dispatcher = await officer_scene(db, services, tmp_path)
    services.recordings.use_store(scene.store)
    folder = scene.inbox / "Export"
    good = copy_clip(clip, folder, "gut.mp4")
    write_sidecar(good, **SIDECAR)
    data = clip.read_bytes()
    (folder / "halb.mp4").write_bytes(data[: len(data) // 2])
    (folder / "notiz.txt").write_text("Schichtnotiz, kein Video\n", encoding="utf-8")
    dialog = RecordingImportDialog(ui_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    # Dropped like from the file manager: the folder, its files found inside.
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    dialog.dropEvent(drop)
    assert list(_cells(dialog)) == ["gut.mp4", "halb.mp4", "notiz.txt"]
    assert dialog.import_button.isEnabled()
    finished: list[list[ImportOutcome]] = []
    dialog.finishedImport.connect(finished.append)
    dialog.import_button.click()
    assert dialog.cancel_button.isEnabled() and not dialog.close_button.isEnabled()
    await wait_until(lambda: finished, timeout=60)
    outcomes = finished[0]
    assert [o.outcome for o in outcomes] == [
        Outcome.IMPORTED,
        Outcome.QUARANTINED,
        Outcome.QUARANTINED,
    ]
    cells = _cells(dialog)
    assert cells["gut.mp4"][0] == "importiert" and "Aufnahme Nr." in cells["gut.mp4"][1]
    assert "Vorgeschlagener Einsatz: E-2026-0815" in cells["gut.mp4"][1]
    assert cells["halb.mp4"][0] == "Quarantäne" and "unvollständig" in cells["halb.mp4"][1]
    assert "Quarantäneordner" in cells["halb.mp4"][1]
    assert cells["notiz.txt"][0] == "Quarantäne" and "kein Video" in cells["notiz.txt"][1]
    assert dialog.progress.value() == 1000
    assert "1 importiert, 2 in den Quarantäneordner" in dialog.summary.text()
    # The proposed incident is shown checked; the person confirms it.
    item = dialog.files.item(0, COL_FILE)
    assert item is not None and item.checkState() == Qt.CheckState.Checked
    assert dialog.confirm_button.isEnabled()
    confirmed = await dialog.confirm_links()
    [rec] = scene.recordings()
    assert confirmed == [rec.id] and rec.incident_id == scene.incident_id
    assert "recording.link" in service_actions(db, "recording")
    quarantined = {p.name for p in scene.config.quarantine_dir.iterdir()}
    assert {"halb.mp4", "notiz.txt"} <= quarantined, "nothing is lost"


@pytest.mark.asyncio
async def test_the_dialog_fills_in_what_the_camera_did_not_write(
    qtbot: QtBot,
    db: Database,
    services: Services,
    ui_ctx: UiContext,
    tmp_path: Path,
    clip: Path,
) -> None:
    scene, _dispatcher = await officer_scene(db, services, tmp_path)
    services.recordings.use_store(scene.store)
    video = copy_clip(clip, scene.inbox, "ohne_metadaten.mp4")
    dialog = RecordingImportDialog(ui_ctx)
    qtbot.addWidget(dialog)
    finished: list[list[ImportOutcome]] = []
    dialog.finishedImport.connect(finished.append)
    dialog.add_paths([video])
    dialog.start()
    await wait_until(lambda: finished, timeout=60)
    [first] = finished.pop()
    assert first.outcome is Outcome.KEPT and "fehlen" in first.message and video.exists()
    form = dialog.details
    form.officer.setText("m.mueller")
    form.device.setText("BC-017")
    form.has_start.setChecked(True)
    form.start.setDateTime(START.astimezone(BERLIN).replace(tzinfo=None))
    form.reason.setText("Bedrohung mit einer Flasche")
    form.announced.setCurrentIndex(1)
    dialog.add_paths([video])
    dialog.start()
    await wait_until(lambda: finished, timeout=60)
    [second] = finished.pop()
    assert second.outcome is Outcome.IMPORTED, second.message
    [rec] = scene.recordings()
    assert rec.device_id == "BC-017" and rec.announced and rec.started_at == START


@pytest.mark.asyncio
async def test_opening_a_clip_asks_for_the_reason_and_lists_show_the_deletion_date(
    qtbot: QtBot,
    db: Database,
    services: Services,
    ui_ctx: UiContext,
    tmp_path: Path,
    clip: Path,
) -> None:
    scene, _dispatcher, recording_id = await imported_scene(db, services, tmp_path, clip)
    listing = RecordingListPane(ui_ctx)
    qtbot.addWidget(listing)
    loads: list[bool] = []
    listing.loaded.connect(lambda: loads.append(True))
    listing.show_incident(scene.incident_id, "E-2026-0815")
    await wait_until(lambda: len(loads) >= 1 and listing.model.rowCount() == 1, timeout=10)
    assert listing.model.rowCount() == 1
    assert listing.title.text() == "Aufnahmen zu Einsatz E-2026-0815"
    deletion = listing.model.index(0, 5).data()
    assert deletion.startswith("20.12.2026 24:00"), deletion
    assert "vorgeschlagen" in listing.model.index(0, 4).data()
    listing.mode.setCurrentIndex(MODE_ALL)
    await wait_until(lambda: listing.title.text() == "Alle gespeicherten Aufnahmen", timeout=10)
    assert listing.model.rowCount() == 1
    viewer = ClipViewerPane(ui_ctx)
    qtbot.addWidget(viewer)
    opened: list[int] = []
    listing.openRequested.connect(opened.append)
    listing.table.setCurrentIndex(listing.model.index(0, 0))
    listing.open_current()
    assert opened == [recording_id]
    viewer.open_recording(recording_id)
    await wait_until(lambda: viewer.reason_dialog is not None, timeout=10)
    dialog = viewer.reason_dialog
    assert dialog is not None
    about = dialog.findChild(QLabel, "reasonAbout")
    assert isinstance(about, QLabel) and "Aufnahme Nr." in about.text()
    dialog.reason.setPlainText("kurz")
    dialog.try_submit()
    await wait_until(lambda: dialog.message.isVisible(), timeout=10)
    assert "mindestens 8 Zeichen" in dialog.message.text() and viewer.opened is None
    dialog.reason.setPlainText("Prüfung für OWi-Verfahren 2026/123")
    dialog.try_submit()
    await wait_until(lambda: viewer.opened is not None, timeout=10)
    await wait_until(lambda: "unverändert" in viewer.status.text(), timeout=20)
    assert "Aufnahme Nr." in viewer.header.text()
    viewer.close_recording()
    assert viewer.opened is None and not viewer.player.is_loaded()
    assert service_actions(db, "recording")[-1] == "recording.open"


@pytest.mark.asyncio
async def test_the_watched_folder_imports_settled_files_and_says_so_in_the_status_bar(
    qtbot: QtBot,
    db: Database,
    services: Services,
    ui_ctx: UiContext,
    tmp_path: Path,
    clip: Path,
) -> None:
    scene, _dispatcher = await officer_scene(db, services, tmp_path)
    services.recordings.use_store(scene.store)
    write_sidecar(copy_clip(clip, scene.inbox, "BC017_0815.mp4"), **SIDECAR)
    (scene.inbox / "notiz.txt").write_text("kein Video\n", encoding="utf-8")
    lonely = copy_clip(clip, scene.inbox, "ohne_metadaten.mp4")
    bar = QStatusBar()
    qtbot.addWidget(bar)
    watcher = InboxWatcher(ui_ctx, scene.inbox, bar)
    looks: list[bool] = []
    watcher.looked.connect(lambda: looks.append(True))

    async def look() -> None:
        count = len(looks)
        watcher.look()
        await wait_until(lambda: len(looks) > count, timeout=60)

    await look()  # the first look only notes sizes: a file may still be copied
    assert not watcher.results
    await look()
    results = {r.path.name: r for r in watcher.results}
    assert results["BC017_0815.mp4"].outcome is Outcome.IMPORTED
    assert results["notiz.txt"].outcome is Outcome.QUARANTINED
    assert results["ohne_metadaten.mp4"].outcome is Outcome.KEPT and lonely.exists()
    assert watcher.label.text() == "Bodycam-Ordner: 1 importiert, 2 nicht"
    assert "kein Video" in watcher.label.toolTip()
    assert bar.currentMessage() == watcher.label.text()
    # The file that needs a person is not tried again until it changes.
    await look()
    assert len(watcher.results) == 3
    assert [r.proposed_incident_id for r in scene.recordings()] == [scene.incident_id]


@pytest.mark.asyncio
async def test_the_recording_table_model_answers_for_its_rows(
    qtbot: QtBot,
    qtmodeltester: Any,
    db: Database,
    services: Services,
    ui_ctx: UiContext,
    tmp_path: Path,
    clip: Path,
) -> None:
    _scene, dispatcher, recording_id = await imported_scene(db, services, tmp_path, clip)
    model = RecordingTableModel()
    model.set_rows(await services.recordings.lists.recent(dispatcher))
    qtmodeltester.check(model)
    assert model.data(model.index(0, COL_OFFICER)) == "Mia Müller (KOD 12)"
    assert model.data(model.index(0, COL_LENGTH)) == "0:02"
    assert model.data(model.index(0, COL_START), ID_ROLE) == recording_id
    assert model.headerData(COL_DELETION, Qt.Orientation.Horizontal) == "Löschung"


@pytest.mark.asyncio
async def test_the_window_has_the_list_beside_the_detail_and_the_viewer_on_ctrl_0(
    qtbot: QtBot,
    db: Database,
    services: Services,
    ui_ctx: UiContext,
    ui_settings: QSettings,
    tmp_path: Path,
    clip: Path,
) -> None:
    scene, _dispatcher, recording_id = await imported_scene(db, services, tmp_path, clip)
    window, _actions = build_window(ui_ctx, ui_settings)
    qtbot.addWidget(window)
    await wait_until(lambda: window.layout_ready, timeout=10)
    detail, listing = window.docks["detail"], window.docks["recordings"]
    assert listing in window.tabifiedDockWidgets(detail)
    assert window.docks["clip_viewer"] in window.tabifiedDockWidgets(window.docks["units"])
    # The list follows the incident shown in the detail.
    pane = listing.widget()
    assert isinstance(pane, RecordingListPane)
    window.queue.incidentSelected.emit(scene.incident_id)
    await wait_until(lambda: pane.model.row_of(recording_id) == 0, timeout=15)
    assert window.commands.trigger("go.clip_viewer")
    assert not window.docks["clip_viewer"].visibleRegion().isEmpty()
    keys = {item.description for item in window.commands.items()}
    assert {"Nächstes Bild", "Abspielen oder anhalten", "Zum Clip-Viewer"} <= keys
    import_action = window.commands.action("recording.import")
    assert import_action is not None and import_action.isEnabled()
    window.close()
