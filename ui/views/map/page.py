"""The situation map's page: a folium-generated Leaflet map that loads only local files.

folium writes the page (map, city boundary, approximate Stadtteil outlines) with its default
JavaScript and CSS pointed at the Leaflet copy in ``resources/web/vendor/`` (fetched from npm
by ``scripts/fetch_web_assets.py``); jQuery, Bootstrap and the other CDN defaults are dropped.
Units and incidents are not in the page: they arrive as JSON over the QWebChannel
(``resources/web/map/situation.js`` draws them), so nothing typed by a user is ever part of
the HTML.
"""

from __future__ import annotations

import pathlib
from typing import Any

import folium

from app.domain.geo import load_city_area
from app.domain.outlines import city_boundary_geojson, stadtteil_outlines_geojson
from resources.paths import resource_path
from ui import theme

#: Files the page loads, relative to :func:`web_root`.
LEAFLET_JS = "vendor/leaflet/leaflet.js"
LEAFLET_CSS = "vendor/leaflet/leaflet.css"
SITUATION_JS = "map/situation.js"
SITUATION_CSS = "map/situation.css"
#: Stations, schools, trails, proposals, picking (hooks into situation.js).
LAYERS_JS = "map/layers.js"
LAYERS_CSS = "map/layers.css"
#: Qt ships the QWebChannel client in its resources.
QWEBCHANNEL_JS = "qrc:///qtwebchannel/qwebchannel.js"


def web_root() -> pathlib.Path:
    """The folder the page's relative URLs resolve against."""
    return resource_path("web")


def missing_assets() -> list[str]:
    """The local files the page needs that are not there (empty if complete)."""
    root = web_root()
    return [
        f
        for f in (LEAFLET_JS, LEAFLET_CSS, SITUATION_JS, SITUATION_CSS, LAYERS_JS, LAYERS_CSS)
        if not (root / f).is_file()
    ]


def build_page(outlines: dict[str, Any] | None = None) -> str:
    """The page's HTML (only relative and ``qrc:`` URLs; load it with :func:`web_root` as base).

    ``outlines`` are the Stadtteil outlines to draw (default: the approximate ones).
    """
    centre = load_city_area().bbox.center
    m = folium.Map(
        location=list(centre),
        zoom_start=12,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_control=True,
    )
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    stadtteile = folium.GeoJson(
        outlines or stadtteil_outlines_geojson(),
        name="stadtteile",
        style_function=lambda _f: {
            "color": theme.color("map_stadtteil"),
            "weight": 1,
            "dashArray": "4 4",
            "fill": False,
        },
        interactive=False,
    )
    boundary = folium.GeoJson(
        city_boundary_geojson(),
        name="boundary",
        style_function=lambda _f: {
            "color": theme.color("map_boundary"),
            "weight": 2,
            "fill": False,
        },
        interactive=False,
    )
    stadtteile.add_to(m)
    boundary.add_to(m)
    root = m.get_root()
    root.header.add_child(
        folium.Element(f'<link rel="stylesheet" href="{SITUATION_CSS}"/>'), name="kod_css"
    )
    root.header.add_child(
        folium.Element(f'<script src="{QWEBCHANNEL_JS}"></script>'), name="kod_qwebchannel"
    )
    root.header.add_child(
        folium.Element(f'<script src="{SITUATION_JS}"></script>'), name="kod_situation"
    )
    root.header.add_child(
        folium.Element(
            f'<link rel="stylesheet" href="{LAYERS_CSS}"/><script src="{LAYERS_JS}"></script>'
        ),
        name="kod_layers",
    )
    # folium's names are generated identifiers (map_<hex>), never user text.
    root.script.add_child(
        folium.Element(
            "window.addEventListener('load', function () {"
            f" kodMap.attach({m.get_name()},"
            f" {{stadtteile: {stadtteile.get_name()}, boundary: {boundary.get_name()}}}); }});"
        ),
        name="kod_attach",
    )
    return str(m.get_root().render())
