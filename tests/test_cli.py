"""kod-admin and kod-leitstelle as a user runs them: exit codes and German messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.platform.config import DatabaseTarget
from tests.conftest import tamper

PYTHON = sys.executable


def run_admin(
    *args: str,
    database: str | None = None,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    module: str = "app.tools.cli",
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "KOD_LANG": "de", **(env or {})}
    cmd = [PYTHON, "-m", module]
    if database:
        cmd += ["--database", database]
    return subprocess.run(
        cmd + list(args),
        capture_output=True,
        text=True,
        input=stdin,
        env=full_env,
        timeout=180,
        check=False,
    )


def _url(target: DatabaseTarget) -> str:
    return target.command_line_url


def test_full_admin_workflow_and_tampered_audit(db_target: DatabaseTarget) -> None:
    url = _url(db_target)
    assert run_admin("db", "upgrade", database=url).returncode == 0
    added = run_admin(
        "user",
        "add",
        "mueller",
        "--role",
        "dispatcher",
        "--name",
        "Eva Müller",
        "--password-stdin",
        database=url,
        stdin="sehrgeheim\n",
    )
    assert added.returncode == 0, added.stderr
    assert "angelegt" in added.stdout
    listed = run_admin("user", "list", database=url)
    assert "mueller" in listed.stdout and "Disponent" in listed.stdout
    assert run_admin("user", "disable", "mueller", database=url).returncode == 0
    assert "deaktiviert" in run_admin("user", "list", database=url).stdout
    demo = run_admin("--incidents", "300", database=url, module="demodata.cli")
    assert demo.returncode == 0, demo.stderr
    assert "300 Einsätze" in demo.stdout
    again = run_admin("--if-empty", database=url, module="demodata.cli")
    assert again.returncode == 0 and "bereits" in again.stdout
    ok = run_admin("audit", "verify", database=url)
    assert ok.returncode == 0 and "intakt" in ok.stdout
    # Someone edits one audit record directly in the database.
    engine = create_engine(db_target.sync_url)
    with engine.begin() as conn:
        victim = conn.execute(
            text("select id from audit_log order by id limit 1 offset 2")
        ).scalar()
        tamper(conn, "update audit_log set action='user.nothing' where id=:i", {"i": victim})
    engine.dispose()
    broken = run_admin("audit", "verify", database=url)
    assert broken.returncode != 0
    assert f"{victim}" in broken.stderr and "NICHT intakt" in broken.stderr


@pytest.mark.parametrize(
    ("database", "expected", "code"),
    [
        ("postgresql://kod@:5432/", "Server", 2),
        ("mysql://x@localhost/db", "nicht unterstützt", 2),
        ("kaputt", "ungültig", 2),
        ("postgresql://kod:kod@127.0.0.1:1/kod", "nicht erreichbar", 3),
        ("postgresql://niemand:falsch@127.0.0.1:5432/kod_test", "Anmeldung", 5),
    ],
)
def test_bad_database_urls_give_german_messages(database: str, expected: str, code: int) -> None:
    result = run_admin("user", "list", database=database)
    assert result.returncode == code
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Fehler:")
    assert expected in result.stderr


def test_corrupt_sqlite_file_untouched(tmp_path: Path) -> None:
    bad = tmp_path / "kaputt.sqlite"
    bad.write_bytes(b"\x00garbage" * 100)
    result = run_admin("db", "upgrade", database=f"sqlite:///{bad}")
    assert result.returncode == 3 and "beschädigt" in result.stderr
    assert bad.read_bytes() == b"\x00garbage" * 100


def test_schema_not_migrated_message(tmp_path: Path) -> None:
    result = run_admin("user", "list", database=f"sqlite:///{tmp_path / 'neu.sqlite'}")
    assert result.returncode == 4 and "kod-admin db upgrade" in result.stderr


def test_database_from_environment(tmp_path: Path) -> None:
    path = tmp_path / "env.sqlite"
    result = run_admin("db", "upgrade", env={"KOD_DATABASE_URL": f"sqlite:///{path}"})
    assert result.returncode == 0 and path.exists()


def test_workstation_check_reports_bad_database_in_german(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "KOD_LANG": "de",
        "KOD_NO_DIALOGS": "1",
        "QT_QPA_PLATFORM": "offscreen",
        "KOD_LOG_DIR": str(tmp_path),
    }
    cmd = [PYTHON, "-m", "ui.main", "--check", "--database", "postgresql://kod:kod@127.0.0.1:1/x"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 3
    assert "nicht erreichbar" in result.stderr and "Traceback" not in result.stderr
    good = tmp_path / "ok.sqlite"
    assert run_admin("db", "upgrade", database=f"sqlite:///{good}").returncode == 0
    cmd = [PYTHON, "-m", "ui.main", "--check", "--database", f"sqlite:///{good}"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0 and "bereit" in result.stdout


def run_workstation_cli(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``kod-leitstelle`` as a newcomer runs it on a machine without a screen."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "KOD_DATABASE_URL")
    }
    env.update({"KOD_LANG": "de", "KOD_LOG_DIR": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)})
    return subprocess.run(
        [PYTHON, "-m", "ui.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


#: English text of Python or SQLAlchemy that must never reach the user.
ENGLISH = ("Traceback", "invalid literal", "Could not parse", "usage:", "error:", "options:")


def _german_only(text: str) -> None:
    for english in ENGLISH:
        assert english not in text, text


def test_workstation_help_and_argument_errors_are_german_without_a_screen(
    tmp_path: Path,
) -> None:
    shown = run_workstation_cli("--help", tmp_path=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Aufruf: kod-leitstelle" in shown.stdout and "Optionen" in shown.stdout
    assert "diese Hilfe anzeigen und beenden" in shown.stdout
    assert "nur die Installation" in shown.stdout and "Version anzeigen" in shown.stdout
    _german_only(shown.stdout)
    wrong = run_workstation_cli("--gibtsnicht", tmp_path=tmp_path)
    assert wrong.returncode == 2
    assert "Fehler: unbekannte Argumente: --gibtsnicht" in wrong.stderr
    _german_only(wrong.stderr)
    admin = run_admin("--help")
    assert admin.returncode == 0 and "Aufruf: kod-admin" in admin.stdout
    _german_only(admin.stdout)
    demo = subprocess.run(
        [sys.executable, "-m", "demodata.cli", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert demo.returncode == 0 and "Aufruf: kod-demo" in demo.stdout, demo.stderr
    assert "Zufallsgenerator" in demo.stdout
    _german_only(demo.stdout)


@pytest.mark.parametrize(
    ("database", "expected", "code"),
    [
        ("kaputt", "ungültig", 2),
        ("postgresql://kod:geheim@127.0.0.1:abc/kod", "fehlerhaft", 2),
        ("postgresql://kod:kod@127.0.0.1:1/kod", "nicht erreichbar", 3),
    ],
)
def test_workstation_with_a_bad_database_and_no_screen_says_why_in_german(
    database: str, expected: str, code: int, tmp_path: Path
) -> None:
    for args in (("--check", "--database", database), ("--database", database)):
        result = run_workstation_cli(*args, tmp_path=tmp_path)
        assert result.returncode == code, (args, result.returncode, result.stderr)
        assert result.stderr.startswith("Fehler:") and expected in result.stderr
        assert "geheim" not in result.stderr  # the password is never echoed
        _german_only(result.stderr)


def test_workstation_without_a_screen_checks_the_database_then_says_so(tmp_path: Path) -> None:
    good = tmp_path / "ok.sqlite"
    assert run_admin("db", "upgrade", database=f"sqlite:///{good}").returncode == 0
    checked = run_workstation_cli("--check", "--database", f"sqlite:///{good}", tmp_path=tmp_path)
    assert checked.returncode == 0 and "bereit" in checked.stdout
    started = run_workstation_cli("--database", f"sqlite:///{good}", tmp_path=tmp_path)
    assert started.returncode == 2
    assert "Kein Bildschirm gefunden" in started.stderr and "KOD_HEADLESS=1" in started.stderr
    _german_only(started.stderr)


def test_malformed_database_url_for_admin_has_no_english_python_text() -> None:
    result = run_admin("user", "list", database="postgresql://kod:geheim@127.0.0.1:abc/kod")
    assert result.returncode == 2 and result.stderr.startswith("Fehler:")
    assert "fehlerhaft" in result.stderr and "geheim" not in result.stderr
    _german_only(result.stderr)
