"""The map's browser renderer runs below the window's priority.

The renderer is a process of its own that applies each update (JavaScript, canvas). On a
workstation with few CPUs it competes with the window's thread as an equal; a slightly lower
priority lets the window (typing, lists) go first and the map follows a moment later, as a
browser does with its background tabs. Only lowered, never raised (no privileges needed).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

log = logging.getLogger(__name__)

#: Niceness of the renderer on Linux and other Unix systems (0 = the window's own).
RENDERER_NICE = 5
#: Windows: ``BELOW_NORMAL_PRIORITY_CLASS``.
_BELOW_NORMAL_PRIORITY_CLASS = 0x4000
_PROCESS_SET_INFORMATION = 0x0200
_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000


def lower_priority(pid: int) -> bool:
    """Lower the scheduling priority of process ``pid`` (True if it was lowered)."""
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        if sys.platform == "win32":
            return _lower_windows(pid)
        if sys.platform.startswith("linux"):
            return _lower_linux(pid)
        os.setpriority(
            os.PRIO_PROCESS, pid, max(os.getpriority(os.PRIO_PROCESS, pid), RENDERER_NICE)
        )
        return True
    except OSError as exc:
        log.info("priority of process %s not lowered: %s", pid, exc)
        return False


def _lower_linux(pid: int) -> bool:
    """Linux keeps a niceness per thread: every thread of the process (new threads inherit)."""
    lowered = False
    for name in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError, ValueError):  # a thread that ended meanwhile
            tid = int(name)
            current = os.getpriority(os.PRIO_PROCESS, tid)
            if current < RENDERER_NICE:
                os.setpriority(os.PRIO_PROCESS, tid, RENDERER_NICE)
            lowered = True
    return lowered


def _lower_windows(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    access = _PROCESS_SET_INFORMATION | _PROCESS_QUERY_LIMITED_INFORMATION
    handle = kernel32.OpenProcess(access, False, pid)
    if not handle:
        raise OSError(ctypes.get_last_error(), "OpenProcess failed")  # type: ignore[attr-defined,unused-ignore]
    try:
        if not kernel32.SetPriorityClass(handle, _BELOW_NORMAL_PRIORITY_CLASS):
            raise OSError(ctypes.get_last_error(), "SetPriorityClass failed")  # type: ignore[attr-defined,unused-ignore]
        return True
    finally:
        kernel32.CloseHandle(handle)
