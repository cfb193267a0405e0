"""The map's renderer process is lowered below the window's priority (never raised)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ui.views.map.priority import RENDERER_NICE, lower_priority

# A child with a second thread started before its priority is lowered.
CHILD = (
    "import threading, time; threading.Thread(target=time.sleep, args=(30,)).start(); "
    "print('ready', flush=True); time.sleep(30)"
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness: Linux")
def test_every_thread_of_the_child_runs_below_the_window() -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        assert lower_priority(child.pid)
        tasks = os.listdir(f"/proc/{child.pid}/task")
        assert len(tasks) >= 2
        assert {os.getpriority(os.PRIO_PROCESS, int(t)) for t in tasks} == {
            max(RENDERER_NICE, os.getpriority(os.PRIO_PROCESS, 0))
        }
        # Own process and processes that are gone: nothing happens.
        assert not lower_priority(os.getpid())
        assert not lower_priority(0)
    finally:
        child.kill()
        child.wait()
    assert not lower_priority(child.pid)
