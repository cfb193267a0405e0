"""The one path helper for bundled resources (data files, translations, styles)."""

from __future__ import annotations

import pathlib
from importlib import resources as _importlib_resources


def _resources_root() -> pathlib.Path:
    """Return the directory of the installed ``resources`` package."""
    try:
        root = _importlib_resources.files("resources")
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - defensive
        return pathlib.Path(__file__).resolve().parent
    if isinstance(root, pathlib.Path):
        return root
    # Non-filesystem loaders (e.g. zip imports) are not supported for data files;
    # fall back to the directory this module lives in.
    return pathlib.Path(__file__).resolve().parent


def resource_path(*parts: str) -> pathlib.Path:
    """Return the path of a file or directory below the ``resources`` package.

    ``resource_path("data", "leverkusen", "leverkusen_stadtteile.csv")`` gives the absolute
    path of that file, both in a source checkout and in an installed package. Calling it
    without arguments returns the package directory itself. The path is not checked for
    existence. Absolute parts and ``..`` components are rejected so that callers cannot
    escape the resources directory by accident.
    """
    for part in parts:
        pure = pathlib.PurePath(part)
        if pure.is_absolute() or ".." in pure.parts:
            raise ValueError(f"resource path part must be relative and inside resources: {part!r}")
    return _resources_root().joinpath(*parts)
