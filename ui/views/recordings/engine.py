"""libvlc for the clip viewer: the shared instance, embedding in a Qt widget, snapshots in memory.

libvlc draws into a native child window of the viewer (``set_xwindow`` on X11, ``set_hwnd`` on
Windows, ``set_nsobject`` on macOS); without a real window system (tests offscreen) it decodes
without showing. Snapshots never touch the disk in clear: on Linux libvlc writes the PNG into an
anonymous memory file; elsewhere the picture is read back from the video window.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QWidget

from app.platform.errors import ConfigError
from app.platform.i18n import tr

_state: dict[str, Any] = {}


def vlc_module() -> Any:
    """The python-vlc module; a German :class:`ConfigError` if libvlc is not installed."""
    if "vlc" not in _state:
        try:
            import vlc
        except (ImportError, OSError) as exc:
            raise ConfigError(
                tr(
                    "evidence",
                    "The video component (libVLC) is not installed on this workstation, so "
                    "recordings cannot be played. Please ask the administration.",
                )
            ) from exc
        _state["vlc"] = vlc
    return _state["vlc"]


def embeds() -> bool:
    """True if libvlc can draw into our widgets (a real window system)."""
    return QGuiApplication.platformName() in ("xcb", "windows", "cocoa")


def vlc_instance() -> Any:
    """The workstation's one libvlc instance (created on first use)."""
    if "instance" not in _state:
        vlc = vlc_module()
        args = ["--quiet", "--no-video-title-show", "--no-snapshot-preview"]
        if sys.platform.startswith("linux"):
            args.append("--no-xlib")  # Qt owns Xlib; libvlc must use xcb only
        if not embeds():
            args.append("--vout=dummy")
        extra = os.environ.get("KOD_VLC_ARGS", "").split()
        _state["instance"] = vlc.Instance(args + extra)
    return _state["instance"]


def embed(player: Any, surface: QWidget) -> None:
    """Let ``player`` draw into ``surface`` (a native window)."""
    if not embeds():
        return
    handle = int(surface.winId())
    if sys.platform.startswith("win"):
        player.set_hwnd(handle)
    elif sys.platform == "darwin":
        player.set_nsobject(handle)
    else:
        player.set_xwindow(handle)


def snapshot_png(player: Any, surface: QWidget) -> tuple[bytes, int, int] | None:
    """The picture shown now as PNG bytes with its size, or None if there is none."""
    if hasattr(os, "memfd_create"):
        width, height = player.video_get_size(0) or (0, 0)
        fd = os.memfd_create("kod-snapshot")
        try:
            if player.video_take_snapshot(0, f"/proc/self/fd/{fd}", width, height) == 0:
                size = os.lseek(fd, 0, os.SEEK_END)
                os.lseek(fd, 0, os.SEEK_SET)
                data = os.read(fd, size)
                image = QImage.fromData(data)
                if not image.isNull():
                    return data, image.width(), image.height()
        finally:
            os.close(fd)
    if not embeds():
        return None
    screen = surface.screen() or QGuiApplication.primaryScreen()
    image = screen.grabWindow(int(surface.winId())).toImage()
    if image.isNull():
        return None
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, b"PNG")
    return bytes(buffer.data().data()), image.width(), image.height()
