"""The clip viewer pane: one opened recording with its details, player, bookmarks and snapshots.

Opening asks for the reason first (every opening is audited with it; on PostgreSQL the server
releases the key only then). Playback starts at once while the whole recording is checked in a
worker thread (every chunk's tag and the SHA-256); a mismatch, or a chunk that fails while
playing, stops playback for good with a German warning, and the finding is audited.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from app.evidence.errors import TamperedError
from app.platform.errors import KodError
from app.services.recording_access import (
    OpenedRecording,
    RecordingAccessService,
    tampered_message,
)
from app.services.recording_list import RecordingRow
from ui import theme
from ui.asyncutil import spawn
from ui.commands import pane_action
from ui.context import UiContext
from ui.dialogs.confirm import ReasonDialog
from ui.models.recording_text import format_clip_time, recording_summary
from ui.views.recordings.bookmarks import BookmarkPanel
from ui.views.recordings.player import JUMP_MS, ClipPlayer

#: Commands whose keys work in the viewer (and in the player when it fills the screen).
VIEWER_COMMANDS = (
    "clip.play",
    "clip.step",
    "clip.back",
    "clip.forward",
    "clip.slower",
    "clip.faster",
    "clip.normal_speed",
    "clip.mute",
    "clip.louder",
    "clip.quieter",
    "clip.fullscreen",
    "clip.bookmark",
    "clip.snapshot",
)


class ClipViewerPane(QWidget):
    """The third pane of the design: watching a bodycam recording."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ClipViewerPane")
        self.ctx = ctx
        self.header = QLabel(QCoreApplication.translate("ClipViewerPane", "Clip viewer"), self)
        self.header.setObjectName("clipHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.player = ClipPlayer(self)
        self.bookmarks = BookmarkPanel(self)
        self.status = QLabel(self)
        self.status.setObjectName("clipStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.player)
        split.addWidget(self.bookmarks)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.bookmarks.setMinimumWidth(self.bookmarks.fontMetrics().horizontalAdvance("M") * 20)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        #: The recording open now, and its details.
        self.opened: OpenedRecording | None = None
        self.row: RecordingRow | None = None
        #: The reason dialog shown last (tests answer it).
        self.reason_dialog: ReasonDialog | None = None
        self._access: RecordingAccessService | None = None
        self._checking: asyncio.Task[None] | None = None
        p = self.player
        handlers = {
            "clip.play": p.toggle_play,
            "clip.step": p.step_frame,
            "clip.back": lambda: p.jump(-JUMP_MS),
            "clip.forward": lambda: p.jump(JUMP_MS),
            "clip.slower": p.slower,
            "clip.faster": p.faster,
            "clip.normal_speed": p.normal_speed,
            "clip.mute": p.toggle_mute,
            "clip.louder": lambda: p.change_volume(10),
            "clip.quieter": lambda: p.change_volume(-10),
            "clip.fullscreen": p.toggle_full_screen,
            "clip.bookmark": self.begin_bookmark,
            "clip.snapshot": self.take_snapshot,
        }
        for command_id in VIEWER_COMMANDS:
            action = pane_action(command_id, self, handlers[command_id])
            p.addAction(action)  # the keys work in full screen too
        p.integrityFailed.connect(self._on_integrity_failure)
        p.controls.timeline.seekRequested.connect(lambda _ms: self.player.setFocus())
        p.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.bookmarks.addRequested.connect(lambda ms, note: spawn(self._add_bookmark(ms, note)))
        self.bookmarks.editRequested.connect(lambda i, note: spawn(self._edit_bookmark(i, note)))
        self.bookmarks.removeRequested.connect(lambda i: spawn(self._remove_bookmark(i)))
        self.bookmarks.seekRequested.connect(self.player.seek)
        self.bookmarks.done.connect(self.player.setFocus)

    def focus_player(self) -> None:
        """Put the keyboard on the player (its keys work then)."""
        self.player.setFocus()

    # -- opening ----------------------------------------------------------------------------

    def open_recording(self, recording_id: int) -> None:
        """Ask for the reason, then open and play ``recording_id``."""
        spawn(self._ask(recording_id))

    async def _ask(self, recording_id: int) -> None:
        try:
            row = await self.ctx.services.recordings.lists.get(self.ctx.actor, recording_id)
        except KodError as exc:
            self.say(str(exc), error=True)
            return
        dialog = ReasonDialog(
            QCoreApplication.translate("ClipViewerPane", "Open bodycam recording"),
            recording_summary(row)
            + "\n\n"
            + QCoreApplication.translate(
                "ClipViewerPane",
                "Every opening is recorded in the audit log with your name, the time and the "
                "reason. State why you need to watch this recording (e.g. the file number of "
                "the proceedings).",
            ),
            QCoreApplication.translate(
                "ClipViewerPane",
                "e.g. Prüfung für OWi-Verfahren 2026/123, Auskunftsersuchen der Polizei …",
            ),
            QCoreApplication.translate("ClipViewerPane", "Open recording"),
            QCoreApplication.translate(
                "ClipViewerPane", "Please state why you open this recording."
            ),
            self,
        )
        dialog.setObjectName("OpenRecordingDialog")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.submitted.connect(lambda reason: spawn(self._open(dialog, row, reason)))
        self.reason_dialog = dialog
        dialog.open()

    async def _open(self, dialog: ReasonDialog, row: RecordingRow, reason: str) -> None:
        try:
            access = self.ctx.services.recordings.access()
            opened = await access.open(self.ctx.actor, row.id, reason)
        except KodError as exc:
            dialog.show_error(str(exc))
            return
        dialog.accept()
        self.show_opened(access, row, opened)

    def show_opened(
        self, access: RecordingAccessService, row: RecordingRow, opened: OpenedRecording
    ) -> None:
        """Play ``opened`` (checked in the background) with its details and bookmarks."""
        self.close_recording()
        self._access, self.row, self.opened = access, row, opened
        self.header.setText(recording_summary(row, rich=True))
        self.bookmarks.set_bookmarks([])
        try:
            self.player.load(opened.reader, row.frame_ms, row.duration_ms, opened.demuxer)
        except KodError as exc:
            self.player.show_message(str(exc), warning=True)
            return
        self.say(
            QCoreApplication.translate(
                "ClipViewerPane", "Recording opened; its integrity is being checked …"
            )
        )
        self._checking = spawn(self._check(access, opened))
        spawn(self._load_bookmarks(row.id))
        self.player.setFocus()

    async def _check(self, access: RecordingAccessService, opened: OpenedRecording) -> None:
        try:
            await access.check(self.ctx.actor, opened)
        except TamperedError as exc:
            if self.opened is opened:
                self._block(str(exc))
            return
        finally:
            if self.opened is not opened:
                opened.close()  # closed while it was being checked
        if self.opened is opened:
            self.say(
                QCoreApplication.translate(
                    "ClipViewerPane",
                    "Integrity checked: the recording is unchanged since its import.",
                )
            )

    def is_checking(self) -> bool:
        """True while the open recording is still being checked as a whole."""
        return self._checking is not None and not self._checking.done()

    def _on_integrity_failure(self, detail: str) -> None:
        opened, access = self.opened, self._access
        if opened is None or access is None:
            return
        # Stopped at once. The check of the whole recording, while it runs, finds and audits
        # the same damage; once it has passed, the damage is new and audited here.
        self._block(tampered_message(opened.recording_id))
        if not self.is_checking():
            spawn(access.tampered(self.ctx.actor, opened.recording_id, detail))

    def _block(self, text: str) -> None:
        self.player.block(text)
        self.say(text, error=True)

    def close_recording(self) -> None:
        """Stop and close the recording open now (if any)."""
        self.player.leave_full_screen()
        self.player.unload()
        opened, self.opened = self.opened, None
        self.row = None
        if opened is not None and (self._checking is None or self._checking.done()):
            opened.close()
        self._checking = None
        self.bookmarks.set_bookmarks([])
        self.player.controls.timeline.set_marks([])

    # -- bookmarks and snapshots ------------------------------------------------------------

    def begin_bookmark(self) -> None:
        """Pause and write the note of a bookmark at the current position."""
        if self.opened is None:
            return
        self.player.pause()
        self.player.leave_full_screen()
        self.bookmarks.begin_add(self.player.position())

    async def _load_bookmarks(self, recording_id: int) -> None:
        marks = await self.ctx.services.recordings.marks.bookmarks(self.ctx.actor, recording_id)
        if self.row is not None and self.row.id == recording_id:
            self.bookmarks.set_bookmarks(marks)
            self.player.controls.timeline.set_marks([(m.position_ms, m.note) for m in marks])

    async def _add_bookmark(self, position_ms: int, note: str) -> None:
        if self.row is None:
            return
        try:
            await self.ctx.services.recordings.marks.add_bookmark(
                self.ctx.actor, self.row.id, position_ms, note
            )
        except KodError as exc:
            self.say(str(exc), error=True)
            return
        self.bookmarks.accepted()
        await self._load_bookmarks(self.row.id)

    async def _edit_bookmark(self, bookmark_id: int, note: str) -> None:
        try:
            await self.ctx.services.recordings.marks.edit_bookmark(
                self.ctx.actor, bookmark_id, note
            )
        except KodError as exc:
            self.say(str(exc), error=True)
            return
        self.bookmarks.accepted()
        if self.row is not None:
            await self._load_bookmarks(self.row.id)

    async def _remove_bookmark(self, bookmark_id: int) -> None:
        await self.ctx.services.recordings.marks.remove_bookmark(self.ctx.actor, bookmark_id)
        if self.row is not None:
            await self._load_bookmarks(self.row.id)

    def take_snapshot(self) -> None:
        """Keep the picture shown now as evidence (sealed in the store, audited)."""
        if self.row is None:
            return
        if self.player.is_landing():
            # The picture shown is still on its way to the frame whose time is shown.
            self.say(
                QCoreApplication.translate(
                    "ClipViewerPane",
                    "The player is still moving to the frame asked for. Keep the picture "
                    "once it is there.",
                ),
                error=True,
            )
            return
        shot = self.player.snapshot()
        if shot is None:
            self.say(
                QCoreApplication.translate("ClipViewerPane", "There is no picture to keep yet."),
                error=True,
            )
            return
        spawn(self._keep_snapshot(self.row.id, self.player.position(), shot))

    async def _keep_snapshot(
        self, recording_id: int, position_ms: int, shot: tuple[bytes, int, int]
    ) -> None:
        png, width, height = shot
        try:
            kept = await self.ctx.services.recordings.marks.snapshot(
                self.ctx.actor, recording_id, position_ms, png, (width, height)
            )
        except KodError as exc:
            self.say(str(exc), error=True)
            return
        self.say(
            QCoreApplication.translate(
                "ClipViewerPane",
                "Snapshot at %1 kept as evidence (no. %2, encrypted, %3 × %4 pixels).",
            )
            .replace("%1", format_clip_time(kept.position_ms))
            .replace("%2", str(kept.id))
            .replace("%3", str(kept.width))
            .replace("%4", str(kept.height))
        )

    # -- messages ---------------------------------------------------------------------------

    def say(self, text: str, error: bool = False) -> None:
        """A line under the player."""
        self.status.setText(text)
        self.status.setStyleSheet(theme.error_style(bold=True) if error else theme.hint_style())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.close_recording()
        super().closeEvent(event)
