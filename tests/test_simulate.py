"""``kod-admin simulate`` as a user runs it, on a demo database (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from app.domain.geo import load_city_area
from app.platform.config import DatabaseTarget
from tests.test_cli import run_admin

DEMO_PASSWORD = "leitstelle"


def _url(target: DatabaseTarget, login: str | None = None) -> str:
    url = target.sync_url.set(drivername=target.kind)
    if login is not None and not target.is_sqlite:
        url = url.set(username=login, password=DEMO_PASSWORD)
    return url.render_as_string(hide_password=False)


def _rows(target: DatabaseTarget, sql: str) -> list[Any]:
    engine = create_engine(target.sync_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def _demo(target: DatabaseTarget) -> None:
    demo = run_admin("--incidents", "50", database=_url(target), module="demodata.cli")
    assert demo.returncode == 0, demo.stderr


def _simulate_cmd(target: DatabaseTarget, *args: str, login: str = "disponent") -> list[str]:
    return [
        sys.executable,
        "-m",
        "app.tools.cli",
        "--database",
        _url(target, login),
        "simulate",
        "--as",
        login,
        "--password-stdin",
        *args,
    ]


def test_units_drive_inside_the_city_and_report_their_status_through_the_services(
    db_target: DatabaseTarget,
) -> None:
    _demo(db_target)
    before = {r[0]: (r[1], r[2]) for r in _rows(db_target, "select id, lat, lon from unit")}
    result = subprocess.run(
        _simulate_cmd(
            db_target, "--duration", "6", "--interval", "0.5", "--all-out", "--seed", "3"
        ),
        input=DEMO_PASSWORD + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, "KOD_LANG": "de"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Simulation von" in result.stdout and "beendet" in result.stdout, result.stdout
    after = {r[0]: (r[1], r[2]) for r in _rows(db_target, "select id, lat, lon from unit")}
    moved = [i for i in after if after[i] != before[i]]
    assert len(moved) >= 3, (before, after)
    city = load_city_area()
    assert all(city.contains(lat, lon) for lat, lon in after.values())
    history = _rows(db_target, "select lat, lon from unit_position")
    assert len(history) > len(moved)
    assert all(city.contains(lat, lon) for lat, lon in history)
    # Status changes went through the service: audited in the login's name, journaled with it.
    audited = _rows(db_target, "select username from audit_log where action = 'unit.status'")
    assert audited and {r[0] for r in audited} == {"disponent"}
    changes = _rows(
        db_target,
        "select u.username from unit_status_change c join user_account u on u.id = c.user_id "
        "where c.changed_at > (select max(occurred_at) from audit_log where action "
        "= 'demo.generate')",
    )
    assert changes and {r[0] for r in changes} == {"disponent"}
    feed = _rows(db_target, "select count(*) from change_feed where op = 'position'")
    assert feed[0][0] >= len(moved)


def test_no_position_history_is_kept_when_retention_is_zero(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'kod.sqlite'}"
    assert run_admin("db", "upgrade", database=url).returncode == 0
    assert run_admin("--incidents", "20", database=url, module="demodata.cli").returncode == 0
    set_zero = run_admin("settings", "set", "units.position_retention_hours", "0", database=url)
    assert set_zero.returncode == 0, set_zero.stderr
    result = run_admin(
        "simulate", "--as", "disponent", "--password-stdin", "--duration", "3", "--all-out",
        "--interval", "0.5", database=url, stdin=DEMO_PASSWORD + "\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from unit_position")).scalar() == 0
        assert conn.execute(
            text("select count(*) from unit where position_at is not null")
        ).scalar()
    engine.dispose()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_ends_the_run_cleanly(tmp_path: Any, sig: signal.Signals) -> None:
    url = f"sqlite:///{tmp_path / 'kod.sqlite'}"
    assert run_admin("db", "upgrade", database=url).returncode == 0
    assert run_admin("--incidents", "20", database=url, module="demodata.cli").returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.tools.cli", "--database", url, "simulate", "--as",
         "disponent", "--password-stdin", "--interval", "0.2", "--all-out"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "KOD_LANG": "de"},
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(DEMO_PASSWORD + "\n")
    proc.stdin.close()
    first = proc.stdout.readline()  # the run has started: ticks are being written
    assert "gestartet" in first, first
    proc.send_signal(sig)
    proc.wait(timeout=60)
    out, err = proc.stdout.read(), proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "beendet" in out, (out, err)


def test_bad_options_and_missing_rights_get_german_messages(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'kod.sqlite'}"
    assert run_admin("db", "upgrade", database=url).returncode == 0
    assert run_admin("--incidents", "20", database=url, module="demodata.cli").returncode == 0
    nobody = run_admin("simulate", "--duration", "1", database=url)
    assert nobody.returncode == 8 and "--as" in nobody.stderr, nobody.stderr
    interval = run_admin(
        "simulate", "--as", "disponent", "--password-stdin", "--interval", "0", database=url,
        stdin=DEMO_PASSWORD + "\n",
    )  # fmt: skip
    assert interval.returncode == 8 and "--interval" in interval.stderr, interval.stderr
    wrong = run_admin(
        "simulate", "--as", "disponent", "--password-stdin", database=url, stdin="falsch\n"
    )
    assert wrong.returncode == 5 and "Fehler" in wrong.stderr, wrong.stderr
    reader = run_admin(
        "simulate", "--as", "datenschutz", "--password-stdin", "--duration", "1", database=url,
        stdin=DEMO_PASSWORD + "\n",
    )  # fmt: skip
    assert reader.returncode == 6 and "Status von Einheiten" in reader.stderr, reader.stderr
    assert "Traceback" not in nobody.stderr + interval.stderr + wrong.stderr + reader.stderr
