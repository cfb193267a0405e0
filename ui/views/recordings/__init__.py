"""Bodycam recordings on the workstation: the list, the clip viewer, the import dialog and the
watched docking-station folder.

- :mod:`.list_pane`: recordings of the incident shown, of an officer, or all, with deletion date;
- :mod:`.viewer` (with :mod:`.player`, :mod:`.controls`, :mod:`.timeline`, :mod:`.bookmarks`,
  :mod:`.engine`): the clip viewer dock, libvlc embedded, nothing decrypted onto the disk;
- :mod:`.import_dialog` (with :mod:`.import_details`): importing by hand, drag and drop;
- :mod:`.inbox_watcher`: the docking station's folder, imported in the background.

Roles that may not view recordings (the data-protection officer among them) get none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QDockWidget

from app.domain.dto import IncidentDetail
from app.platform.permissions import Permission
from ui.views.recordings.import_dialog import RecordingImportDialog
from ui.views.recordings.inbox_watcher import InboxWatcher
from ui.views.recordings.list_pane import RecordingListPane
from ui.views.recordings.viewer import VIEWER_COMMANDS, ClipViewerPane

if TYPE_CHECKING:
    from ui.main_window import MainWindow

__all__ = [
    "ClipViewerPane",
    "InboxWatcher",
    "RecordingImportDialog",
    "RecordingListPane",
    "install",
    "open_import_dialog",
]


def install(window: MainWindow) -> ClipViewerPane | None:
    """Add the recordings list (a tab behind the incident detail) and the clip viewer (a tab
    behind the unit board or the map), the import command and the watched folder."""
    ctx = window.ctx
    can_import = ctx.can(Permission.RECORDING_IMPORT)
    if can_import:
        window.commands.bind("recording.import", lambda: open_import_dialog(window))
        _watch_inbox(window)
    if not ctx.can(Permission.RECORDING_VIEW):
        return None
    tr = QCoreApplication.translate
    listing = RecordingListPane(ctx, window)
    list_dock = window.add_pane(
        "recordings",
        tr("RecordingListPane", "Bodycam recordings"),
        listing,
        Qt.DockWidgetArea.BottomDockWidgetArea,
    )
    viewer = ClipViewerPane(ctx, window)
    viewer_dock = window.add_pane(
        "clip_viewer",
        tr("ClipViewerPane", "Clip viewer"),
        viewer,
        Qt.DockWidgetArea.RightDockWidgetArea,
    )
    _arrange(window, list_dock, viewer_dock)
    navigator = window.navigator
    navigator.add_pane("recordings", listing.focus_table)
    navigator.add_pane("clip_viewer", viewer.focus_player)
    window.commands.bind("go.recordings", lambda: navigator.go_to("recordings"))
    window.commands.bind("go.clip_viewer", lambda: navigator.go_to("clip_viewer"))
    window.commands.list_keys("recording.open", *VIEWER_COMMANDS)
    detail_dock = window.docks.get("detail")
    detail = detail_dock.widget() if detail_dock is not None else None
    changed = getattr(detail, "detailChanged", None)
    if changed is not None:

        def follow(shown: object) -> None:
            if isinstance(shown, IncidentDetail):
                listing.show_incident(shown.id, shown.number)

        changed.connect(follow)

    def open_clip(recording_id: int) -> None:
        navigator.reveal("clip_viewer")
        viewer.open_recording(recording_id)

    listing.openRequested.connect(open_clip)
    listing.importRequested.connect(lambda: open_import_dialog(window))
    window.closing.connect(viewer.close_recording)
    window.when_started(listing.schedule_reload)
    return viewer


def _arrange(window: MainWindow, list_dock: QDockWidget, viewer_dock: QDockWidget) -> None:
    """The list a tab behind the incident detail, the viewer one behind the unit board (or,
    without one, behind the detail too); what was in front stays in front."""
    docks = window.docks
    detail, queue, units = docks.get("detail"), docks.get("queue"), docks.get("units")
    anchor = detail or queue
    if anchor is None:
        return
    window.tabifyDockWidget(anchor, list_dock)
    window.tabifyDockWidget(units or docks.get("map") or anchor, viewer_dock)
    # The desk layout keeps the detail as a tab behind the queue: the queue stays in front.
    if detail is not None and queue is not None and queue in window.tabifiedDockWidgets(detail):
        queue.raise_()
    else:
        anchor.raise_()
    if units is not None:
        units.raise_()


def open_import_dialog(window: MainWindow) -> RecordingImportDialog:
    """The import dialog (one at a time)."""
    existing = window.findChild(RecordingImportDialog)
    if isinstance(existing, RecordingImportDialog) and existing.isVisible():
        existing.raise_()
        existing.activateWindow()
        return existing
    dialog = RecordingImportDialog(window.ctx, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.show()
    return dialog


def _watch_inbox(window: MainWindow) -> InboxWatcher | None:
    folder = window.ctx.services.recordings.config().inbox_dir
    if folder is None:
        return None
    watcher = InboxWatcher(window.ctx, folder, window.statusBar(), window)
    watcher.setObjectName("inboxWatcher")
    window.when_started(watcher.start)
    window.closing.connect(watcher.stop)
    return watcher
