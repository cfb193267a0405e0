"""The window draws its Qt Quick parts (the map) by the processor where OpenGL is only emulated."""

from __future__ import annotations

import os

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtQuick import QQuickWindow

from ui.rendering import emulated, opengl_renderer


def test_emulated_opengl_is_recognised_by_its_renderer_name() -> None:
    for name in (
        "llvmpipe (LLVM 15.0.6, 256 bits)",
        "Microsoft Basic Render Driver",
        "GDI Generic",
        "Google SwiftShader",
        None,
    ):
        assert emulated(name), name
    for name in ("NVIDIA GeForce RTX 3060/PCIe/SSE2", "Intel(R) UHD Graphics 630", "AMD Radeon"):
        assert not emulated(name), name


@pytest.mark.gui
def test_on_emulated_opengl_the_session_draws_by_the_processor(qapp: QGuiApplication) -> None:
    """Under the virtual X server of the tests OpenGL is Mesa's llvmpipe: the session (set up as
    the workstation does, tests/ui/conftest.py) has chosen Qt Quick's software renderer."""
    if os.environ.get("KOD_RENDERING"):
        pytest.skip("KOD_RENDERING overrides the choice")
    renderer = opengl_renderer()
    assert renderer is None or emulated(renderer), renderer
    assert QQuickWindow.sceneGraphBackend() == "software"
