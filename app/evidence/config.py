"""Where the master key, the recording store and the quarantine folder are (outside the database).

Each comes from an environment variable, else a default: the master key in the machine's
configuration folder, the store in the evidence path the installer wrote machine-wide
(``KOD_EVIDENCE_PATH``, see :mod:`app.platform.machine_config`; several workstations on
PostgreSQL point it at one share), else in the per-user data folder like the quarantine (one
workstation alone). The docking station's export folder (``KOD_RECORDING_INBOX``) belongs to
the one workstation the station is plugged into, so it is a setting of that machine, not of
the shared database.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from app.platform.appinfo import APP_AUTHOR, APP_NAME
from app.platform.config import user_data_dir
from app.platform.machine_config import read_machine_config

ENV_KEY_FILE = "KOD_RECORDING_KEY_FILE"
ENV_STORE = "KOD_RECORDING_STORE"
ENV_QUARANTINE = "KOD_RECORDING_QUARANTINE"
#: The docking station's export folder on this workstation; unset: no folder is watched.
ENV_INBOX = "KOD_RECORDING_INBOX"
KEY_FILE_NAME = "recording-master.key"


@dataclass(frozen=True)
class EvidenceConfig:
    """The locations the evidence store uses."""

    key_file: Path
    store_dir: Path
    quarantine_dir: Path
    #: The import folder the workstation watches (the docking station's export), if any.
    inbox_dir: Path | None = None


def resolve_evidence_config(environ: Mapping[str, str] | None = None) -> EvidenceConfig:
    """The configured locations (environment first, then the machine-wide evidence path, then
    the defaults)."""
    env = os.environ if environ is None else environ

    def chosen(name: str, default: Path) -> Path:
        raw = env.get(name, "").strip()
        return Path(raw).expanduser() if raw else default

    site = Path(platformdirs.site_config_dir(APP_NAME, APP_AUTHOR))
    machine_store = read_machine_config().evidence_path
    return EvidenceConfig(
        key_file=chosen(ENV_KEY_FILE, site / KEY_FILE_NAME),
        store_dir=chosen(
            ENV_STORE, Path(machine_store) if machine_store else user_data_dir() / "recordings"
        ),
        quarantine_dir=chosen(ENV_QUARANTINE, user_data_dir() / "quarantine"),
        inbox_dir=Path(inbox).expanduser() if (inbox := env.get(ENV_INBOX, "").strip()) else None,
    )
