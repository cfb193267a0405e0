"""How the window's Qt Quick parts (the map's web view) are drawn: on the graphics card, or by the
processor when there is no graphics card to draw with.

Where OpenGL is only emulated by the processor (virtual machines, remote desktop sessions, a
virtual X server: Mesa's llvmpipe, Windows' "Basic Render Driver"), drawing the window through
OpenGL makes the window's thread wait for that emulation to finish every frame, a pause of tens
of milliseconds per map update. Qt Quick's own software renderer draws the same picture without
that wait. ``KOD_RENDERING`` (``auto``, the default; ``software``; ``opengl``) overrides the
choice; the choice is made once, after the application exists and before the first window.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtGui import QGuiApplication, QOffscreenSurface, QOpenGLContext
from PySide6.QtQuick import QQuickWindow, QSGRendererInterface

log = logging.getLogger(__name__)

#: Renderer names of OpenGL that the processor emulates (lower case, as contained).
SOFTWARE_RENDERERS = (
    "llvmpipe",
    "softpipe",
    "swrast",
    "swiftshader",
    "microsoft basic render",
    "gdi generic",
)
GL_RENDERER = 0x1F01


def opengl_renderer() -> str | None:
    """The name of the OpenGL renderer this session would draw with (None without OpenGL)."""
    surface = QOffscreenSurface()
    surface.create()
    context = QOpenGLContext()
    try:
        if not context.create() or not context.makeCurrent(surface):
            return None
        name = context.functions().glGetString(GL_RENDERER)
        context.doneCurrent()
        return str(name) if name else None
    finally:
        surface.destroy()


def emulated(renderer: str | None) -> bool:
    """True if ``renderer`` is OpenGL emulated by the processor (or there is none)."""
    return renderer is None or any(s in renderer.lower() for s in SOFTWARE_RENDERERS)


def choose_scene_graph() -> str:
    """Pick the renderer of Qt Quick for this session (``"software"`` or ``"opengl"``;
    ``"none"`` on a platform that shows nothing, such as ``offscreen``, where it is left as it
    is)."""
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        return "none"
    wanted = os.environ.get("KOD_RENDERING", "auto").strip().lower()
    if wanted not in ("software", "opengl"):
        renderer = opengl_renderer()
        wanted = "software" if emulated(renderer) else "opengl"
        log.info("OpenGL renderer %r: Qt Quick draws with %s", renderer, wanted)
    if wanted == "software":
        QQuickWindow.setGraphicsApi(QSGRendererInterface.GraphicsApi.Software)
    return wanted
