"""The situation map's outlines: the approximate Stadtteil areas agree with find_stadtteil."""

from __future__ import annotations

import json

from shapely.geometry import shape

from app.domain.geo import load_stadtteile, stadtteil_for
from app.domain.outlines import (
    StadtteilOutline,
    city_boundary_geojson,
    map_outlines_geojson,
    stadtteil_outlines_geojson,
)


def test_every_stadtteil_has_an_outline_marked_approximate() -> None:
    features = stadtteil_outlines_geojson()["features"]
    assert sorted(f["properties"]["name"] for f in features) == sorted(
        s.name for s in load_stadtteile()
    )
    assert all(f["properties"]["approximate"] is True for f in features)
    json.dumps(stadtteil_outlines_geojson())  # plain JSON, ready for the page


def test_points_inside_an_outline_belong_to_that_stadtteil() -> None:
    for feature in stadtteil_outlines_geojson()["features"]:
        area = shape(feature["geometry"])
        inner = area.buffer(-0.0005)  # away from the border, where rounding may differ
        for point in (inner.representative_point(), inner.centroid):
            if not inner.contains(point):
                continue
            assert stadtteil_for(point.y, point.x) == feature["properties"]["name"]


def test_the_outlines_cover_the_city_without_overlap() -> None:
    city = shape(city_boundary_geojson()["features"][0]["geometry"])
    parts = [shape(f["geometry"]) for f in stadtteil_outlines_geojson()["features"]]
    total = sum(p.area for p in parts)
    assert abs(total - city.area) / city.area < 1e-6
    for i, a in enumerate(parts):
        for b in parts[i + 1 :]:
            assert a.intersection(b).area < 1e-9


def test_the_map_shows_official_outlines_when_there_are_any() -> None:
    assert map_outlines_geojson() == stadtteil_outlines_geojson()
    square = {"type": "Polygon", "coordinates": [[[7, 51], [7.01, 51], [7.01, 51.01], [7, 51]]]}
    official = map_outlines_geojson([StadtteilOutline("Wiesdorf", square, 51.005, 7.005)])
    (feature,) = official["features"]
    assert feature["properties"] == {
        "name": "Wiesdorf",
        "approximate": False,
        "label_lat": 51.005,
        "label_lon": 7.005,
    }
    assert feature["geometry"] == square
