"""The emergency alarm (Notruf): impossible to miss, and it never takes the keyboard.

Every workstation follows the change feed: a Notruf raised anywhere appears here at once, and an
acknowledgment on any workstation removes the banner and stops the sound everywhere. While an
emergency is open the banner flashes (in a strip reserved for it: the panes do not move), the
sound loops, the window title flashes "NOTRUF" and the taskbar entry asks for attention. None of
that raises or activates a window: the dispatcher typing into a form keeps typing into it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QWidget

from app.domain.changes import ChangeSet, Entity
from app.domain.dto import Emergency
from app.platform.changefeed import LinkState, LinkStatus
from app.platform.errors import NotFound
from app.platform.permissions import Permission
from app.platform.timeutil import local
from ui import theme
from ui.alarm_sound import AlarmSound
from ui.asyncutil import spawn
from ui.commands import command_keys
from ui.context import UiContext
from ui.views.emergency_banner import AlarmStrip, EmergencyBanner

if TYPE_CHECKING:
    from ui.main_window import MainWindow

log = logging.getLogger(__name__)

#: Acknowledge the oldest open emergency (declared with the other commands in ui.commands).
ACK_KEYS = command_keys("emergency.ack")[0]


class EmergencyAlarm(QObject):
    """Watches the open emergencies and drives banner, sound, title and taskbar attention."""

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
        self.banner.flashed.connect(self._flash_title)
        self.sound = sound if sound is not None else AlarmSound(self)
        self.sound.problemChanged.connect(self.banner.set_sound_problem)
        self._open: list[Emergency] = []
        self._seen: set[int] = set()
        self._generation = 0
        self._started = False
        self._plain_title: str | None = None
        #: How often this workstation called for attention (taskbar alert per new emergency).
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

    def end_warnings(self) -> list[str]:
        """What to say before this workstation quits or logs out (open emergencies)."""
        return [
            self.tr(
                "EMERGENCY (Notruf) of %1 is not acknowledged! A closed workstation no longer "
                "sounds the alarm."
            ).replace("%1", e.call_sign)
            for e in self._open
        ]

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Read the open emergencies now and follow the change feed."""
        self._started = True
        self.sound.probe()
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

    def on_changes(self, changes: ChangeSet) -> None:
        """Any emergency change: re-read the open ones; acknowledgments are announced."""
        for emergency_id in changes.with_op(Entity.EMERGENCY, "ack"):
            spawn(self._announce_ack(emergency_id))
        in_emergency = {e.unit_id for e in self._open}
        relevant = (
            changes.touches(Entity.EMERGENCY)
            # a unit in emergency moved: its latest position and age
            or not in_emergency.isdisjoint(changes.ids(Entity.UNIT))
        )
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
                    "EMERGENCY of %s raised %s (position %s, %s of %s; incident %s)",
                    e.call_sign,
                    e.raised_at.isoformat(),
                    e.lat,
                    e.lon,
                    e.position_at.isoformat() if e.position_at else "unknown time",
                    e.incident_number,
                )
                self.alarmRaised.emit(e)
            if new:
                self.call_attention()
            self._flash_title(self.banner.phase)
        else:
            self.sound.stop()
            self._restore_title()
        self.emergenciesChanged.emit(list(self._open))

    def call_attention(self) -> None:
        """Flash the taskbar entry until the window is looked at: never raise or activate it.

        Raising or activating the main window would take the keyboard from whatever the
        dispatcher is typing into (the rest of a description once went into the queue search).
        """
        self.attention_count += 1
        window = self._window.window() if self._window is not None else None
        if window is not None:
            QApplication.alert(window, 0)

    # -- the window title -------------------------------------------------------------------

    def _flash_title(self, phase: int) -> None:
        window = self._window.window() if self._window is not None else None
        if window is None or not self._open:
            return
        if self._plain_title is None:
            self._plain_title = window.windowTitle()
        signs = ", ".join(e.call_sign for e in self._open)
        alarm = self.tr("EMERGENCY %1").replace("%1", signs)
        mark = "\u26a0\u26a0\u26a0" if phase else "\u26a0"
        window.setWindowTitle(f"{mark} {alarm} {mark} – {self._plain_title}")

    def _restore_title(self) -> None:
        window = self._window.window() if self._window is not None else None
        if window is not None and self._plain_title is not None:
            window.setWindowTitle(self._plain_title)
        self._plain_title = None

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


def _sound_warning_label(window: MainWindow, alarm: EmergencyAlarm) -> QLabel:
    """A permanent status-bar warning while the alarm sound cannot be heard."""
    label = QLabel(window)
    label.setObjectName("alarmSoundWarning")
    label.setStyleSheet(theme.error_style(bold=True))

    def show(problem: str) -> None:
        label.setText("\u26a0 " + alarm.tr("No alarm sound: %1").replace("%1", problem))
        label.setToolTip(
            alarm.tr(
                "An emergency (Notruf) is only shown on the screen: check the audio output "
                "of this workstation."
            )
        )
        label.setVisible(bool(problem))

    alarm.sound.problemChanged.connect(show)
    show(alarm.sound.problem)
    window.statusBar().addPermanentWidget(label)
    return label


def install(window: MainWindow) -> EmergencyAlarm | None:
    """Add the emergency alarm to the main window: strip and banner, acknowledge command,
    sound warning in the status bar, the quit warning; start it.

    Roles that may not read unit data (clerk, data protection, administration) get no alarm:
    the service would refuse to list emergencies to them. Returns None for them.
    """
    if not window.ctx.can(Permission.UNIT_READ):
        return None
    alarm = EmergencyAlarm(window.ctx, window, parent=window)
    strip = AlarmStrip(alarm.banner, window)
    alarm.sound.problemChanged.connect(strip.set_sound_problem)
    window.banners.add_banner(strip)
    window.alarm_strip = strip
    _sound_warning_label(window, alarm)
    window.commands.bind("emergency.ack", alarm.acknowledge, lambda: alarm.can_acknowledge)
    window.end_warnings.append(alarm.end_warnings)
    window.closing.connect(alarm.stop)
    QTimer.singleShot(0, alarm.start)
    return alarm
