"""What the alarm shows: the age of positions, a layout that does not jump, the missing sound."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from PySide6 import QtMultimedia
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtWidgets import QLabel
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.domain.dto import Emergency, UnitInfo, UnitProposal
from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.platform.uow import Actor
from tests.ui.conftest import wait_until
from tests.ui.flows import build_window
from ui.alarm_sound import AlarmSound
from ui.context import UiContext
from ui.main_window import MainWindow
from ui.models.unit_proposals import COL_DISTANCE, COL_POSITION, UnitProposalTableModel
from ui.position_age import STALE_AFTER_S, position_age
from ui.views.emergency import EmergencyAlarm
from ui.views.emergency_banner import STALE_STYLE, EmergencyBanner

LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD)
FIELD = Actor(None, "cli:field", Role.FIELD_OFFICER)
WIESDORF = (51.0325, 6.9870)


def _unit(uid: int, minutes_old: float | None, lat: float | None = WIESDORF[0]) -> UnitInfo:
    at = utcnow() - timedelta(minutes=minutes_old) if minutes_old is not None else None
    return UnitInfo(
        uid, f"KOD {uid}", "Streife", "2", utcnow(), lat, WIESDORF[1], at, (), None, None, 1
    )


def test_position_age_words_and_staleness() -> None:
    now = utcnow()
    assert position_age(now - timedelta(seconds=40), now).text == "vor 40 s"
    seventeen = position_age(now - timedelta(minutes=17), now)
    assert seventeen.text == "vor 17 min" and seventeen.stale
    assert not position_age(now - timedelta(seconds=STALE_AFTER_S - 1), now).stale
    assert position_age(now - timedelta(hours=2, minutes=5), now).text == "vor 2 h 05 min"
    unknown = position_age(None, now)
    assert unknown.stale and unknown.seconds is None


def test_proposals_show_the_age_of_each_position_and_mark_old_ones(
    qtmodeltester: ModelTester,
) -> None:
    model = UnitProposalTableModel()
    model.set_proposals(
        [
            UnitProposal(_unit(1, 1), 300.0, True),
            UnitProposal(_unit(2, 17), 500.0, True),
            UnitProposal(_unit(3, None, lat=None), None, True),
        ]
    )
    qtmodeltester.check(model, force_py=True)
    assert model.headerData(COL_POSITION, Qt.Orientation.Horizontal) == "Position"
    assert model.data(model.index(0, COL_POSITION)) == "vor 1 min"
    assert model.data(model.index(1, COL_POSITION)) == "\u26a0 vor 17 min"
    assert model.data(model.index(2, COL_POSITION)) == "–"
    fresh_bg = model.data(model.index(0, COL_POSITION), Qt.ItemDataRole.BackgroundRole)
    old_bg = model.data(model.index(1, COL_POSITION), Qt.ItemDataRole.BackgroundRole)
    assert old_bg.color() != fresh_bg.color()
    # The distance from an old position is a guess: in italics, and the tooltip says why.
    assert model.data(model.index(1, COL_DISTANCE), Qt.ItemDataRole.FontRole).italic()
    fresh_font = model.data(model.index(0, COL_DISTANCE), Qt.ItemDataRole.FontRole)
    assert fresh_font is None or not fresh_font.italic()
    tip = model.data(model.index(1, COL_DISTANCE), Qt.ItemDataRole.ToolTipRole)
    assert "17 min" in tip


def _emergency(minutes_old: float | None) -> Emergency:
    at = utcnow() - timedelta(minutes=minutes_old) if minutes_old is not None else None
    return Emergency(7, "KOD 12", utcnow(), WIESDORF[0], WIESDORF[1], id=1, position_at=at)


def test_banner_shows_the_position_age_and_marks_an_old_one(qtbot: QtBot) -> None:
    banner = EmergencyBanner(can_acknowledge=True)
    qtbot.addWidget(banner)
    banner.set_emergencies([_emergency(0.5)])
    (label,) = banner.labels()
    assert "Position vor 30 s" in label.text() and STALE_STYLE not in label.text()
    banner.set_emergencies([_emergency(17)])
    (label,) = banner.labels()
    assert "ALTE POSITION (vor 17 min)" in label.text() and STALE_STYLE in label.text()
    banner.set_emergencies([_emergency(None)])
    assert "Alter unbekannt" in banner.labels()[0].text()
    banner.set_emergencies([])


def _geometries(window: MainWindow) -> list[QRect]:
    return [
        QRect(dock.mapTo(window, dock.rect().topLeft()), dock.size())
        for dock in window.docks.values()
        if not dock.visibleRegion().isEmpty()  # (not a tab behind another)
    ]


@pytest.mark.asyncio
async def test_panes_do_not_move_when_an_emergency_comes_and_goes(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOD_ALARM_AUDIO", "0")
    a = await ui_ctx.services.units.create(LEAD, "KOD 21", home=WIESDORF)
    b = await ui_ctx.services.units.create(LEAD, "KOD 22", home=WIESDORF)
    await ui_ctx.services.units.report_position(LEAD, a.id, WIESDORF[0] + 0.001, WIESDORF[1])
    window, _actions = build_window(ui_ctx, ui_settings)
    qtbot.addWidget(window)
    alarm = window.findChild(EmergencyAlarm)
    assert alarm is not None and window.alarm_strip is not None
    await wait_until(lambda: window.layout_ready and window.alarm_strip.isVisible())
    queue_before = QRect(
        window.queue.mapTo(window, window.queue.rect().topLeft()), window.queue.size()
    )
    panes_before = _geometries(window)

    await ui_ctx.services.units.raise_emergency(FIELD, a.id)
    await wait_until(lambda: alarm.banner.isVisible())
    # The banner lies exactly over the strip reserved for it; nothing else moved.
    strip = window.alarm_strip
    assert alarm.banner.geometry().topLeft() == strip.mapTo(window, strip.rect().topLeft())
    assert alarm.banner.width() == strip.width()
    assert "Position vor" in alarm.banner.labels()[0].text()
    await ui_ctx.services.units.raise_emergency(FIELD, b.id)
    await wait_until(lambda: len(alarm.banner.labels()) == 2)
    queue_now = QRect(
        window.queue.mapTo(window, window.queue.rect().topLeft()), window.queue.size()
    )
    assert queue_now == queue_before
    assert _geometries(window) == panes_before
    alarm.acknowledge()
    alarm.acknowledge(b.id)
    await wait_until(lambda: not alarm.banner.isVisible())
    assert _geometries(window) == panes_before


@pytest.mark.asyncio
async def test_missing_alarm_sound_is_a_permanent_visible_warning(
    ui_ctx: UiContext,
    ui_settings: QSettings,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Audio on, but the machine has no usable audio output.
    monkeypatch.setenv("KOD_ALARM_AUDIO", "1")

    def no_audio() -> object:
        raise RuntimeError("no audio backend")

    monkeypatch.setattr(QtMultimedia.QMediaDevices, "defaultAudioOutput", staticmethod(no_audio))
    caplog.set_level(logging.WARNING)
    unit = await ui_ctx.services.units.create(LEAD, "KOD 31", home=WIESDORF)
    window, _actions = build_window(ui_ctx, ui_settings)
    qtbot.addWidget(window)
    alarm = window.findChild(EmergencyAlarm)
    assert alarm is not None and window.alarm_strip is not None
    warning = window.statusBar().findChild(QLabel, "alarmSoundWarning")
    assert isinstance(warning, QLabel)
    # Before any alarm: in the status bar and in the alarm strip, for as long as it lasts.
    await wait_until(lambda: warning.isVisible())
    assert "Kein Alarmton" in warning.text()
    assert "nicht verfügbar" in window.alarm_strip.idle.text()
    await ui_ctx.services.units.raise_emergency(FIELD, unit.id)
    await wait_until(lambda: alarm.banner.isVisible() and alarm.is_sounding)
    # During the alarm: in the banner too.
    assert alarm.banner.sound_warning.isVisible()
    assert "KEIN ALARMTON" in alarm.banner.sound_warning.text()
    assert warning.isVisible()
    alarm.acknowledge()
    await wait_until(lambda: not alarm.banner.isVisible())
    assert warning.isVisible() and "cannot be played" in caplog.text


def test_sound_problem_follows_the_audio_device(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Device:
        def __init__(self, null: bool) -> None:
            self.null = null

        def isNull(self) -> bool:
            return self.null

    current = [Device(True)]
    monkeypatch.setattr(
        QtMultimedia.QMediaDevices, "defaultAudioOutput", staticmethod(lambda: current[0])
    )
    sound = AlarmSound(use_audio=True)
    problems: list[str] = []
    sound.problemChanged.connect(problems.append)
    assert not sound.probe() and not sound.audible
    assert problems == ["kein Audioausgabegerät"]
    current[0] = Device(False)
    assert sound.probe() and sound.audible and problems[-1] == ""
    switched_off = AlarmSound(use_audio=False)
    assert not switched_off.probe() and "KOD_ALARM_AUDIO" in switched_off.problem
