"""``kod-leitstelle --check`` after an install: every part of the program loads, then the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def workstation_check(
    tmp_path: Path, database: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "KOD_LANG": "de", "QT_QPA_PLATFORM": "offscreen"}
    full_env |= {"KOD_LOG_DIR": str(tmp_path / "logs"), **env}
    return subprocess.run(
        [sys.executable, "-m", "ui.main", "--check", "--database", f"sqlite:///{database}"],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=180,
        check=False,
    )


def test_check_names_a_part_of_the_package_that_cannot_be_loaded(tmp_path: Path) -> None:
    # A package whose DLL is missing, as an incomplete install would have it: the PostgreSQL
    # driver is only imported when a server is used, yet --check finds it on a SQLite station.
    broken = tmp_path / "broken" / "psycopg"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text(
        'raise ImportError("DLL load failed while importing _core: module not found")\n'
    )
    done = workstation_check(
        tmp_path, tmp_path / "leitstelle.sqlite", PYTHONPATH=str(tmp_path / "broken")
    )
    assert done.returncode == 20, done.stderr
    assert "Ein Teil des Programms kann nicht geladen werden" in done.stderr
    assert "DLL load failed" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_of_a_complete_install_loads_everything_and_the_database(tmp_path: Path) -> None:
    db = tmp_path / "leitstelle.sqlite"
    upgraded = subprocess.run(
        [sys.executable, "-m", "app.tools.cli", "--database", f"sqlite:///{db}", "db", "upgrade"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert upgraded.returncode == 0, upgraded.stderr
    done = workstation_check(tmp_path, db)
    assert done.returncode == 0, done.stderr
    assert "alle Programmteile geladen" in done.stdout and "bereit" in done.stdout
    assert "Videowiedergabe (libvlc 3." in done.stdout  # Debian's libvlc in tests and CI
