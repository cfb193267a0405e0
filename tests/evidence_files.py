"""Real test clips made by ffmpeg, and the bad files a docking station folder may hold."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from app.evidence.config import EvidenceConfig
from app.evidence.keys import write_master_key


def make_clip(
    path: Path,
    seconds: int = 2,
    size: str = "160x120",
    faststart: bool = False,
    tag: str | None = None,
) -> Path:
    """A small H.264/AAC MP4 (test picture and a tone); ``tag`` goes into its metadata, so
    that a copy of exactly this clip can be recognised anywhere."""
    args = [
        "ffmpeg",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=duration={seconds}:size={size}:rate=25",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:duration={seconds}",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
    ]
    if faststart:
        args += ["-movflags", "+faststart"]
    if tag:
        args += ["-metadata", f"comment={tag}"]
    subprocess.run([*args, str(path)], check=True, timeout=120)
    return path


def copy_clip(source: Path, folder: Path, name: str) -> Path:
    """A copy of ``source`` in ``folder`` under ``name``."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(source, folder / name))


def write_sidecar(video: Path, **fields: Any) -> Path:
    """The camera's JSON metadata beside ``video``."""
    path = video.with_suffix(".json")
    path.write_text(json.dumps(fields, ensure_ascii=False), encoding="utf-8")
    return path


def evidence_config(root: Path) -> EvidenceConfig:
    """A master key, a store and a quarantine folder under ``root`` (key created)."""
    config = EvidenceConfig(
        key_file=root / "keys" / "master.key",
        store_dir=root / "store",
        quarantine_dir=root / "quarantine",
    )
    write_master_key(config.key_file)
    return config


def files_under(folder: Path) -> list[Path]:
    """Every file below ``folder``."""
    return sorted(p for p in folder.rglob("*") if p.is_file())
