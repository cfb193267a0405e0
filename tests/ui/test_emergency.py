"""The emergency alarm on two workstations sharing one database; the sound and its fallback."""

from __future__ import annotations

import itertools
import logging
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
import shiboken6
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.domain.dto import IncidentDraft
from app.platform.changefeed import ChangeFollower, last_change_id
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from db.models import AuditRecord
from db.models import Emergency as EmergencyRow
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from ui.alarm_sound import SAMPLE_RATE, TONE_S, TONES, AlarmSound, write_alarm_wav
from ui.asyncutil import cancel_all, pending_tasks
from ui.context import ChangeBridge, UiContext
from ui.views import emergency
from ui.views.emergency import EmergencyAlarm

LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD)
FIELD = Actor(None, "cli:field", Role.FIELD_OFFICER)
WIESDORF = (51.0325, 6.9870)


async def settle() -> None:
    """Let started reads finish (a task cancelled mid-query would leak its connection)."""
    await wait_until(lambda: not pending_tasks())


@dataclass
class Workstation:
    """One workstation: its own database connection, change follower and main window."""

    ctx: UiContext
    window: QMainWindow
    alarm: EmergencyAlarm
    follower: ChangeFollower

    def start(self) -> None:
        """Follow the feed and start the alarm (inside the test: tasks need the running loop)."""
        self.follower.start()
        self.alarm.start()

    async def stop(self) -> None:
        """Stop inside the test too: pytest-qt's teardown runs Qt events outside the loop."""
        await settle()
        if shiboken6.isValid(self.alarm):
            self.alarm.stop()
        await self.follower.stop()


async def _workstation(services: Services, username: str, role: Role, qtbot: QtBot) -> Workstation:
    await services.users.add(ADMIN, username, username.title(), role, "geheim123")
    actor = await services.users.authenticate(username, "geheim123")
    follower = ChangeFollower(
        services.db, after_id=await last_change_id(services.db), poll_interval=0.05
    )
    ctx = UiContext(services=services, actor=actor, bridge=ChangeBridge(follower))
    window = QMainWindow()
    qtbot.addWidget(window)
    alarm = EmergencyAlarm(ctx, window, AlarmSound(use_audio=False), parent=window)
    window.setMenuWidget(alarm.banner)
    window.resize(1200, 300)
    window.show()
    return Workstation(ctx, window, alarm, follower)


@pytest_asyncio.fixture
async def two_workstations(
    db_target: DatabaseTarget, services: Services, qtbot: QtBot
) -> AsyncIterator[tuple[Workstation, Workstation]]:
    """Two dispatcher workstations on the same database (each with its own connection)."""
    db2 = Database(db_target, workstation="test-ws-2")
    await db2.check()
    services2 = Services.create(db2)
    one = await _workstation(services, "dispo1", Role.DISPATCHER, qtbot)
    two = await _workstation(services2, "dispo2", Role.DISPATCHER, qtbot)
    try:
        yield one, two
    finally:
        for ws in (one, two):
            await ws.stop()
        await cancel_all()
        await db2.dispose()


@pytest.mark.asyncio
async def test_notruf_alarms_both_workstations_until_one_acknowledges(
    two_workstations: tuple[Workstation, Workstation], qtbot: QtBot
) -> None:
    one, two = two_workstations
    one.start()
    two.start()
    services = one.ctx.services
    unit = await services.units.create(LEAD, "KOD 12", home=WIESDORF)
    inc = await services.incidents.create(
        one.ctx.actor, IncidentDraft("assault_staff", address="Hauptstraße 5")
    )
    await services.incidents.assign_unit(one.ctx.actor, inc.id, unit.id)
    assert not one.alarm.banner.isVisible() and not one.alarm.is_sounding

    # The field officer presses the emergency key (through the second workstation's database).
    await two.ctx.services.units.raise_emergency(FIELD, unit.id)
    for ws in (one, two):
        await wait_until(lambda ws=ws: ws.alarm.banner.isVisible() and ws.alarm.is_sounding)
        (text,) = [label.text() for label in ws.alarm.banner.labels()]
        assert "KOD 12" in text and inc.number in text and "Wiesdorf" in text
        assert ws.alarm.sound.backend == "beep"
        assert ws.alarm.attention_count == 1
        (button,) = ws.alarm.banner.buttons()
        assert button.isEnabled()
    # The banner flashes.
    phase = one.alarm.banner.phase
    await wait_until(lambda: one.alarm.banner.phase != phase, timeout=3)

    # Workstation one acknowledges: the alarm stops on both.
    with qtbot.waitSignal(two.alarm.acknowledged, timeout=5000) as announced:
        qtbot.mouseClick(one.alarm.banner.buttons()[0], Qt.MouseButton.LeftButton)
        for ws in (one, two):
            await wait_until(
                lambda ws=ws: not ws.alarm.banner.isVisible() and not ws.alarm.is_sounding
            )
    assert announced.args[0].acknowledged_by == "dispo1"
    assert "dispo1" in two.window.statusBar().currentMessage()
    assert one.alarm.open_emergencies == [] and two.alarm.open_emergencies == []

    # Who acknowledged, when and where: in the emergency table and the audit log.
    async with services.db.read() as s:
        row = (await s.scalars(select(EmergencyRow))).one()
        audit = (
            await s.scalars(select(AuditRecord).where(AuditRecord.action == "emergency.ack"))
        ).one()
    assert row.acknowledged_at is not None and row.acknowledged_workstation == "test-ws"
    assert audit.username == "dispo1" and audit.entity_id == unit.id
    # PostgreSQL adds the address it sees the workstation at.
    assert audit.workstation is not None and audit.workstation.split(" @")[0] == "test-ws"
    await one.stop()
    await two.stop()


@pytest.mark.asyncio
async def test_acknowledging_twice_at_once_is_harmless(
    two_workstations: tuple[Workstation, Workstation], ui_errors: list[BaseException]
) -> None:
    one, two = two_workstations
    one.start()
    two.start()
    unit = await one.ctx.services.units.create(LEAD, "KOD 31")
    await one.ctx.services.units.raise_emergency(one.ctx.actor, unit.id)
    await wait_until(lambda: one.alarm.is_sounding and two.alarm.is_sounding)
    # Both dispatchers press the key: one wins, the other sees no error.
    one.alarm.acknowledge()
    two.alarm.acknowledge()
    await wait_until(lambda: not one.alarm.is_sounding and not two.alarm.is_sounding)
    assert ui_errors == []
    async with one.ctx.services.db.read() as s:
        acks = (
            await s.scalars(select(AuditRecord).where(AuditRecord.action == "emergency.ack"))
        ).all()
    assert len(acks) == 1
    await one.stop()
    await two.stop()


@pytest.mark.asyncio
async def test_second_emergency_while_first_open_gets_its_own_line(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    a = await ui_ctx.services.units.create(LEAD, "KOD 1")
    b = await ui_ctx.services.units.create(LEAD, "KOD 2")
    window = QMainWindow()
    qtbot.addWidget(window)
    alarm = EmergencyAlarm(ui_ctx, window, AlarmSound(use_audio=False), parent=window)
    window.setMenuWidget(alarm.banner)
    window.show()
    alarm.start()
    await ui_ctx.services.units.raise_emergency(FIELD, a.id)
    await wait_until(lambda: len(alarm.banner.buttons()) == 1)
    await ui_ctx.services.units.raise_emergency(FIELD, b.id)
    await wait_until(lambda: len(alarm.banner.buttons()) == 2)
    assert alarm.attention_count == 2
    # Oldest first; a unit that never reported a position shows no coordinates.
    assert "KOD 1" in alarm.banner.labels()[0].text()
    assert "KOD 2" in alarm.banner.labels()[1].text()
    assert alarm.open_emergencies[1].lat is None and "51." not in alarm.banner.labels()[1].text()
    # The shortcut acknowledges the oldest first; the alarm goes on for the other one.
    alarm.acknowledge()
    await wait_until(lambda: len(alarm.banner.buttons()) == 1)
    assert alarm.is_sounding and alarm.open_emergencies[0].unit_id == b.id
    qtbot.mouseClick(alarm.banner.buttons()[0], Qt.MouseButton.LeftButton)
    await wait_until(lambda: not alarm.banner.isVisible() and not alarm.is_sounding)
    await settle()
    alarm.stop()
    assert ui_ctx.bridge.follower is not None
    await ui_ctx.bridge.follower.stop()


@pytest.mark.asyncio
async def test_field_officer_sees_the_alarm_but_cannot_acknowledge(
    services: Services, qtbot: QtBot
) -> None:
    await services.users.add(ADMIN, "streife", "Sam Streife", Role.FIELD_OFFICER, "geheim123")
    actor = await services.users.authenticate("streife", "geheim123")
    follower = ChangeFollower(services.db, after_id=0, poll_interval=0.05)
    ctx = UiContext(services=services, actor=actor, bridge=ChangeBridge(follower))
    window = QMainWindow()
    qtbot.addWidget(window)
    alarm = EmergencyAlarm(ctx, window, AlarmSound(use_audio=False), parent=window)
    window.setMenuWidget(alarm.banner)
    window.show()
    follower.start()
    alarm.start()
    try:
        unit = await services.units.create(LEAD, "KOD 5")
        await services.units.raise_emergency(actor, unit.id)
        await wait_until(lambda: alarm.banner.isVisible() and alarm.is_sounding)
        (button,) = alarm.banner.buttons()
        assert not button.isEnabled() and button.toolTip() != ""
        alarm.acknowledge()
        assert alarm.is_sounding
        assert len(await services.units.open_emergencies(actor)) == 1
    finally:
        await settle()
        alarm.stop()
        await follower.stop()


@pytest.mark.asyncio
async def test_install_adds_banner_and_acknowledge_shortcut(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.main_window import MainWindow

    monkeypatch.setenv("KOD_ALARM_AUDIO", "0")
    window = MainWindow(ui_ctx, "test", ui_settings)
    qtbot.addWidget(window)
    alarm = emergency.install(window)
    assert alarm is not None
    window.finish_layout()
    window.show()
    unit = await ui_ctx.services.units.create(LEAD, "KOD 9")
    await ui_ctx.services.units.raise_emergency(FIELD, unit.id)
    await wait_until(lambda: alarm.banner.isVisible() and alarm.is_sounding)
    # Laid over the strip reserved for it under the menu bar.
    assert alarm.banner.parentWidget() is window
    assert window.alarm_strip is not None
    assert alarm.banner.geometry().topLeft() == window.alarm_strip.mapTo(window, QPoint(0, 0))
    keys = {item.keys for item in window.commands.items()}
    assert QKeySequence("Ctrl+Shift+A").toString(QKeySequence.SequenceFormat.NativeText) in keys
    action = window.commands.action("emergency.ack")
    assert action is not None and action.isEnabled()
    window.activateWindow()
    qtbot.keyClick(
        window,
        Qt.Key.Key_A,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    await wait_until(lambda: not alarm.banner.isVisible() and not alarm.is_sounding)
    await settle()
    window.close()
    assert not alarm.is_sounding
    assert ui_ctx.bridge.follower is not None
    await ui_ctx.bridge.follower.stop()


def test_alarm_wav_is_a_loud_two_tone(tmp_path: Path) -> None:
    path = write_alarm_wav(tmp_path / "alarm.wav")
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        assert wav.getframerate() == SAMPLE_RATE
        frames = wav.readframes(wav.getnframes())
    import array

    samples = array.array("h", frames)
    per_tone = int(SAMPLE_RATE * TONE_S)
    assert len(samples) == per_tone * len(TONES)
    assert max(abs(v) for v in samples) > 0.85 * 32767
    for k, freq in enumerate(TONES):
        part = samples[k * per_tone : (k + 1) * per_tone]
        crossings = sum(1 for x, y in itertools.pairwise(part) if (x < 0) != (y < 0))
        measured = crossings / 2 / TONE_S
        assert abs(measured - freq) < 0.05 * freq


@pytest.mark.asyncio
async def test_sound_falls_back_to_beep_without_audio(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from PySide6 import QtMultimedia

    # Whatever this machine has: starting never fails and the alarm counts as sounding.
    sound = AlarmSound(use_audio=True, wav_path=tmp_path / "a.wav")
    sound.start()
    assert sound.is_sounding and sound.backend in ("sound", "beep")
    sound.stop()
    assert not sound.is_sounding

    # No audio device (or a broken audio stack): the system beep repeats, and it is logged.
    def broken() -> object:
        raise RuntimeError("no audio")

    monkeypatch.setattr(QtMultimedia.QMediaDevices, "defaultAudioOutput", staticmethod(broken))
    caplog.set_level(logging.WARNING)
    sound = AlarmSound(use_audio=True, wav_path=tmp_path / "b.wav")
    sound.BEEP_INTERVAL_MS = 20
    sound._beep.setInterval(20)
    sound.start()
    assert sound.is_sounding and sound.backend == "beep"
    await wait_until(lambda: sound.beeps >= 3)
    sound.stop()
    assert not sound.is_sounding and "beep" in caplog.text


@pytest.mark.asyncio
async def test_sound_that_fails_to_play_falls_back_to_beep(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from PySide6 import QtMultimedia

    class UnusableDevice(QtMultimedia.QAudioDevice):
        """Claims to exist, but there is no output behind it (a broken audio stack)."""

        def isNull(self) -> bool:
            return False

    monkeypatch.setattr(
        QtMultimedia.QMediaDevices, "defaultAudioOutput", staticmethod(lambda: UnusableDevice())
    )
    caplog.set_level(logging.WARNING)
    sound = AlarmSound(use_audio=True, wav_path=tmp_path / "c.wav")
    sound._beep.setInterval(20)
    sound.start()
    assert sound.is_sounding and (tmp_path / "c.wav").exists()
    # The effect reports an error once it tries the device: the beep takes over.
    assert sound.backend == "sound"
    await wait_until(lambda: sound.backend == "beep" and sound.beeps >= 2)
    assert sound.is_sounding and "failed to load" in caplog.text
    sound.stop()
    assert not sound.is_sounding
