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
    return target.sync_url.set(drivername=target.kind).render_as_string(hide_password=False)


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
