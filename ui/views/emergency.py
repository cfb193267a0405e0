"""The emergency alarm (Notruf): a banner nobody can miss and a sound until acknowledged.

Every workstation follows the change feed: a Notruf raised anywhere appears here at once, and an
acknowledgment on any workstation removes the banner and stops the sound everywhere.
"""

from __future__ import annotations

import array
import asyncio
import logging
import math
import os
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QStandardPaths, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.dto import ChangeBatch, Emergency
from app.domain.geo import format_coordinates, stadtteil_for
from app.platform.changefeed import LinkState, LinkStatus
from app.platform.errors import NotFound
from app.platform.permissions import Permission
from app.platform.timeutil import format_local, local, utcnow
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.models.incident_queue import format_duration

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QSoundEffect

    from ui.main_window import MainWindow

log = logging.getLogger(__name__)

#: Acknowledge the oldest open emergency. "A" for Alarm; not Ctrl+Shift+Q, which is one slip
#: away from Ctrl+Q (quit) in the middle of an emergency.
ACK_KEYS = "Ctrl+Shift+A"

# --- the sound -----------------------------------------------------------------------------

SAMPLE_RATE = 22050
#: The two tones (Hz) and how long each sounds (s): a harsh, penetrating alternation.
TONES = (1300.0, 950.0)
TONE_S = 0.3
#: Bump this when the sound changes, so cached files are rewritten.
SOUND_VERSION = 1


def _square_ish(x: float) -> float:
    # Fundamental plus odd harmonics: closer to a square wave, much louder to the ear.
    return math.sin(x) + math.sin(3 * x) / 3 + math.sin(5 * x) / 5


_SQUARE_PEAK = max(abs(_square_ish(2 * math.pi * k / 2000)) for k in range(2000))


def write_alarm_wav(path: Path) -> Path:
    """Write the loud two-tone alarm (one cycle; the player loops it) as 16-bit mono WAV."""
    samples = array.array("h")
    per_tone = int(SAMPLE_RATE * TONE_S)
    fade = int(SAMPLE_RATE * 0.004)  # a few ms ramp: no clicks between the tones
    peak = 0.95 * 32767
    for freq in TONES:
        for i in range(per_tone):
            t = i / SAMPLE_RATE
            x = 2 * math.pi * freq * t
            v = _square_ish(x) / _SQUARE_PEAK
            gain = min(1.0, i / fade, (per_tone - 1 - i) / fade) if fade else 1.0
            samples.append(int(max(-1.0, min(1.0, v)) * peak * gain))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes())
    os.replace(tmp, path)
    return path


def alarm_wav_path() -> Path:
    """Where the generated alarm sound lives (the per-user cache directory)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)
    return Path(base or ".") / f"alarm-v{SOUND_VERSION}.wav"


def ensure_alarm_wav(path: Path | None = None) -> Path:
    """The alarm WAV, generated on first use (never shipped as a binary)."""
    path = path or alarm_wav_path()
    expected = 44 + 2 * int(SAMPLE_RATE * TONE_S) * len(TONES)
    if not path.exists() or path.stat().st_size != expected:
        write_alarm_wav(path)
    return path


class AlarmSound(QObject):
    """Plays the alarm in a loop; without an audio device it beeps instead (and never fails)."""

    BEEP_INTERVAL_MS = 1000

    def __init__(
        self,
        parent: QObject | None = None,
        use_audio: bool | None = None,
        wav_path: Path | None = None,
    ) -> None:
        super().__init__(parent)
        if use_audio is None:
            use_audio = os.environ.get("KOD_ALARM_AUDIO", "1") != "0"
        self._use_audio = use_audio
        self._wav_path = wav_path
        self._effect: QSoundEffect | None = None
        self._sounding = False
        #: "sound" (QSoundEffect), "beep" (QApplication.beep) or "" when silent.
        self.backend = ""
        self._beep = QTimer(self)
        self._beep.setInterval(self.BEEP_INTERVAL_MS)
        self._beep.timeout.connect(self._do_beep)
        self.beeps = 0

    @property
    def is_sounding(self) -> bool:
        """True from start() until stop()."""
        return self._sounding

    @property
    def uses_audio(self) -> bool:
        """False when audio output is switched off (``KOD_ALARM_AUDIO=0``): beep only."""
        return self._use_audio

    def prepare(self) -> Path:
        """Generate the sound file if needed (thread-safe: no Qt objects touched)."""
        return ensure_alarm_wav(self._wav_path)

    def start(self) -> None:
        """Start the alarm (idempotent)."""
        if self._sounding:
            return
        self._sounding = True
        if self._play_sound():
            self.backend = "sound"
        else:
            self._start_beep()

    def stop(self) -> None:
        """Silence the alarm."""
        self._sounding = False
        self.backend = ""
        self._beep.stop()
        if self._effect is not None:
            try:
                self._effect.stop()
            except Exception:  # pragma: no cover - defensive: never fail while silencing
                log.exception("stopping the alarm sound failed")

    def _play_sound(self) -> bool:
        if not self._use_audio:
            return False
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect

            device = QMediaDevices.defaultAudioOutput()
            if device.isNull():
                log.warning("no audio output device: the emergency alarm uses the system beep")
                return False
            if self._effect is None:
                path = ensure_alarm_wav(self._wav_path)
                effect = QSoundEffect(device, self)
                effect.setSource(QUrl.fromLocalFile(str(path)))
                effect.setLoopCount(QSoundEffect.Loop.Infinite.value)
                effect.setVolume(1.0)
                effect.statusChanged.connect(self._on_status)
                self._effect = effect
            self._effect.play()  # plays as soon as it is loaded
            return True
        except Exception:
            log.exception("the alarm sound cannot be played: falling back to the system beep")
            self._effect = None
            return False

    def _on_status(self) -> None:
        from PySide6.QtMultimedia import QSoundEffect

        effect = self._effect
        if effect is not None and effect.status() == QSoundEffect.Status.Error:
            log.warning("the alarm sound failed to load: falling back to the system beep")
            self._effect = None
            effect.deleteLater()
            if self._sounding:
                self._start_beep()

    def _start_beep(self) -> None:
        log.warning("emergency alarm: beeping (no playable audio)")
        self.backend = "beep"
        self._do_beep()
        self._beep.start()

    def _do_beep(self) -> None:
        self.beeps += 1
        QApplication.beep()


# --- the banner ----------------------------------------------------------------------------


class EmergencyBanner(QFrame):
    """Full-width flashing red banner: one line per open emergency with its acknowledge button."""

    #: The user pressed an acknowledge button (unit id).
    acknowledgeRequested = Signal(int)

    FLASH_MS = 600
    COLOURS = ("#d40000", "#7a0000")

    def __init__(
        self, can_acknowledge: bool, keys: str = ACK_KEYS, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("EmergencyBanner")
        self._can_ack = can_acknowledge
        self._keys = keys
        self._emergencies: list[Emergency] = []
        self._lines: list[tuple[QLabel, QPushButton]] = []
        self._phase = 0
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(12, 10, 12, 10)
        self._layout.setSpacing(4)
        self._flash = QTimer(self)
        self._flash.setInterval(self.FLASH_MS)
        self._flash.timeout.connect(self._toggle)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._update_texts)
        self._apply_style()
        self.hide()

    @property
    def emergencies(self) -> list[Emergency]:
        """The emergencies shown (oldest first)."""
        return list(self._emergencies)

    def buttons(self) -> list[QPushButton]:
        """The acknowledge buttons, one per emergency."""
        return [b for _l, b in self._lines]

    def labels(self) -> list[QLabel]:
        """The text lines, one per emergency."""
        return [lbl for lbl, _b in self._lines]

    def set_emergencies(self, emergencies: Sequence[Emergency]) -> None:
        """Show these emergencies (hide the banner when there are none)."""
        self._emergencies = list(emergencies)
        while len(self._lines) > len(self._emergencies):
            label, button = self._lines.pop()
            label.parentWidget().deleteLater()
        while len(self._lines) < len(self._emergencies):
            self._lines.append(self._add_line())
        for (_label, button), e in zip(self._lines, self._emergencies, strict=True):
            button.setProperty("unit_id", e.unit_id)
            button.setObjectName(f"acknowledgeEmergency_{e.unit_id}")
        self._update_texts()
        if self._emergencies:
            self.show()
            if not self._flash.isActive():
                self._flash.start()
                self._clock.start()
        else:
            self._flash.stop()
            self._clock.stop()
            self.hide()

    def _add_line(self) -> tuple[QLabel, QPushButton]:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(row)
        label.setObjectName("emergencyText")
        label.setWordWrap(True)
        font = QFont(label.font())
        font.setBold(True)
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.45)
        label.setFont(font)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        button = QPushButton(row)
        button.setObjectName("acknowledgeEmergency")
        button.setText(self.tr("Acknowledge (%1)").replace("%1", _native(self._keys)))
        button.setMinimumHeight(40)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setEnabled(self._can_ack)
        if not self._can_ack:
            button.setToolTip(
                self.tr(
                    "Only a dispatcher or the shift lead can acknowledge an emergency. "
                    "Tell them at once."
                )
            )
        else:
            button.setToolTip(
                self.tr("Take over the emergency: stops the alarm on every workstation")
            )
        button.clicked.connect(lambda: self._clicked(button))
        layout.addWidget(label, 1)
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        self._layout.addWidget(row)
        return label, button

    def _clicked(self, button: QPushButton) -> None:
        unit_id = button.property("unit_id")
        if unit_id is not None:
            self.acknowledgeRequested.emit(int(unit_id))

    def text_for(self, e: Emergency) -> str:
        """The banner line for one emergency."""
        parts = [
            "\u26a0 " + self.tr("EMERGENCY (Notruf) %1").replace("%1", e.call_sign),
            self.tr("since %1 (%2)")
            .replace("%1", local(e.raised_at).strftime("%H:%M:%S"))
            .replace("%2", format_duration((utcnow() - e.raised_at).total_seconds())),
        ]
        if e.lat is not None and e.lon is not None:
            where = stadtteil_for(e.lat, e.lon) or self.tr("outside the city")
            parts.append(
                self.tr("last position %1 (%2)")
                .replace("%1", where)
                .replace("%2", format_coordinates(e.lat, e.lon))
            )
        else:
            parts.append(self.tr("no position known"))
        if e.incident_number:
            parts.append(
                self.tr("incident %1, %2")
                .replace("%1", e.incident_number)
                .replace("%2", e.incident_address or "")
                .rstrip(", ")
            )
        return "  ·  ".join(parts)

    def _update_texts(self) -> None:
        for (label, _button), e in zip(self._lines, self._emergencies, strict=True):
            label.setText(self.text_for(e))
            label.setToolTip(
                self.tr("Raised %1").replace("%1", format_local(e.raised_at, with_seconds=True))
            )

    def _toggle(self) -> None:
        self._phase ^= 1
        self._apply_style()

    @property
    def phase(self) -> int:
        """Flash phase (0 or 1): changes while the banner flashes."""
        return self._phase

    def _apply_style(self) -> None:
        colour = self.COLOURS[self._phase]
        self.setStyleSheet(
            f"QFrame#EmergencyBanner {{ background: {colour}; border-bottom: 3px solid #ffd400; }}"
            "QFrame#EmergencyBanner QLabel { color: white; background: transparent; }"
            "QFrame#EmergencyBanner QPushButton { background: white; color: #b00000;"
            " font-weight: bold; font-size: 12pt; padding: 4px 14px; border: 2px solid #ffd400;"
            " border-radius: 3px; }"
            "QFrame#EmergencyBanner QPushButton:disabled { background: #f0d0d0; color: #7a4a4a;"
            " border-color: #f0d0d0; }"
        )


def _native(keys: str) -> str:
    from PySide6.QtGui import QKeySequence

    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


# --- the controller ------------------------------------------------------------------------


class EmergencyAlarm(QObject):
    """Watches the open emergencies and drives banner, sound and window attention."""

    #: The open emergencies changed (list of :class:`Emergency`, oldest first).
    emergenciesChanged = Signal(list)
    #: A new emergency appeared on this workstation (:class:`Emergency`).
    alarmRaised = Signal(object)
    #: An emergency was acknowledged on some workstation (:class:`Emergency` with who/when).
    acknowledged = Signal(object)

    def __init__(
        self,
        ctx: UiContext,
        window: QWidget | None = None,
        sound: AlarmSound | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._window = window
        self.can_acknowledge = ctx.can(Permission.EMERGENCY_ACK)
        self.banner = EmergencyBanner(self.can_acknowledge, ACK_KEYS, window)
        self.banner.acknowledgeRequested.connect(self.acknowledge)
        self.sound = sound if sound is not None else AlarmSound(self)
        self._open: list[Emergency] = []
        self._seen: set[int] = set()
        self._generation = 0
        self._started = False
        #: How often this workstation called for attention (raise, activate, taskbar flash).
        self.attention_count = 0
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(30)
        self._refresh_timer.timeout.connect(self.refresh)
        ctx.bridge.changes.connect(self.on_changes)
        ctx.bridge.link.connect(self._on_link)

    # -- state ------------------------------------------------------------------------------

    @property
    def is_sounding(self) -> bool:
        """True while the alarm sound (or its beep fallback) is playing."""
        return self.sound.is_sounding

    @property
    def open_emergencies(self) -> list[Emergency]:
        """Unacknowledged emergencies as last read (oldest first)."""
        return list(self._open)

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Read the open emergencies now and follow the change feed."""
        self._started = True
        self.refresh()
        if self.sound.uses_audio:
            # Write the sound file off the loop now, not when the first alarm comes in.
            spawn(self._prepare_sound())

    async def _prepare_sound(self) -> None:
        try:
            await asyncio.to_thread(self.sound.prepare)
        except OSError:
            log.exception("cannot write the alarm sound file")

    def stop(self) -> None:
        """Silence and stop following (the window closes)."""
        self._started = False
        self._refresh_timer.stop()
        self.sound.stop()

    def on_changes(self, batch: ChangeBatch) -> None:
        """Any emergency change: re-read the open ones; acknowledgments are announced."""
        relevant = False
        for change in batch.changes:
            if change.entity == "emergency":
                relevant = True
                if change.op == "ack":
                    spawn(self._announce_ack(change.entity_id))
            elif change.entity == "demo" or change.op == "reset":
                relevant = True
        if relevant and self._started:
            self._refresh_timer.start()

    def _on_link(self, status: LinkStatus) -> None:
        # Back online after an outage: the feed catches up, but re-read to be sure.
        if status.state == LinkState.ONLINE and self._started:
            self._refresh_timer.start()

    def refresh(self) -> None:
        """Re-read the open emergencies from the database."""
        self._generation += 1
        spawn(self._load(self._generation))

    async def _load(self, generation: int) -> None:
        found = await self._ctx.services.units.open_emergencies(self._ctx.actor)
        if generation == self._generation and self._started:
            self.apply(found)

    def apply(self, emergencies: Sequence[Emergency]) -> None:
        """Show ``emergencies``: banner, sound and attention for new ones; silence when none."""
        self._open = list(emergencies)
        self.banner.set_emergencies(self._open)
        new = [e for e in self._open if (e.id or -e.unit_id) not in self._seen]
        self._seen.update(e.id or -e.unit_id for e in self._open)
        if self._open:
            self.sound.start()
            for e in new:
                log.warning(
                    "EMERGENCY of %s raised %s (position %s, %s; incident %s)",
                    e.call_sign,
                    e.raised_at.isoformat(),
                    e.lat,
                    e.lon,
                    e.incident_number,
                )
                self.alarmRaised.emit(e)
            if new:
                self.call_attention()
        else:
            self.sound.stop()
        self.emergenciesChanged.emit(list(self._open))

    def call_attention(self) -> None:
        """Bring the window to the front and flash its taskbar entry."""
        self.attention_count += 1
        window = self._window.window() if self._window is not None else None
        if window is None:
            return
        if window.isMinimized():
            window.setWindowState(
                (window.windowState() & ~Qt.WindowState.WindowMinimized)
                | Qt.WindowState.WindowActive
            )
        if window.isVisible():
            window.raise_()
            window.activateWindow()
        QApplication.alert(window, 0)

    # -- acknowledging ----------------------------------------------------------------------

    def acknowledge(self, unit_id: int | None = None) -> None:
        """Acknowledge the emergency of ``unit_id`` (default: the oldest open one)."""
        if not self.can_acknowledge:
            return
        if unit_id is None:
            if not self._open:
                return
            unit_id = self._open[0].unit_id
        spawn(self._acknowledge(unit_id))

    async def _acknowledge(self, unit_id: int) -> None:
        try:
            done = await self._ctx.services.units.acknowledge_emergency(self._ctx.actor, unit_id)
            log.warning(
                "emergency of %s acknowledged by %s at %s",
                done.call_sign,
                done.acknowledged_by,
                done.acknowledged_at,
            )
        except NotFound:
            # Another workstation was quicker: the change feed removes the banner anyway.
            log.info("emergency of unit %s was already acknowledged", unit_id)
        finally:
            self.refresh()
        self._poke()

    def _poke(self) -> None:
        follower = self._ctx.bridge.follower
        if follower is not None:
            follower.poke()

    async def _announce_ack(self, emergency_id: int) -> None:
        try:
            e = await self._ctx.services.units.emergency(self._ctx.actor, emergency_id)
        except NotFound:
            return
        if e.acknowledged_at is None:
            return
        self.acknowledged.emit(e)
        if isinstance(self._window, QMainWindow):
            self._window.statusBar().showMessage(
                self.tr("Emergency of %1 acknowledged by %2 at %3")
                .replace("%1", e.call_sign)
                .replace("%2", e.acknowledged_by or "?")
                .replace("%3", local(e.acknowledged_at).strftime("%H:%M:%S")),
                60_000,
            )


def install(window: MainWindow) -> EmergencyAlarm | None:
    """Add the emergency banner and the acknowledge shortcut to the main window; start it.

    Roles that may not read unit data (clerk, data protection, administration) get no alarm:
    the service would refuse to list emergencies to them. Returns None for them.
    """
    if not window.ctx.can(Permission.UNIT_READ):
        return None
    alarm = EmergencyAlarm(window.ctx, window, parent=window)
    window.banners.add_banner(alarm.banner)
    group = QCoreApplication.translate("Shortcuts", "Emergency")
    action = window.shortcuts.add_action(
        window,
        group,
        QCoreApplication.translate("EmergencyAlarm", "Acknowledge the emergency (Notruf)"),
        ACK_KEYS,
        "actionAcknowledgeEmergency",
    )
    # Works wherever the focus is in the main window, also in text fields.
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setEnabled(alarm.can_acknowledge)
    action.triggered.connect(lambda: alarm.acknowledge())
    window.closing.connect(alarm.stop)
    QTimer.singleShot(0, alarm.start)
    return alarm
