"""Logging to a rotating file in the per-user log directory."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from app.platform.config import user_log_dir

_configured: set[str] = set()


def log_file(program: str) -> Path:
    """Where ``program`` writes its log (``KOD_LOG_DIR`` overrides the folder)."""
    folder = Path(os.environ.get("KOD_LOG_DIR") or user_log_dir())
    return folder / f"{program}.log"


def setup_logging(program: str, console: bool = False, level: int = logging.INFO) -> Path | None:
    """Log to ``<log dir>/<program>.log`` (5 × 2 MB, rotating). Returns the file, if writable."""
    if program in _configured:
        return log_file(program)
    root = logging.getLogger()
    root.setLevel(level)
    path: Path | None = log_file(program)
    assert path is not None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        # Logging must never stop the program; fall back to stderr.
        handler = logging.StreamHandler()
        path = None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s")
    )
    root.addHandler(handler)
    if console:
        root.addHandler(logging.StreamHandler())
    _configured.add(program)
    return path
