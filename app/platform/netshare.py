"""Detects database files on network shares, where SQLite's file locking is unsafe."""

from __future__ import annotations

import os
import sys
from pathlib import Path

NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "afs",
        "ncpfs",
        "9p",
        "fuse.sshfs",
        "sshfs",
        "davfs",
        "fuse.davfs2",
        "glusterfs",
        "fuse.glusterfs",
        "ceph",
        "fuse.ceph",
        "lustre",
        "gpfs",
        "fuse.rclone",
    }
)


def parse_mounts(text: str) -> list[tuple[str, str]]:
    """(mount point, file-system type) pairs from ``/proc/mounts`` content."""
    mounts: list[tuple[str, str]] = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            mount_point = parts[1].replace("\\040", " ")
            mounts.append((mount_point, parts[2]))
    return mounts


def filesystem_type(path: Path, mounts: list[tuple[str, str]]) -> str | None:
    """The file-system type of the mount that holds ``path`` (longest matching mount point)."""
    target = str(path)
    best: tuple[str, str] | None = None
    for mount_point, fstype in mounts:
        prefix = mount_point.rstrip("/") + "/"
        if (target == mount_point or target.startswith(prefix) or mount_point == "/") and (
            best is None or len(mount_point) > len(best[0])
        ):
            best = (mount_point, fstype)
    return best[1] if best else None


def is_network_path(path: Path, mounts_text: str | None = None) -> bool:
    """True if ``path`` (or the folder it would be created in) lies on a network share."""
    path = path.expanduser().absolute()
    if sys.platform == "win32":
        return _windows_is_remote(path)
    if mounts_text is None:
        try:
            mounts_text = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    # Resolve symlinks in the part that exists; the file itself may not exist yet.
    existing, tail = path, Path()
    while not existing.exists() and existing != existing.parent:
        existing, tail = existing.parent, Path(existing.name) / tail
    resolved = Path(os.path.realpath(existing)) / tail
    fstype = filesystem_type(resolved, parse_mounts(mounts_text))
    return fstype is not None and fstype.lower() in NETWORK_FILESYSTEMS


def _windows_is_remote(path: Path) -> bool:  # pragma: no cover - Windows only
    text = str(path)
    if text.startswith(("\\\\", "//")):
        return True
    import ctypes

    drive = os.path.splitdrive(text)[0]
    if not drive:
        return False
    drive_remote = 4
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    return int(kernel32.GetDriveTypeW(drive + "\\")) == drive_remote
