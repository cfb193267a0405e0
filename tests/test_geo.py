"""Tests for app.domain.geo: distances, city boundary, approximate Stadtteile, UTM 32 conversion."""

from __future__ import annotations

import csv
import json
import math
import pathlib
import re
import time

import pytest

from app.domain.geo import (
    CityArea,
    find_stadtteil,
    format_coordinates,
    haversine_m,
    load_city_area,
    load_stadtteile,
    stadtteil_by_name,
    stadtteil_for,
    utm32_to_wgs84,
    wgs84_to_utm32,
)
from resources.paths import resource_path

DATA = resource_path("data", "leverkusen")


def _stations() -> dict[str, tuple[float, float]]:
    data = json.loads((DATA / "leverkusen_bahnhoefe_db.geojson").read_text(encoding="utf-8"))
    return {
        f["properties"]["name"]: (f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0])
        for f in data["features"]
    }


def _schools() -> list[dict[str, str]]:
    with (DATA / "leverkusen_schulen_nrw.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# -- resources ---------------------------------------------------------------------------------


def test_resource_path_points_into_the_package() -> None:
    root = resource_path()
    assert (root / "__init__.py").is_file()
    assert resource_path("data", "leverkusen", "SOURCES.md").is_file()
    with pytest.raises(ValueError):
        resource_path("..", "etc")


def test_sources_md_labels_the_centres_as_approximate() -> None:
    text = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    assert "stadtteile_centres.csv" in text
    assert "approximate" in text and "hand-estimated" in text
    assert "dl-de/zero-2.0" in text and "CC BY 4.0" in text and "MIT" in text


# -- haversine ---------------------------------------------------------------------------------


def test_haversine_basic_properties() -> None:
    assert haversine_m(51.0, 7.0, 51.0, 7.0) == 0.0
    one_degree_lat = haversine_m(51.0, 7.0, 52.0, 7.0)
    assert one_degree_lat == pytest.approx(111_195, rel=1e-3)
    a = haversine_m(51.0315, 6.9917, 51.0662, 7.0088)
    assert a == pytest.approx(haversine_m(51.0662, 7.0088, 51.0315, 6.9917))
    # Leverkusen Mitte -> Opladen station: about 4 km
    assert 3_800 < a < 4_200


# -- city area ---------------------------------------------------------------------------------


def test_city_boundary_bbox_and_area() -> None:
    city = load_city_area()
    assert city is load_city_area()  # cached
    assert city.name == "Leverkusen"
    box = city.bbox
    assert 51.00 < box.min_lat < 51.02 and 51.09 < box.max_lat < 51.10
    assert 6.88 < box.min_lon < 6.91 and 7.11 < box.max_lon < 7.13
    assert sum(len(r) for r in city.rings) == 305  # 306 positions incl. the closing one
    # The file states 78.88 km² measured in UTM 32; this also checks wgs84_to_utm32.
    assert city.area_km2() == pytest.approx(78.88, abs=0.02)


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [
        (51.0315, 6.9917, True),  # Leverkusen Mitte station
        (51.0662, 7.0088, True),  # Opladen station
        (51.0628, 6.9163, True),  # Hitdorf school
        (50.9413, 6.9583, False),  # Cologne cathedral
        (51.2254, 6.7763, False),  # Düsseldorf
        (51.1090, 6.9500, False),  # Langenfeld, north of the boundary
        (51.0500, 7.1500, False),  # Burscheid, east
        (51.0050, 6.9935, False),  # Currenta school in the Chempark, outside the DVG2 line
        (0.0, 0.0, False),
    ],
)
def test_city_contains(lat: float, lon: float, inside: bool) -> None:
    assert load_city_area().contains(lat, lon) is inside


def test_city_area_with_hole_and_multipolygon(tmp_path: pathlib.Path) -> None:
    geojson = {
        "type": "Feature",
        "properties": {"name": "Test"},
        "geometry": {
            "type": "MultiPolygon",
            "coordinates": [
                [
                    [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]],
                    [[1.0, 1.0], [1.0, 3.0], [3.0, 3.0], [3.0, 1.0], [1.0, 1.0]],
                ],
                [[[10.0, 10.0], [11.0, 10.0], [11.0, 11.0], [10.0, 10.0]]],
            ],
        },
    }
    path = tmp_path / "area.geojson"
    path.write_text(json.dumps(geojson), encoding="utf-8")
    area = CityArea.from_geojson(path)
    assert area.name == "Test"
    assert area.contains(0.5, 0.5)  # (lat, lon) inside the outer ring
    assert not area.contains(2.0, 2.0)  # in the hole
    assert area.contains(10.2, 10.8)  # second polygon (below the diagonal in lon/lat)
    assert not area.contains(5.0, 5.0)
    assert area.bbox.min_lat == 0.0 and area.bbox.max_lon == 11.0
    with pytest.raises(ValueError):
        CityArea([[(0.0, 0.0), (1.0, 1.0)]])


# -- Stadtteile --------------------------------------------------------------------------------

BEZIRKE = {
    "I": {"Wiesdorf", "Manfort", "Rheindorf", "Hitdorf"},
    "II": {"Opladen", "Küppersteg", "Bürrig", "Quettingen", "Bergisch Neukirchen"},
    "III": {"Schlebusch", "Steinbüchel", "Lützenkirchen", "Alkenrath"},
}


def test_load_stadtteile() -> None:
    stadtteile = load_stadtteile()
    assert len(stadtteile) == 13
    for bezirk, names in BEZIRKE.items():
        assert {s.name for s in stadtteile if s.bezirk == bezirk} == names
    by_name = {s.name: s for s in stadtteile}
    assert by_name["Opladen"].main_postcode == "51379"
    assert by_name["Opladen"].postcodes == ("51379", "51381")
    assert by_name["Küppersteg"].postcodes == ("51373", "51377", "51379")
    for s in stadtteile:
        assert all(re.fullmatch(r"513(6[89]|7\d|8[01])", p) for p in s.postcodes)


def test_every_centre_is_inside_the_city_and_in_its_own_area() -> None:
    city = load_city_area()
    for s in load_stadtteile():
        assert city.contains(s.centre_lat, s.centre_lon), s.name
        assert stadtteil_for(s.centre_lat, s.centre_lon) == s.name


def test_centres_file_labels_values_as_approximate() -> None:
    with (DATA / "stadtteile_centres.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 13
    assert all(row["note"] == "approximate, hand-estimated" for row in rows)


@pytest.mark.parametrize(
    ("station", "expected"),
    [
        ("Opladen", "Opladen"),
        ("Leverkusen-Küppersteg", "Küppersteg"),
        ("Leverkusen-Rheindorf", "Rheindorf"),
        ("Leverkusen Mitte", "Wiesdorf"),
        # The 2020 station list still calls it "Leverkusen-Schlebusch", but the station lies
        # in Manfort (it was renamed "Leverkusen-Manfort" in December 2021 for that reason;
        # the school 300 m away is "Theodor-Wuppermann-Schule Leverkusen-Manfort").
        ("Leverkusen-Schlebusch", "Manfort"),
        # The Chempark stop lies ~50 m outside the generalised DVG2 boundary.
        ("Leverkusen Chempark", None),
    ],
)
def test_stadtteil_of_stations(station: str, expected: str | None) -> None:
    lat, lon = _stations()[station]
    assert stadtteil_for(lat, lon) == expected


def test_schools_named_after_a_stadtteil_fall_into_it() -> None:
    names = {s.name for s in load_stadtteile()}
    checked = 0
    for school in _schools():
        m = re.search(r"Leverkusen-([A-ZÄÖÜ][\wäöüß]+(?: [A-Z][\wäöüß]+)?)", school["name"])
        if m is None or m.group(1) not in names:
            continue
        checked += 1
        assert stadtteil_for(float(school["lat"]), float(school["lon"])) == m.group(1), school
    assert checked >= 15


def test_school_postcodes_are_postcodes_of_the_computed_stadtteil() -> None:
    for school in _schools():
        found = find_stadtteil(float(school["lat"]), float(school["lon"]))
        if school["inside_dvg2_boundary"] == "False":
            assert found is None
            continue
        assert found is not None
        assert school["plz"] in found.postcodes, (school["strasse"], found.name)
        if school["plz"] == "51379":
            assert found.name == "Opladen"


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(50.9413, 6.9583), (51.2254, 6.7763), (51.1090, 6.9500), (51.0050, 6.9935), (48.0, 11.0)],
)
def test_points_outside_the_city_have_no_stadtteil(lat: float, lon: float) -> None:
    assert stadtteil_for(lat, lon) is None
    assert find_stadtteil(lat, lon) is None


def test_stadtteil_by_name_is_tolerant() -> None:
    for spelling in (
        "Lützenkirchen",
        "luetzenkirchen",
        "Leverkusen-Lützenkirchen",
        " LÜTZENKIRCHEN",
    ):
        found = stadtteil_by_name(spelling)
        assert found is not None and found.name == "Lützenkirchen"
    bn = stadtteil_by_name("bergisch-neukirchen")
    assert bn is not None and bn.name == "Bergisch Neukirchen"
    assert stadtteil_by_name("Leverkusen") is None
    assert stadtteil_by_name("Ehrenfeld") is None


def test_stadtteil_for_is_fast() -> None:
    points = [(51.01 + i * 0.0009, 6.90 + i * 0.0022) for i in range(100)]
    start = time.perf_counter()
    for _ in range(20):
        for lat, lon in points:
            stadtteil_for(lat, lon)
    per_call = (time.perf_counter() - start) / 2000
    assert per_call < 200e-6  # typically ~3 µs


# -- UTM zone 32 -------------------------------------------------------------------------------


def test_utm_reference_point_from_the_school_register() -> None:
    # Official NRW school register (EPSG:25832): Netzestr. 12 at E 356570, N 5658484; the
    # shared data set holds the same point reprojected to 51.059945 N, 6.953223 E.
    lat, lon = utm32_to_wgs84(356_570.0, 5_658_484.0)
    assert haversine_m(lat, lon, 51.059945, 6.953223) < 0.2
    east, north = wgs84_to_utm32(51.059945, 6.953223)
    assert math.hypot(east - 356_570.0, north - 5_658_484.0) < 0.2


def test_utm_cologne_cathedral() -> None:
    # The cathedral at about 50.9413 N, 6.9583 E; the rounded reference E 356,590 /
    # N 5,645,310 refers to a point of the building ~40 m away, so the tolerance is loose.
    lat, lon = utm32_to_wgs84(356_590.0, 5_645_310.0)
    assert haversine_m(lat, lon, 50.9413, 6.9583) < 60.0
    east, north = wgs84_to_utm32(50.9413, 6.9583)
    assert math.hypot(east - 356_590.0, north - 5_645_310.0) < 60.0


def test_utm_central_meridian_and_equator() -> None:
    east, north = wgs84_to_utm32(0.0, 9.0)
    assert east == pytest.approx(500_000.0, abs=1e-6)
    assert north == pytest.approx(0.0, abs=1e-6)
    east, _ = wgs84_to_utm32(51.0, 9.0)
    assert east == pytest.approx(500_000.0, abs=1e-6)
    # Scale factor 0.9996 on the central meridian: 1° of latitude at 51° N is about 111,250 m
    # on GRS80, so the projected northing difference is 0.9996 of that.
    _, n1 = wgs84_to_utm32(50.5, 9.0)
    _, n2 = wgs84_to_utm32(51.5, 9.0)
    assert n2 - n1 == pytest.approx(0.9996 * 111_250.0, abs=15.0)


def test_utm_round_trip_below_a_millimetre() -> None:
    worst = 0.0
    for i in range(21):
        for j in range(21):
            lat = 50.3 + i * 0.1  # NRW and surroundings
            lon = 5.8 + j * 0.2
            east, north = wgs84_to_utm32(lat, lon)
            back_lat, back_lon = utm32_to_wgs84(east, north)
            worst = max(worst, haversine_m(lat, lon, back_lat, back_lon))
            e2, n2 = wgs84_to_utm32(back_lat, back_lon)
            assert math.hypot(e2 - east, n2 - north) < 1e-3
    assert worst < 1e-3


def test_utm_rejects_non_finite_values() -> None:
    with pytest.raises(ValueError):
        utm32_to_wgs84(float("nan"), 5_650_000.0)
    with pytest.raises(ValueError):
        wgs84_to_utm32(51.0, float("inf"))
    with pytest.raises(ValueError):
        wgs84_to_utm32(89.0, 7.0)


def test_coordinates_are_shown_in_german_form(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.platform import i18n

    monkeypatch.setenv("KOD_LANG", "de")
    i18n.catalogue.cache_clear()
    try:
        assert format_coordinates(51.051357, 7.055142) == "51,05136° N, 7,05514° O"
        assert format_coordinates(-33.5, -70.25, decimals=2) == "33,50° S, 70,25° W"
        monkeypatch.setenv("KOD_LANG", "en")
        i18n.catalogue.cache_clear()
        assert format_coordinates(51.051357, 7.055142) == "51.05136° N, 7.05514° E"
    finally:
        i18n.catalogue.cache_clear()
