"""The map's background under a real X display: MBTiles, a tile server, or nothing at all.

Real QtWebEngine and a real database; the proof is what the page itself reports (tile images
loaded, their addresses, the outlines drawn) and every request the interceptor saw.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

from app.services import Services
from tests.conftest import ADMIN
from tests.map_files import make_mbtiles, projected_outlines
from tests.ui.conftest import wait_until
from tests.ui.test_map import js, show_map, wait_for_page
from ui.context import UiContext
from ui.views.map import MapPane
from ui.views.map.tiles import tile_handler

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]

TILES = (
    "Array.from(document.querySelectorAll('img.leaflet-tile'))"
    ".map(i => ({src: i.src, loaded: i.complete && i.naturalWidth > 0}))"
)


def qt_png(colour: str = "#3070c0") -> bytes:
    image = QImage(256, 256, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "PNG")
    return bytes(data.data())


async def loaded_tiles(pane: MapPane, prefix: str, timeout: float = 20.0) -> list[Any]:
    """Wait until the page shows tiles loaded from ``prefix``; return every tile image."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        tiles: list[Any] = await js(pane, TILES)
        if any(t["loaded"] and t["src"].startswith(prefix) for t in tiles):
            return tiles
        if loop.time() > deadline:
            raise AssertionError(f"no tile from {prefix} loaded: {tiles}")
        await asyncio.sleep(0.1)


def share_of_colour(pane: MapPane, colour: str) -> float:
    """How much of the rendered map (a grid of samples) has exactly ``colour``."""
    assert pane.view is not None
    image = pane.view.grab().toImage()
    want = QColor(colour).rgb()
    samples = [
        image.pixel(image.width() * i // 21, image.height() * j // 21)
        for i in range(1, 21)
        for j in range(1, 21)
    ]
    return sum(1 for p in samples if p == want) / len(samples)


async def wait_for_colour(pane: MapPane, colour: str, share: float = 0.5) -> None:
    """Wait until at least ``share`` of the rendered map shows ``colour`` (the tiles)."""
    await wait_until(lambda: share_of_colour(pane, colour) >= share, 20.0)


def close(pane: MapPane) -> None:
    pane.stop()
    pane.close()
    pane.deleteLater()


async def test_tiles_from_an_imported_mbtiles_file_show_in_the_page(
    services: Services, ui_ctx: UiContext, tmp_path: Path
) -> None:
    services.map_data.data_dir = tmp_path / "data"
    source = make_mbtiles(tmp_path / "stadtplan.mbtiles", qt_png())
    await services.map_data.import_tiles(ADMIN, source)
    pane = await show_map(ui_ctx)
    try:
        await wait_for_page(pane, lambda s: s["ready"])
        tiles = await loaded_tiles(pane, "kodtiles://tile/12/")
        loaded = [t for t in tiles if t["loaded"]]
        assert len(loaded) >= 4
        assert all(t["src"].startswith("kodtiles://tile/") for t in tiles)
        assert pane.view is not None
        assert tile_handler(pane.view.page().profile()).served >= 4
        await wait_for_colour(pane, "#3070c0")  # what the screen shows is the tiles
        assert pane.interceptor.blocked == []
        # The outlines are still drawn on top.
        assert await js(pane, "document.querySelectorAll('.kod-stadtteil').length") == 13
    finally:
        close(pane)


class _TileServer(BaseHTTPRequestHandler):
    png = b""
    seen: list[str] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.png)))
        self.end_headers()
        self.wfile.write(self.png)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def tile_server() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_TileServer,), {"png": qt_png("#40a040"), "seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


async def test_a_tile_server_template_fetches_tiles_and_nothing_else_leaves(
    services: Services, ui_ctx: UiContext, tile_server: tuple[str, list[str]]
) -> None:
    base, seen = tile_server
    await services.settings.set(ADMIN, "map.tile_url", base + "/tiles/{z}/{x}/{y}.png")
    await services.settings.set(ADMIN, "map.tile_attribution", "© Stadt <b>Leverkusen</b>")
    pane = await show_map(ui_ctx)
    try:
        await wait_for_page(pane, lambda s: s["ready"])
        await loaded_tiles(pane, base + "/tiles/12/")
        assert any(p.startswith("/tiles/12/") for p in seen)
        await wait_for_colour(pane, "#40a040")
        assert pane.interceptor.blocked == []
        attribution = await js(
            pane, "document.querySelector('.leaflet-control-attribution').textContent"
        )
        assert "© Stadt <b>Leverkusen</b>" in attribution  # shown as text, not markup
        # Any other server stays blocked: another port on the same machine, another host.
        others = ["http://127.0.0.1:9/probe.png", "https://tiles.example.org/1/0/0.png"]
        await js(
            pane,
            f"{json.dumps(others)}.forEach(u => {{ const i = new Image(); i.src = u; }}) || 1",
        )
        await wait_until(lambda: set(others) <= set(pane.interceptor.blocked))
    finally:
        close(pane)


async def test_without_tiles_nothing_leaves_and_official_outlines_are_labelled(
    services: Services, ui_ctx: UiContext, tmp_path: Path
) -> None:
    # Names from a file go into the page's HTML (the outlines) and its labels.
    payloads = {
        "Hitdorf": "</script><script>window.kodPwned=1</script>",
        "Manfort": '<img src=x onerror="window.kodPwned=2">',
    }
    outlines = projected_outlines(tmp_path / "stadtteile.geojson", rename=payloads)
    await services.map_data.import_outlines(ADMIN, outlines)
    pane = await show_map(ui_ctx)
    try:
        await wait_for_page(pane, lambda s: s["ready"])
        labels = await js(
            pane,
            "Array.from(document.querySelectorAll('.kod-stadtteil')).map(e => e.textContent)",
        )
        assert len(labels) == 13 and set(payloads.values()) <= set(labels)
        legend = await js(pane, "document.querySelector('.kod-legend').textContent")
        assert "amtliche Daten (stadtteile.geojson)" in legend
        assert "ungefähr" not in legend
        layers = await js(pane, "document.querySelector('.leaflet-control-layers').textContent")
        assert "Stadtteile" in layers and "ungefähr" not in layers
        assert await js(pane, "document.querySelectorAll('img.leaflet-tile').length") == 0
        assert share_of_colour(pane, "#3070c0") == share_of_colour(pane, "#40a040") == 0
        assert await js(pane, "typeof window.kodPwned") == "undefined"
        assert [
            r for r in pane.interceptor.requests if r.split(":")[0] not in ("file", "qrc", "data")
        ] == []
        assert pane.interceptor.blocked == []
    finally:
        close(pane)


async def test_an_open_map_takes_outlines_and_tiles_changed_elsewhere_without_reopening(
    services: Services, ui_ctx: UiContext, tmp_path: Path
) -> None:
    pane = await show_map(ui_ctx)
    try:
        await wait_for_page(pane, lambda s: s["ready"])
        legend = await js(pane, "document.querySelector('.kod-legend').textContent")
        assert "ungefähr" in legend
        # Administration imports the city's outlines (here: from the same database).
        outlines = projected_outlines(
            tmp_path / "amtlich.geojson", rename={"Hitdorf": "Hitdorf-Nord"}
        )
        await services.map_data.import_outlines(ADMIN, outlines)

        async def legend_text() -> str:
            if not pane.page_ready:
                return ""
            return str(await js(pane, "document.querySelector('.kod-legend').textContent") or "")

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while "amtliche Daten (amtlich.geojson)" not in await legend_text():
            assert loop.time() < deadline, "the open map never took the imported outlines"
            await asyncio.sleep(0.2)
        labels = await js(
            pane, "Array.from(document.querySelectorAll('.kod-stadtteil')).map(e => e.textContent)"
        )
        assert "Hitdorf-Nord" in labels
        # A tile server configured meanwhile: the page asks it without being reopened.
        await services.settings.set(
            ADMIN, "map.tile_url", "https://tiles.stadt.example/{z}/{x}/{y}.png"
        )
        await wait_until(
            lambda: any(
                r.startswith("https://tiles.stadt.example/") for r in pane.interceptor.requests
            ),
            20,
        )
    finally:
        close(pane)
