"""Who the program is: its name for per-user and machine-wide folders, and its version."""

from __future__ import annotations

from importlib import metadata

APP_NAME = "KOD-Leitstelle"
APP_AUTHOR = "KOD"
DISTRIBUTION = "kod-leitstelle"


def app_version() -> str:
    """The installed version (from the package metadata, i.e. ``pyproject.toml``)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # a bare source tree without ``pip install -e``
        return "0+unknown"
