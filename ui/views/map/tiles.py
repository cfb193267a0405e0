"""Offline map tiles: an MBTiles file served to the map page as ``kodtiles://tile/{z}/{x}/{y}``.

The scheme must be known to QtWebEngine before the application object exists
(:func:`register_tile_scheme`, called by ``ui.main`` and the UI tests). The handler reads one
tile per request from the MBTiles file with an indexed lookup on a connection kept open (read
only), cheap enough for the GUI thread; a tile the file does not have is answered with a
transparent image, never with an error.
"""

from __future__ import annotations

import base64
import logging
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

from app.domain.map_tiles import open_mbtiles, read_tile, tile_host, tile_mime
from app.services.map_data import TileSource

if TYPE_CHECKING:
    from ui.views.map.bridge import LocalOnlyInterceptor

log = logging.getLogger(__name__)

#: The scheme of offline tiles, and the template Leaflet fills in.
TILE_SCHEME = "kodtiles"
TILE_TEMPLATE = f"{TILE_SCHEME}://tile/{{z}}/{{x}}/{{y}}"
#: A 1×1 transparent PNG: what a tile outside the file's coverage looks like.
EMPTY_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def register_tile_scheme() -> None:
    """Make ``kodtiles:`` known to QtWebEngine (once, before the QApplication is created)."""
    if QWebEngineUrlScheme.schemeByName(TILE_SCHEME.encode()).name():
        return
    scheme = QWebEngineUrlScheme(TILE_SCHEME.encode())
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    # Local like file: (only local pages, as the map page is, may load it); secure, so that it
    # never counts as mixed content.
    scheme.setFlags(QWebEngineUrlScheme.Flag.LocalScheme | QWebEngineUrlScheme.Flag.SecureScheme)
    QWebEngineUrlScheme.registerScheme(scheme)


class MBTilesSchemeHandler(QWebEngineUrlSchemeHandler):
    """Answers ``kodtiles://tile/z/x/y`` from one MBTiles file (or empty tiles without one)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path: Path | None = None
        self._conn: sqlite3.Connection | None = None
        #: Tiles answered from the file and empty ones (for tests and diagnosis).
        self.served = 0
        self.empty = 0

    def set_file(self, path: Path | None) -> None:
        """Serve tiles from ``path`` from now on (None: only empty tiles)."""
        if path == self._path:
            return
        self.close()
        self._path = path
        if path is None:
            return
        try:
            self._conn = open_mbtiles(path)
        except sqlite3.Error:
            log.exception("cannot open the tile file %s", path)
            self._conn = None

    def close(self) -> None:
        """Close the tile file."""
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._path = None

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        data = self._tile(job.requestUrl().path())
        if data is None:
            self.empty += 1
            data, mime = EMPTY_TILE, "image/png"
        else:
            self.served += 1
            mime = tile_mime(data) or "application/octet-stream"
        # The job owns the buffer: it lives exactly as long as the request.
        buffer = QBuffer(job)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(mime.encode(), buffer)

    def _tile(self, path: str) -> bytes | None:
        if self._conn is None:
            return None
        parts = path.strip("/").split("/")
        if len(parts) != 3 or not all(p.isdigit() and len(p) < 10 for p in parts):
            return None
        z, x, y = (int(p) for p in parts)
        try:
            return read_tile(self._conn, z, x, y)
        except sqlite3.Error:
            log.exception("cannot read tile %s from %s", path, self._path)
            return None


#: The handler installed on each profile (Qt hands back a plain wrapper, not our object).
_handlers: dict[int, MBTilesSchemeHandler] = {}


def tile_handler(profile: QWebEngineProfile) -> MBTilesSchemeHandler:
    """The profile's tile handler (installed the first time it is asked for)."""
    key = shiboken6.getCppPointer(profile)[0]
    found = profile.urlSchemeHandler(TILE_SCHEME.encode())
    handler = _handlers.get(key)
    if found is not None and handler is not None:
        return handler
    handler = MBTilesSchemeHandler(profile)
    profile.installUrlSchemeHandler(TILE_SCHEME.encode(), handler)
    _handlers[key] = handler
    profile.destroyed.connect(lambda: _handlers.pop(key, None))
    return handler


def tiles_config(source: TileSource) -> dict[str, Any] | None:
    """The page's tile layer (``situation.js``: addTiles) for ``source``; None for none."""
    if source.kind == "none":
        return None
    options: dict[str, Any] = {"maxZoom": 19}
    if source.kind == "mbtiles":
        url = TILE_TEMPLATE
        if source.min_zoom is not None:
            options["minNativeZoom"] = source.min_zoom
        if source.max_zoom is not None:
            options["maxNativeZoom"] = source.max_zoom
        if source.bounds is not None:
            west, south, east, north = source.bounds
            # No requests for tiles the file cannot have.
            options["bounds"] = [[south, west], [north, east]]
    else:
        url = source.url
        options["subdomains"] = "abc"
    return {"url": url, "attribution": source.attribution, "options": options}


def use_tile_source(
    page: QWebEnginePage, interceptor: LocalOnlyInterceptor, source: TileSource
) -> None:
    """Serve the MBTiles file (if that is the source) and let the page reach only its server.

    The page is a local file: it may load anything remote only with a tile server configured,
    and then the interceptor still lets through that server alone.
    """
    handler = tile_handler(page.profile())
    handler.set_file(source.path if source.kind == "mbtiles" else None)
    remote = source.kind == "url"
    interceptor.tile_host = tile_host(source.url) if remote else None
    page.settings().setAttribute(
        QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, remote
    )


def allow_web_engine_as_root() -> bool:
    """Let QtWebEngine start when the program runs as root (containers, a test machine).

    Chromium refuses to run as root inside its sandbox and ends the whole process the moment
    the map opens. As root the sandbox is switched off (and logged); a normal login keeps it.
    Returns True if it was switched off. Call before the QApplication exists.
    """
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None or geteuid() != 0 or os.environ.get("QTWEBENGINE_DISABLE_SANDBOX"):
        return False
    os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    log.warning("running as root: the map's web engine runs without its sandbox")
    return True
