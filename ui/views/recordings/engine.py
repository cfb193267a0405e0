"""libvlc for the clip viewer: the shared instance, embedding in a Qt widget, snapshots in memory.

libvlc draws into a native child window of the viewer (``set_xwindow`` on X11, ``set_hwnd`` on
Windows, ``set_nsobject`` on macOS); without a real window system (tests offscreen) it decodes
without showing. Snapshots never touch the disk in clear: on Linux libvlc writes the PNG into an
anonymous memory file; elsewhere the picture is read back from the video window.

libvlc 3 confirms a frame step in pause only in its log: :class:`FrameSteps` listens to the
instance's log for that line and says, in the GUI thread, whether the step showed a new picture.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Any

from PySide6.QtCore import QBuffer, QIODevice, QObject, Signal
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
        # At the end of a clip libvlc pauses on its last frame instead of closing it, so the
        # reviewer can still seek and step back from there.
        args = ["--quiet", "--no-video-title-show", "--no-snapshot-preview", "--play-and-pause"]
        if sys.platform.startswith("linux"):
            args.append("--no-xlib")  # Qt owns Xlib; libvlc must use xcb only
        if not embeds():
            args.append("--vout=dummy")
        extra = os.environ.get("KOD_VLC_ARGS", "").split()
        instance = vlc.Instance(args + extra)
        _state["steps"] = FrameSteps(vlc, instance)
        _state["instance"] = instance
    return _state["instance"]


def frame_steps() -> FrameSteps:
    """The listener for frame steps of the workstation's libvlc instance."""
    vlc_instance()
    steps: FrameSteps = _state["steps"]
    return steps


def _vsnprintf() -> Any:
    """C's ``vsnprintf`` (to read the numbers of a libvlc log line), None if not found."""
    try:
        if sys.platform.startswith("win"):
            function = ctypes.cdll.msvcrt._vsnprintf
        else:
            function = ctypes.CDLL(ctypes.util.find_library("c") or None).vsnprintf
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
    function.restype = ctypes.c_int
    return function


class FrameSteps(QObject):
    """Reports each frame step that libvlc has carried out in pause.

    libvlc 3 gives no event for a frame step; its input thread logs one line per step it
    carries out (``EsOutFrameNext consummed N ms``: N is how far the picture shown moved, 0 if
    the decoder had no new picture ready yet) or a warning if it ignored the step (while still
    buffering after a seek). That line is the only confirmation there is, so the instance's log
    is routed here (libvlc then writes no log of its own; the viewer runs it ``--quiet``
    anyway). All players of the instance report here: the workstation plays one clip at a time.
    """

    #: A frame step was carried out: True if it showed the next picture, False if not.
    stepped = Signal(bool)

    def __init__(self, vlc: Any, instance: Any) -> None:
        super().__init__()
        self._format = _vsnprintf()
        # The ctypes callback must outlive the instance: keep it on self.
        self._callback = vlc.CallbackDecorators.LogCb(self._on_log)
        self.available = self._format is not None
        if self.available:
            instance.log_set(self._callback, None)

    def _on_log(self, _data: Any, _level: int, _context: Any, fmt: bytes | None, args: Any) -> None:
        # Called from libvlc's threads for every log line: look at the format first (cheap).
        try:
            if not fmt or (b"frame next" not in fmt and not fmt.startswith(b"EsOutFrameNext")):
                return
            if fmt.startswith(b"EsOutFrameNext"):
                text = ctypes.create_string_buffer(256)
                self._format(text, len(text), fmt, args)
                self.stepped.emit(not text.value.rstrip().endswith(b" 0 ms"))
            elif b"ignor" in fmt or b"invalid" in fmt:
                self.stepped.emit(False)
        except Exception:  # never raise into libvlc
            return


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


def picture_print(player: Any) -> bytes | None:
    """A small PNG of the picture shown now, in memory (None where that is not possible): two
    prints differ when the picture changed."""
    if not hasattr(os, "memfd_create"):
        return None
    fd = os.memfd_create("kod-print")
    try:
        if player.video_take_snapshot(0, f"/proc/self/fd/{fd}", 96, 0) != 0:
            return None
        size = os.lseek(fd, 0, os.SEEK_END)
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, size) or None
    finally:
        os.close(fd)


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
    # (The stubs ask for bytes; PySide6 6.8 accepts only a str here.)
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    return bytes(buffer.data().data()), image.width(), image.height()
