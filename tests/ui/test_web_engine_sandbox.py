"""Started as root (a container, a test machine), the workstation must not end the moment the
map opens: Chromium refuses root inside its sandbox, so the sandbox is switched off then."""

from __future__ import annotations

import os

import pytest

from ui.views.map.tiles import allow_web_engine_as_root


def test_as_root_the_map_runs_without_sandbox_and_a_normal_login_keeps_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QTWEBENGINE_DISABLE_SANDBOX", raising=False)
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    assert not allow_web_engine_as_root()
    assert "QTWEBENGINE_DISABLE_SANDBOX" not in os.environ
    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    assert allow_web_engine_as_root()
    assert os.environ["QTWEBENGINE_DISABLE_SANDBOX"] == "1"
