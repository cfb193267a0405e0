"""Machine-wide settings, written by the installer or an administrator for every user.

They sit between the environment and the per-user defaults: ``--database`` beats
``KOD_DATABASE_URL``, which beats the machine-wide value, which beats the per-user SQLite file.

On Windows the MSI writes them to the registry (``HKLM\\SOFTWARE\\KOD\\KOD-Leitstelle``, values
``DatabaseUrl`` and ``EvidencePath``; GPO can set the same values). Elsewhere they are read from
``kod.ini`` in the machine's configuration folder (``[machine]`` section, keys ``database_url``
and ``evidence_path``). An empty value counts as not set, so a silent install without a property
leaves the per-user default in force.
"""

from __future__ import annotations

import configparser
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from app.platform.appinfo import APP_AUTHOR, APP_NAME

log = logging.getLogger("kod.config")

#: Registry key (64-bit view) the installer writes; also what a GPO would set.
REGISTRY_KEY = r"SOFTWARE\KOD\KOD-Leitstelle"
REG_DATABASE_URL = "DatabaseUrl"
REG_EVIDENCE_PATH = "EvidencePath"
INI_FILE_NAME = "kod.ini"
INI_SECTION = "machine"


@dataclass(frozen=True)
class MachineConfig:
    """The machine-wide values; an empty string means "not set here"."""

    database_url: str = ""
    evidence_path: str = ""


def machine_config_file() -> Path:
    """Where the machine-wide file lives outside Windows (e.g. ``/etc/xdg/KOD-Leitstelle``)."""
    return Path(platformdirs.site_config_dir(APP_NAME, APP_AUTHOR)) / INI_FILE_NAME


def read_machine_config(ini_path: Path | None = None) -> MachineConfig:
    """The machine-wide settings: the registry on Windows, else the ``kod.ini`` file.

    ``ini_path`` reads that file instead (on any platform). A missing or unreadable source gives
    empty values (logged), never an error: the per-user defaults then apply.
    """
    if ini_path is None and sys.platform == "win32":
        return _read_registry()
    return _read_ini(ini_path or machine_config_file())


def _read_ini(path: Path) -> MachineConfig:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as fh:
            parser.read_file(fh)
    except FileNotFoundError:
        return MachineConfig()
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        log.warning("machine-wide configuration %s not read: %s", path, exc)
        return MachineConfig()
    section = parser[INI_SECTION] if parser.has_section(INI_SECTION) else {}
    return MachineConfig(
        database_url=str(section.get("database_url", "")).strip(),
        evidence_path=str(section.get("evidence_path", "")).strip(),
    )


if sys.platform == "win32":  # pragma: no cover - Windows only (checked under Wine)
    import winreg

    def _read_registry() -> MachineConfig:
        values: dict[str, str] = {}
        try:
            key = winreg.OpenKey(
                winreg.HKEY_LOCAL_MACHINE,
                REGISTRY_KEY,
                0,
                winreg.KEY_READ | winreg.KEY_WOW64_64KEY,
            )
        except OSError:
            return MachineConfig()
        with key:
            for name in (REG_DATABASE_URL, REG_EVIDENCE_PATH):
                try:
                    value, _kind = winreg.QueryValueEx(key, name)
                except OSError:
                    continue
                values[name] = str(value).strip()
        return MachineConfig(
            database_url=values.get(REG_DATABASE_URL, ""),
            evidence_path=values.get(REG_EVIDENCE_PATH, ""),
        )
