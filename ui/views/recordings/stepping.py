"""Frame steps in pause, each confirmed by libvlc, none lost and none counted twice.

The clip player asks for a number of steps (to land a seek on its frame, or the reviewer's own
step); this sends them one at a time and counts one done only when libvlc confirmed it showed
a new picture (:class:`~ui.views.recordings.engine.FrameSteps`). A step that found no new
picture ready (the decoder was late, as under load) is sent again. libvlc's "0 ms" means
either no picture or a picture whose clock time did not advance (its clock restarts after a
jump), so until libvlc has confirmed a step with the time moved after a jump, a small print of
the picture (in memory) tells; only two frames in a row with exactly the same picture and
that "0 ms" would be stepped one too far.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ui.views.recordings.engine import frame_steps, picture_print

#: Steps in a row that show no new picture before the steps are given up (the clip's end).
MAX_UNMOVED = 100
#: A step libvlc has not confirmed after this long ends the steps (libvlc stalled).
STEP_TIMEOUT_MS = 15000
#: Pause before a step is sent again that showed nothing (the decoder was not ready).
RETRY_MS = 5


class FrameStepper(QObject):
    """The frame steps still wanted of one libvlc media player."""

    #: The steps asked for are all shown.
    done = Signal()
    #: The steps were given up: libvlc confirmed none for a long time, or showed no new
    #: picture many times in a row (the clip's end).
    abandoned = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._player: Any = None
        self._wanted = 0
        self._sent = False
        self._before: bytes | None = None
        #: Since the last jump libvlc has not yet confirmed a step with the time it moved.
        self._after_jump = True
        #: Steps sent whose confirmation is still to come, and of those how many count not.
        self._outstanding = 0
        self._discard = 0
        self._unmoved = 0
        self._connected = False
        self._timeout = QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.setInterval(STEP_TIMEOUT_MS)
        self._timeout.timeout.connect(self._give_up)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self._send)

    @staticmethod
    def available() -> bool:
        """Whether libvlc's step confirmations can be read here."""
        return frame_steps().available

    def attach(self, player: Any) -> None:
        """Step ``player`` from now on (a new clip: nothing is wanted, nothing counted)."""
        if not self._connected:
            frame_steps().stepped.connect(self._on_stepped)
            self._connected = True
        self.stop()
        self._player = player
        # Confirmations still queued from the previous clip arrive while no step is sent.
        self._outstanding = self._discard = 0
        self._after_jump = True

    def detach(self) -> None:
        """No player any more."""
        self.stop()
        self._player = None

    def pending(self) -> bool:
        """True while steps asked for are still to be shown."""
        return self._wanted > 0

    def jump(self, ms: int) -> None:
        """Seek the player to ``ms`` (its clock starts again there)."""
        self._after_jump = True
        self._player.set_time(ms)

    def settle_after_jump(self) -> None:
        """Paused, VLC 3 shows the new place of a jump but swallows the next frame step: one
        step right away settles it (its confirmation is not counted)."""
        self._player.next_frame()
        self._outstanding += 1
        self._discard += 1

    def step(self, count: int = 1) -> None:
        """Show ``count`` more frames (:attr:`done` once all are shown; none for 0)."""
        self._wanted += count
        if self._wanted > 0:
            self._send()
        else:
            self.done.emit()

    def stop(self) -> None:
        """Forget the steps still wanted (confirmations of those sent are not counted)."""
        self._wanted = 0
        self._unmoved = 0
        self._sent = False
        self._discard = self._outstanding
        self._retry.stop()
        self._timeout.stop()

    def _send(self) -> None:
        if self._player is None or self._wanted <= 0 or self._sent:
            return
        self._sent = True
        # The print costs some ms: only needed until a step confirmed the time moved.
        self._before = picture_print(self._player) if self._after_jump else None
        self._outstanding += 1
        self._timeout.start()
        self._player.next_frame()

    def _on_stepped(self, moved: bool) -> None:
        # libvlc carried out a frame step (confirmations come in the order steps were sent).
        if self._outstanding > 0:
            self._outstanding -= 1
        if self._discard > 0:
            self._discard -= 1
            return
        if not self._sent:
            return
        self._sent = False
        self._timeout.stop()
        if moved:
            self._after_jump = False
        elif self._before is not None and self._player is not None:
            # 0 ms: no picture was ready, or one whose clock time did not advance.
            now = picture_print(self._player)
            moved = now is not None and now != self._before
        if moved:
            self._unmoved = 0
            self._wanted -= 1
            if self._wanted > 0:
                self._send()
            else:
                self.done.emit()
            return
        # No new picture was ready yet (the decoder now makes it): send the step again.
        self._unmoved += 1
        if self._unmoved > MAX_UNMOVED:
            self._give_up()
        else:
            self._retry.start()

    def _give_up(self) -> None:
        self.stop()
        self.abandoned.emit()
