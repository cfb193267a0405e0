"""The emergency alarm's sound: a loud two-tone loop, and whether it can be heard at all.

Without an audio device (or with audio switched off, or when the sound fails to play) the alarm
falls back to the system beep, which is often silent too: :attr:`AlarmSound.problem` then says
why, and the workstation shows that as a permanent warning (status bar, alarm strip, banner).
"""

from __future__ import annotations

import array
import logging
import math
import os
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, QTimer, QUrl, Signal
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QMediaDevices, QSoundEffect

log = logging.getLogger(__name__)

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
    """Plays the alarm in a loop; without playable audio it beeps instead (and never fails).

    :attr:`problem` is empty while the sound can be played, else a (translated) reason;
    :attr:`problemChanged` announces every change, also while no alarm is sounding (an audio
    device unplugged or plugged in).
    """

    #: The reason the alarm cannot be heard changed ("" when it can be heard again).
    problemChanged = Signal(str)

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
        self._devices: QMediaDevices | None = None
        self._sounding = False
        self._problem = ""
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

    @property
    def problem(self) -> str:
        """Why the alarm sound cannot be played ("" if it can, as far as is known)."""
        return self._problem

    @property
    def audible(self) -> bool:
        """True unless a problem is known."""
        return not self._problem

    def _set_problem(self, problem: str) -> None:
        if problem != self._problem:
            self._problem = problem
            if problem:
                log.warning("the alarm sound cannot be played: %s", problem)
            else:
                log.info("the alarm sound can be played again")
            self.problemChanged.emit(problem)

    def probe(self) -> bool:
        """Check now whether an audio output exists (and follow device changes); True if so."""
        if not self._use_audio:
            self._set_problem(self.tr("the alarm sound is switched off (KOD_ALARM_AUDIO=0)"))
            return False
        try:
            from PySide6.QtMultimedia import QMediaDevices

            if self._devices is None:
                self._devices = QMediaDevices(self)
                self._devices.audioOutputsChanged.connect(self._devices_changed)
            device = QMediaDevices.defaultAudioOutput()
            if device.isNull():
                self._set_problem(self.tr("no audio output device"))
                return False
        except Exception:
            log.exception("the audio system cannot be used")
            self._set_problem(self.tr("the audio system cannot be used"))
            return False
        if not (self._sounding and self.backend == "beep"):
            # (While beeping after a failure the problem stays until the sound plays again.)
            self._set_problem("")
        return True

    def _devices_changed(self) -> None:
        if self.probe() and self._sounding and self.backend == "beep":
            # A device came back during an alarm: switch from the beep to the sound.
            self._beep.stop()
            self.backend = ""
            if self._play_sound():
                self.backend = "sound"
            else:
                self._start_beep()

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
        if not self.probe():
            return False
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect

            device = QMediaDevices.defaultAudioOutput()
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
            self._set_problem(self.tr("the alarm sound cannot be played"))
            return False

    def _on_status(self) -> None:
        from PySide6.QtMultimedia import QSoundEffect

        effect = self._effect
        if effect is not None and effect.status() == QSoundEffect.Status.Error:
            log.warning("the alarm sound failed to load: falling back to the system beep")
            self._effect = None
            effect.deleteLater()
            self._set_problem(self.tr("the audio output failed"))
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
