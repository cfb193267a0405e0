"""Unexpected errors reach the user as a German message; the program keeps running."""

from __future__ import annotations

import sys

import pytest
from pytestqt.qtbot import QtBot

from app.platform.errors import DatabaseClosed, DatabaseUnavailable, ValidationError
from tests.ui.waiting import wait_until
from ui.asyncutil import pending_tasks, set_error_sink, spawn
from ui.errors import ErrorReporter


def test_reporter_words_expected_and_unexpected_errors(qtbot: QtBot) -> None:
    reporter = ErrorReporter(None, "/var/log/kod/kod-leitstelle.log")
    reporter.interactive = False
    with qtbot.waitSignal(reporter.reported) as shown:
        reporter.report(ValidationError("Die Priorität muss 1, 2 oder 3 sein."))
    assert shown.args == ["Die Priorität muss 1, 2 oder 3 sein."]
    with qtbot.waitSignal(reporter.reported) as shown:
        reporter.report(ZeroDivisionError("boom"))
    text = shown.args[0]
    assert "unerwarteter Fehler" in text and "läuft weiter" in text
    assert "ZeroDivisionError" in text and "/var/log/kod/kod-leitstelle.log" in text
    with qtbot.waitSignal(reporter.connectionLost):
        reporter.report(DatabaseUnavailable("Die Datenbank ist nicht erreichbar."))


def test_excepthook_reports_instead_of_dying(qtbot: QtBot) -> None:
    reporter = ErrorReporter(None)
    reporter.interactive = False
    try:
        raise KeyError("kaputt")
    except KeyError:
        etype, value, tb = sys.exc_info()
    with qtbot.waitSignal(reporter.reported):
        reporter.excepthook(etype, value, tb)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_failing_task_goes_to_the_error_sink() -> None:
    errors: list[BaseException] = []
    set_error_sink(errors.append)

    async def fails() -> None:
        raise RuntimeError("im Hintergrund")

    task = spawn(fails())
    assert task is not None
    with pytest.raises(RuntimeError):
        await task
    assert len(errors) == 1 and str(errors[0]) == "im Hintergrund"


@pytest.mark.asyncio
async def test_a_late_read_after_the_session_ended_shows_no_error() -> None:
    """A pane's timer that fires after log-out meets the closed database: no dialog."""
    errors: list[BaseException] = []
    set_error_sink(errors.append)

    async def late_read() -> None:
        raise DatabaseClosed("Die Verbindung dieser Sitzung ist beendet.")

    task = spawn(late_read())
    assert task is not None
    with pytest.raises(DatabaseClosed):
        await task
    await wait_until(lambda: task not in pending_tasks())  # its end was handled
    assert errors == []
