"""The clip player: libvlc in a native child widget, the seek bar and the transport controls.

It plays an opened recording through :class:`~app.evidence.vlc_source.SealedMedia` (libvlc pulls
decrypted chunks through callbacks; nothing is written in clear). libvlc's threads never touch
the widgets: a timer in the GUI thread reads time, length and state, and notices a chunk that
failed its integrity check. VLC 3 does not move its clock while stepping frames in pause, so the
time shown is advanced by one frame per step until the clock moves again.

Accuracy (VLC 3.0, measured with ffmpeg clips, the picture compared with the clip's own frames):
a seek in pause shows the exact frame when the target is a key frame. Elsewhere it shows the
frame one before the target in clips without reordered (B-) frames, as bodycams record; with
B-frames (H.264 main/high ``-bf 2``, H.265) it shows a frame two to four early (sometimes one
late, just before a key frame): neither ``set_position`` instead of ``set_time``, nor turning
off ``avcodec-hurry-up``, frame skipping or decoder threads changes that. libvlc 3 reports no
time for the picture shown (its clock stands still in pause, also while stepping), so the time
shown here is the target. Seeking to the key frame before the target and stepping frame by
frame from there lands exactly on a quiet machine (the key frames can be read from the MP4/MOV
sample tables), but libvlc 3 silently drops frame steps that come before the previous
one is decoded and confirms none, so under load such a landing ends anywhere short of the
target; the player therefore keeps libvlc's own seek.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from app.evidence.errors import TamperedError
from app.evidence.sealed import SealedReader
from app.evidence.vlc_source import SealedMedia
from ui import theme
from ui.models.recording_text import format_clip_time
from ui.views.recordings.controls import ControlBar
from ui.views.recordings.engine import embed, snapshot_png, vlc_instance, vlc_module

#: Playback speeds offered (1/8× to 8×).
RATES = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
POLL_MS = 40
#: Polls of a playing clip after which its clock is believed again whatever it says.
TRUST_AFTER_POLLS = 25
#: How far the arrow keys jump.
JUMP_MS = 5000


class VideoSurface(QFrame):
    """The window libvlc draws into.

    It becomes a native window only when a clip is first played (``winId()`` in
    :func:`ui.views.recordings.engine.embed`): a native child made with the window would be
    shown, moved and hidden with every change of the layout (an alarm banner appearing among
    them), and on some platforms that hands the window activation around, taking the keyboard
    from a dialog being typed in.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clipVideo")
        self.setAttribute(Qt.WidgetAttribute.WA_DontCreateNativeAncestors)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.setStyleSheet(f"background: {theme.color('video_background')};")


class ClipPlayer(QWidget):
    """Video, seek bar and controls for one recording at a time."""

    #: The time shown changed (ms).
    positionChanged = Signal(int)
    #: A chunk failed its integrity check during playback (the German message).
    integrityFailed = Signal(str)
    #: Playing, paused, stopped or the clip ended.
    playingChanged = Signal(bool)
    #: Full screen switched on (True) or off.
    fullScreenChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ClipPlayer")
        self._player: Any = None
        self._source: SealedMedia | None = None
        self._frame_ms = 40.0
        self._rate_index = RATES.index(1.0)
        self._raw_time = -1
        self._shown = 0
        self._playing = False
        self._failure_reported = False
        self._trusted = True
        self._untrusted_polls = 0
        self.stack = QStackedWidget(self)
        self.surface = VideoSurface(self.stack)
        self.message = QLabel(self.stack)
        self.message.setObjectName("clipMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setMargin(24)
        self.stack.addWidget(self.surface)
        self.stack.addWidget(self.message)
        self.controls = ControlBar(self)
        self.controls.set_rate(1.0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.controls)
        c = self.controls
        c.timeline.seekRequested.connect(self.seek)
        c.play_button.clicked.connect(self.toggle_play)
        c.step_button.clicked.connect(self.step_frame)
        c.slower_button.clicked.connect(self.slower)
        c.faster_button.clicked.connect(self.faster)
        c.mute_button.toggled.connect(self._on_mute)
        c.volume.valueChanged.connect(self._on_volume)
        c.fullscreen_button.clicked.connect(self.toggle_full_screen)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self.show_message(
            QCoreApplication.translate(
                "ClipPlayer", "No recording open. Open one from the list of recordings."
            )
        )

    # -- loading ----------------------------------------------------------------------------

    def load(self, reader: SealedReader, frame_ms: float, length_ms: int | None) -> None:
        """Play the recording ``reader`` reads (the caller keeps and closes the reader)."""
        self.unload()
        vlc = vlc_module()
        instance = vlc_instance()
        self._frame_ms = frame_ms
        self._source = SealedMedia(vlc, instance, reader)
        self._player = instance.media_player_new()
        self._player.set_media(self._source.media)
        self.stack.setCurrentWidget(self.surface)
        embed(self._player, self.surface)
        self._player.audio_set_volume(self.controls.volume.value())
        self._player.audio_set_mute(self.controls.mute_button.isChecked())
        self._raw_time = -1
        self._shown = 0
        self._failure_reported = False
        self._trusted = True
        self.controls.timeline.set_length(length_ms or 0)
        self.controls.timeline.set_position(0)
        self.controls.setEnabled(True)
        self._player.play()
        self._player.set_rate(RATES[self._rate_index])
        self._timer.start()

    def unload(self) -> None:
        """Stop and release the current recording's player (the reader stays open)."""
        self._timer.stop()
        if self._player is not None:
            self._player.stop()
            self._player.release()
            self._player = None
        if self._source is not None:
            self._source.release()
            self._source = None
        self._set_playing(False)

    def show_message(self, text: str, warning: bool = False) -> None:
        """Show ``text`` instead of the video (no recording, or playback blocked)."""
        self.message.setText(text)
        self.message.setStyleSheet(
            theme.banner_style("connection_lost", padding="24px")
            if warning
            else theme.text_style("muted", size_pt=11)
        )
        self.stack.setCurrentWidget(self.message)
        self.controls.setEnabled(False)

    def block(self, text: str) -> None:
        """Stop playback for good and show the warning ``text``."""
        self.unload()
        self.show_message(text, warning=True)

    @property
    def vlc_player(self) -> Any:
        """The libvlc media player (None without a recording)."""
        return self._player

    def is_loaded(self) -> bool:
        """True while a recording is in the player."""
        return self._player is not None

    # -- transport --------------------------------------------------------------------------

    def toggle_play(self) -> None:
        """Play if paused or ended, else pause."""
        if self._player is None:
            return
        vlc = vlc_module()
        state = self._player.get_state()
        if state == vlc.State.Ended:
            self._player.stop()
            self._player.play()
            self._raw_time = -1
        elif state == vlc.State.Playing:
            self._player.set_pause(1)
        else:
            self._player.play()

    def pause(self) -> None:
        """Pause (if playing)."""
        if self._player is not None and self._player.is_playing():
            self._player.set_pause(1)

    def seek(self, ms: int) -> None:
        """Jump to ``ms`` (clamped to the clip)."""
        if self._player is None:
            return
        length = self.controls.timeline.length()
        ms = max(0, min(int(ms), length - 1 if length > 0 else int(ms)))
        self._player.set_time(ms)
        self._distrust_clock()
        if not self._player.is_playing():
            # Paused, VLC 3 shows the new place but swallows the next frame step; one step
            # right away settles it (measured with the clip's own frames: the picture stays
            # within one frame of the target, and every later step moves exactly one frame).
            self._player.next_frame()
        self._set_shown(ms)

    def jump(self, delta_ms: int) -> None:
        """Jump ``delta_ms`` forward (negative: back)."""
        self.seek(self._shown + delta_ms)

    def step_frame(self) -> None:
        """Show the next frame and pause there."""
        if self._player is None:
            return
        self._player.next_frame()
        self._distrust_clock()
        self._set_shown(round(self._shown + self._frame_ms))

    def faster(self) -> None:
        """The next higher speed (up to 8×)."""
        self._set_rate(min(self._rate_index + 1, len(RATES) - 1))

    def slower(self) -> None:
        """The next lower speed (down to 1/8×)."""
        self._set_rate(max(self._rate_index - 1, 0))

    def normal_speed(self) -> None:
        """Back to 1×."""
        self._set_rate(RATES.index(1.0))

    def rate(self) -> float:
        """The playback speed chosen."""
        return RATES[self._rate_index]

    def _set_rate(self, index: int) -> None:
        self._rate_index = index
        if self._player is not None:
            self._player.set_rate(RATES[index])
        self.controls.set_rate(RATES[index])

    def toggle_mute(self) -> None:
        """Sound off or on again."""
        self.controls.mute_button.toggle()

    def _on_mute(self, muted: bool) -> None:
        if self._player is not None:
            self._player.audio_set_mute(muted)

    def change_volume(self, delta: int) -> None:
        """Louder (positive) or quieter."""
        self.controls.volume.setValue(self.controls.volume.value() + delta)

    def _on_volume(self, value: int) -> None:
        if self._player is not None:
            self._player.audio_set_volume(value)

    def position(self) -> int:
        """The time shown (ms)."""
        return self._shown

    def snapshot(self) -> tuple[bytes, int, int] | None:
        """The picture shown now as PNG bytes in memory, with its size."""
        if self._player is None:
            return None
        return snapshot_png(self._player, self.surface)

    # -- full screen ------------------------------------------------------------------------

    def is_full_screen(self) -> bool:
        """True while the player fills the screen."""
        return self.isWindow()

    def toggle_full_screen(self) -> None:
        """Fill the screen with video and controls, or go back into the pane."""
        if self.is_full_screen():
            self.leave_full_screen()
            return
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.showFullScreen()
        self._after_reparent()
        self.fullScreenChanged.emit(True)

    def leave_full_screen(self) -> None:
        """Back into the pane (if full screen)."""
        if not self.is_full_screen():
            return
        self.setWindowFlag(Qt.WindowType.Window, False)
        self.showNormal()
        self.show()
        self._after_reparent()
        self.fullScreenChanged.emit(False)

    def _after_reparent(self) -> None:
        self.controls.fullscreen_button.setChecked(self.is_full_screen())
        if self._player is not None:
            embed(self._player, self.surface)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.is_full_screen():
            self.leave_full_screen()
            return
        super().keyPressEvent(event)

    # -- polling ----------------------------------------------------------------------------

    def _set_shown(self, ms: int) -> None:
        self._shown = max(0, ms)
        self.controls.timeline.set_position(self._shown)
        self.controls.set_time_text(self._time_text())
        self.positionChanged.emit(self._shown)

    def _time_text(self) -> str:
        return (
            f"{format_clip_time(self._shown)} / {format_clip_time(self.controls.timeline.length())}"
        )

    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self.controls.set_playing(playing)
            self.playingChanged.emit(playing)

    def is_playing(self) -> bool:
        """True while the clip runs."""
        return self._playing

    def _poll(self) -> None:
        player, source = self._player, self._source
        if player is None or source is None:
            return
        failure: TamperedError | None = source.failure
        if failure is not None and not self._failure_reported:
            self._failure_reported = True
            self.integrityFailed.emit(str(failure))
            return
        length = player.get_length()
        if length > 0 and length != self.controls.timeline.length():
            self.controls.timeline.set_length(length)
        playing = bool(player.is_playing())
        raw = player.get_time()
        if raw >= 0 and raw != self._raw_time:
            self._raw_time = raw
            if self._clock_trusted(raw, playing):
                self._set_shown(raw)
        self._set_playing(playing)

    def _distrust_clock(self) -> None:
        # After a seek or a frame step VLC's clock may report a stale time until it plays.
        self._untrusted_polls = 0
        self._trusted = False

    def _clock_trusted(self, raw: int, playing: bool) -> bool:
        if self._trusted:
            return True
        if not playing:
            return False
        self._untrusted_polls += 1
        # Playing again: believe the clock once it is near what is shown (or after a while).
        if abs(raw - self._shown) < 1000 or self._untrusted_polls > TRUST_AFTER_POLLS:
            self._trusted = True
        return self._trusted
