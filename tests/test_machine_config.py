"""The machine-wide settings the installer writes, as kod-admin and the evidence store see them.

On Windows the MSI writes them to HKLM (checked under Wine by packaging/windows/check.py); here
the same settings come from ``kod.ini`` in the machine's configuration folder
(``$XDG_CONFIG_DIRS/KOD-Leitstelle``). Order: --database, KOD_DATABASE_URL, machine, per user.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.evidence.config import resolve_evidence_config
from app.platform.appinfo import app_version
from app.platform.machine_config import read_machine_config


def write_machine_ini(root: Path, text: str) -> Path:
    path = root / "etc" / "KOD-Leitstelle" / "kod.ini"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return path


def admin(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """kod-admin on a machine whose configuration folder and user folders are under tmp_path."""
    full_env = {
        k: v for k, v in os.environ.items() if k not in ("KOD_DATABASE_URL", "KOD_RECORDING_STORE")
    }
    full_env |= {
        "KOD_LANG": "de",
        "XDG_CONFIG_DIRS": str(tmp_path / "etc"),
        "XDG_DATA_HOME": str(tmp_path / "home" / "data"),
        "XDG_STATE_HOME": str(tmp_path / "home" / "state"),
        "KOD_LOG_DIR": str(tmp_path / "logs"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "app.tools.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=180,
        check=False,
    )


def per_user_database(tmp_path: Path) -> Path:
    return tmp_path / "home" / "data" / "KOD-Leitstelle" / "leitstelle.sqlite"


def test_installer_setting_chooses_the_database(tmp_path: Path) -> None:
    db = tmp_path / "Leitstelle-Daten" / "zentral.sqlite"
    db.parent.mkdir()
    write_machine_ini(tmp_path, f"[machine]\ndatabase_url = sqlite:///{db}\n")
    done = admin(tmp_path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert db.exists()
    assert not per_user_database(tmp_path).exists()


def test_environment_and_command_line_come_before_the_installer_setting(tmp_path: Path) -> None:
    machine, env_db, cli_db = (tmp_path / n for n in ("machine.sqlite", "env.sqlite", "cli.sqlite"))
    write_machine_ini(tmp_path, f"[machine]\ndatabase_url = sqlite:///{machine}\n")
    assert admin(tmp_path, "db", "upgrade", KOD_DATABASE_URL=f"sqlite:///{env_db}").returncode == 0
    assert env_db.exists() and not machine.exists()
    done = admin(
        tmp_path, "--database", f"sqlite:///{cli_db}", "db", "upgrade",
        KOD_DATABASE_URL=f"sqlite:///{env_db}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert cli_db.exists() and not machine.exists()


@pytest.mark.parametrize(
    "text",
    [
        "[machine]\ndatabase_url =\nevidence_path =\n",  # a silent install without properties
        "not an ini file at all [",
        "",
    ],
)
def test_empty_or_broken_installer_setting_leaves_the_per_user_default(
    tmp_path: Path, text: str
) -> None:
    write_machine_ini(tmp_path, text)
    done = admin(tmp_path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert per_user_database(tmp_path).exists()


def test_evidence_path_from_the_installer_unless_the_environment_says_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    share = tmp_path / "Beweismittel"
    write_machine_ini(tmp_path, f"[machine]\nevidence_path = {share}\n")
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc"))
    assert read_machine_config().evidence_path == str(share)
    assert resolve_evidence_config({}).store_dir == share
    own = tmp_path / "eigener-speicher"
    assert resolve_evidence_config({"KOD_RECORDING_STORE": str(own)}).store_dir == own


def test_kod_admin_tells_its_version(tmp_path: Path) -> None:
    done = admin(tmp_path, "--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"kod-admin {app_version()}"
    assert app_version()[0].isdigit()
