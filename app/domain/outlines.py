"""Outlines for the situation map: the city boundary and the approximate Stadtteil areas.

The Stadtteil areas are the approximation :func:`app.domain.geo.find_stadtteil` answers from
(through :func:`stadtteil_at`): the Voronoi cell of each hand-estimated centre (in a local
equirectangular frame), clipped to the city boundary. They are computed with shapely and returned as GeoJSON (``[lon, lat]``), each
feature marked ``"approximate": true`` so that the map says so.

Official outlines imported from the city's open data (``kod-admin map import-outlines``,
:mod:`app.domain.outline_import`) replace them: :func:`map_outlines_geojson` gives the map the
official ones when there are any, marked ``"approximate": false``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import shapely
from shapely import MultiPoint, STRtree, voronoi_polygons
from shapely.affinity import scale
from shapely.geometry import mapping, shape
from shapely.ops import unary_union

from app.domain.geo import load_city_area, load_stadtteile

__all__ = [
    "StadtteilIndex",
    "StadtteilOutline",
    "approximate_index",
    "city_boundary_geojson",
    "city_polygon",
    "map_outlines_geojson",
    "stadtteil_at",
    "stadtteil_outlines_geojson",
]


@dataclass(frozen=True)
class StadtteilOutline:
    """An official (imported) Stadtteil outline: GeoJSON geometry and a label point inside."""

    name: str
    geometry: dict[str, Any]
    label_lat: float
    label_lon: float


def city_polygon() -> Any:
    """The city boundary as a shapely geometry in ``(lon, lat)`` (prepared for fast tests)."""
    return load_city_area().geometry


@cache
def city_boundary_geojson() -> dict[str, Any]:
    """The city boundary as a GeoJSON FeatureCollection (one feature)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": load_city_area().name or "Leverkusen"},
                "geometry": mapping(city_polygon()),
            }
        ],
    }


@cache
def stadtteil_outlines_geojson() -> dict[str, Any]:
    """The 13 approximate Stadtteil areas as a GeoJSON FeatureCollection.

    Each feature has ``name``, ``bezirk``, ``approximate: true`` and a label point
    (``label_lat``/``label_lon``, the hand-estimated centre).
    """
    stadtteile = load_stadtteile()
    ref_lat = sum(s.centre_lat for s in stadtteile) / len(stadtteile)
    kx = math.cos(math.radians(ref_lat))
    city = city_polygon()
    # Work in x = lon * kx, y = lat, the frame find_stadtteil measures distances in.
    city_xy = scale(city, xfact=kx, yfact=1.0, origin=(0, 0))
    points = MultiPoint([(s.centre_lon * kx, s.centre_lat) for s in stadtteile])
    cells = voronoi_polygons(points, extend_to=city_xy.envelope.buffer(0.1))
    features: list[dict[str, Any]] = []
    for stadtteil in stadtteile:
        centre = (stadtteil.centre_lon * kx, stadtteil.centre_lat)
        cell = next(c for c in cells.geoms if c.covers(MultiPoint([centre])))
        clipped = cell.intersection(city_xy)
        if clipped.is_empty:
            continue
        outline = scale(clipped, xfact=1.0 / kx, yfact=1.0, origin=(0, 0))
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "name": stadtteil.name,
                    "bezirk": stadtteil.bezirk,
                    "approximate": True,
                    "label_lat": stadtteil.centre_lat,
                    "label_lon": stadtteil.centre_lon,
                },
                "geometry": mapping(unary_union([outline])),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def map_outlines_geojson(official: Sequence[StadtteilOutline] = ()) -> dict[str, Any]:
    """The Stadtteil outlines the map shows: the official ones if any, else the approximate.

    Same shape as :func:`stadtteil_outlines_geojson`; official features have
    ``approximate: false``.
    """
    if not official:
        return stadtteil_outlines_geojson()
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": o.name,
                    "approximate": False,
                    "label_lat": o.label_lat,
                    "label_lon": o.label_lon,
                },
                "geometry": o.geometry,
            }
            for o in official
        ],
    }


class StadtteilIndex:
    """Point-in-outline lookup over a set of Stadtteil outlines (a spatial index of prepared
    geometries): the official ones when given, else the approximate ones.

    A point on the border of two outlines belongs to the first in order.
    """

    def __init__(self, official: Sequence[StadtteilOutline] = ()) -> None:
        features = map_outlines_geojson(official)["features"]
        geometries = [shape(f["geometry"]) for f in features]
        for geometry in geometries:
            shapely.prepare(geometry)
        self._tree = STRtree(geometries)
        self._names = tuple(str(f["properties"]["name"]) for f in features)
        #: True if the index holds official (imported) outlines.
        self.official = bool(official)

    def name_at(self, lat: float, lon: float) -> str | None:
        """The name of the outline the point lies in (None outside every outline)."""
        hits = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
        return self._names[int(min(hits))] if len(hits) else None


@cache
def approximate_index() -> StadtteilIndex:
    """The index of the approximate Stadtteil outlines (built once)."""
    return StadtteilIndex()


def stadtteil_at(lat: float, lon: float) -> str | None:
    """The name of the approximate Stadtteil outline the point lies in (None outside the city).

    Services ask :func:`app.services.stadtteile.stadtteil_of` instead, which prefers the
    official outlines of their database.
    """
    return approximate_index().name_at(lat, lon)
