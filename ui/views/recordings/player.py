"""The clip player: libvlc in a native child widget, the seek bar and the transport controls.

It plays an opened recording through :class:`~app.evidence.vlc_source.SealedMedia` (libvlc pulls
decrypted chunks through callbacks; nothing is written in clear). libvlc's threads never touch
the widgets: a timer in the GUI thread reads time, length and state, and notices a chunk that
failed its integrity check. VLC 3 does not move its clock while stepping frames in pause, so the
time shown is advanced by one frame per step until the clock moves again.

Seeking in pause (VLC 3.0, measured with ffmpeg clips, the picture compared with the clip's
own frames and with a grab of the screen): libvlc's own precise seek shows a frame early
wherever the target is not a key frame, because its decoder ends the preroll at the *decode*
time of the first packet at or after the target and shows the first picture from there. With
B-frames (H.264 main/high, H.265) decode times run ahead of presentation, so it lands two to
four frames early (with two B-frames only every third frame can be reached at all); packets of the preroll decoded
after the first picture restart the preroll, flush the pictures queued and make the next frame
steps skip or repeat. ``set_position`` instead of ``set_time``, no ``avcodec-hurry-up``, one
decoder thread change none of it. libvlc shows a *key frame* exactly, though, and steps
cleanly from there. So where the container gives the key frames (:mod:`app.evidence.frames`:
MP4/MOV sample tables, fragmented MP4, Matroska), the player seeks to the key frame at or before
the target and steps frame by frame to it (or steps on from the frame shown, if the target lies
ahead in the same stretch), and shows that frame's exact time. Each step waits for libvlc's
confirmation (:mod:`ui.views.recordings.stepping`), so no step is lost and none is counted
twice. A user's frame step goes the same way. A seek while the clip plays pauses it, lands the
same way and plays on from the frame asked for.
An MP4 in fragments or without sound plays through libavformat's demuxer (libvlc 3's own
fails both after a seek; :func:`app.evidence.frames.demuxer_for`).
The index is read in a worker when a clip is loaded (a fragmented MP4 or a Matroska file is
read from end to end for it). Until it is there, with no index (another container, damaged
tables) or more than ``MAX_STEPS`` frames after the key frame, the player seeks as libvlc
does (landing as above).
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from app.evidence.errors import TamperedError
from app.evidence.frames import FrameIndex, read_frame_index
from app.evidence.sealed import SealedReader
from app.evidence.vlc_source import SealedMedia
from ui import theme
from ui.asyncutil import spawn
from ui.models.recording_text import format_clip_time
from ui.views.recordings.controls import ControlBar
from ui.views.recordings.engine import embed, snapshot_png, vlc_instance, vlc_module
from ui.views.recordings.stepping import FrameStepper

#: Playback speeds offered (1/8× to 8×).
RATES = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
POLL_MS = 40
#: Polls of a playing clip after which its clock is believed again whatever it says.
TRUST_AFTER_POLLS = 25
#: How far the arrow keys jump.
JUMP_MS = 5000
#: Most frame steps from a key frame to land a seek in pause (else libvlc's own seek).
MAX_STEPS = 300


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
    #: The frame index of the clip loaded has been read (seeks land on the frame from now).
    frameIndexRead = Signal()
    #: The frame a seek or frame step asked for is shown (before a seek made while playing
    #: plays on).
    landed = Signal()

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
        self._index: FrameIndex | None = None
        #: The frame number shown once the steps asked for are done (None: not known).
        self._frame: int | None = None
        #: A seek paused playback to land on the frame: play on once it is shown.
        self._resume = False
        #: A seek made while playing, to land once libvlc has paused.
        self._pending_seek: int | None = None
        self._steps = FrameStepper(self)
        self._steps.done.connect(self._landing_done)
        self._steps.abandoned.connect(self._stop_landing)
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

    def load(
        self,
        reader: SealedReader,
        frame_ms: float,
        length_ms: int | None,
        demuxer: str | None = None,
    ) -> None:
        """Play the recording ``reader`` reads (the caller keeps and closes the reader), through
        the libvlc ``demuxer`` named (None: libvlc's own choice)."""
        self.unload()
        vlc = vlc_module()
        instance = vlc_instance()
        self._frame_ms = frame_ms
        self._index = None
        self._frame = None
        self._source = SealedMedia(vlc, instance, reader, demuxer)
        self._player = instance.media_player_new()
        self._steps.attach(self._player)
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
        spawn(self._read_index(self._source, reader))

    async def _read_index(self, source: SealedMedia, reader: SealedReader) -> None:
        index = await asyncio.to_thread(_frame_index_of, reader)
        if source is self._source and index is not None:
            self._index = index
            self.frameIndexRead.emit()

    def frame_index(self) -> FrameIndex | None:
        """The frame index of the clip loaded (None: not read yet, or the clip has none)."""
        return self._index

    def unload(self) -> None:
        """Stop and release the current recording's player (the reader stays open)."""
        self._timer.stop()
        self._stop_landing()
        self._steps.detach()
        self._index = None
        self._frame = None
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
        self._stop_landing()
        self._frame = None
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
        """Pause (if playing, or landing to play on)."""
        self._resume = False
        if self._player is not None and self._player.is_playing():
            self._frame = None  # wherever it stops
            self._player.set_pause(1)

    def seek(self, ms: int) -> None:
        """Jump to ``ms`` (clamped to the clip); paused, onto the frame shown at ``ms``."""
        if self._player is None:
            return
        length = self.controls.timeline.length()
        ms = max(0, min(int(ms), length - 1 if length > 0 else int(ms)))
        self._distrust_clock()
        playing = bool(self._player.is_playing())
        if not self._can_land():
            self._stop_landing()
            self._frame = None
            self._steps.jump(ms)
            if not playing:
                self._steps.settle_after_jump()
            self._set_shown(ms)
            return
        if playing or self._pending_seek is not None:
            # Playing: pause first; once libvlc has paused, land and play on (see _poll).
            # Frame steps sent before it has paused may not show a frame each.
            self._stop_landing()
            self._frame = None
            if playing:
                self._player.set_pause(1)
            self._pending_seek = ms
            self._resume = True
            self._set_shown(ms)
            return
        self._land(ms, resume=self._resume)

    def _land(self, ms: int, resume: bool) -> None:
        """Land in pause on the frame shown at ``ms``; play on then if ``resume``."""
        assert self._index is not None and self._player is not None
        plan = self._index.plan(ms)
        ahead = plan.frame - self._frame if self._frame is not None else -1
        if 0 <= ahead <= plan.steps:
            # The frame lies ahead in the same stretch after the key frame: step on to it.
            steps = ahead
        elif plan.steps <= MAX_STEPS:
            # Onto the key frame (libvlc shows it exactly), then step frame by frame.
            self._stop_landing()
            self._steps.jump(plan.seek_ms)
            steps = plan.steps
        else:
            self._stop_landing()
            self._frame = None
            self._steps.jump(ms)
            self._set_shown(ms)
            if resume:
                self._player.set_pause(0)
            return
        self._resume = resume
        self._frame = plan.frame
        self._set_shown(round(plan.frame_ms))
        self._steps.step(steps)

    def _landing_done(self) -> None:
        self.landed.emit()
        if self._resume and self._player is not None:
            self._resume = False
            self._frame = None
            self._player.set_pause(0)

    def is_landing(self) -> bool:
        """True while the frame a seek or steps asked for is still to be shown."""
        return self._steps.pending() or self._pending_seek is not None

    def _can_land(self) -> bool:
        return self._index is not None and self._steps.available()

    def _stop_landing(self) -> None:
        self._steps.stop()
        self._resume = False
        self._pending_seek = None

    def jump(self, delta_ms: int) -> None:
        """Jump ``delta_ms`` forward (negative: back)."""
        self.seek(self._shown + delta_ms)

    def step_frame(self) -> None:
        """Show the next frame and pause there."""
        if self._player is None:
            return
        self._resume = False
        self._distrust_clock()
        if self._player.is_playing() or not self._steps.available():
            # Playing, libvlc pauses on the next frame (no confirmation comes).
            self._stop_landing()
            self._frame = None
            self._player.next_frame()
            self._set_shown(round(self._shown + self._frame_ms))
            return
        times = self._index.times_ms if self._index is not None else ()
        if times and self._frame is not None and self._frame + 1 >= len(times):
            return  # the last frame is shown
        self._steps.step()
        if self._frame is not None and times:
            self._frame += 1
            self._set_shown(round(times[self._frame]))
        else:
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
        if self._pending_seek is not None and not playing:
            ms, self._pending_seek = self._pending_seek, None
            self._land(ms, resume=self._resume)
            return
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


def _frame_index_of(reader: SealedReader) -> FrameIndex | None:
    """The clip's frame index (in a worker). A damaged chunk gives none: playback reports it.
    A reader closed meanwhile (the clip was closed) gives none either."""
    try:
        return read_frame_index(reader.read, reader.size)
    except (TamperedError, ValueError, OSError):
        return None
