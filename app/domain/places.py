"""Reference places for the situation map: railway stations and schools of Leverkusen.

Read from the shipped open data (``resources/data/leverkusen/``, licences and attributions in
its ``SOURCES.md``): the 6 DB stations (GeoJSON, Deutsche Bahn AG, CC BY 4.0) and the 45
entries of the NRW school directory (CSV, Ministerium für Schule und Bildung NRW,
dl-de/by-2.0). The names are data, not markup: whoever shows them must show them as text.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache

from resources.paths import resource_path

__all__ = ["SCHOOL", "STATION", "Place", "load_schools", "load_stations"]

STATION = "station"
SCHOOL = "school"

_DATA_DIR = ("data", "leverkusen")
_STATIONS_FILE = "leverkusen_bahnhoefe_db.geojson"
_SCHOOLS_FILE = "leverkusen_schulen_nrw.csv"


@dataclass(frozen=True, slots=True)
class Place:
    """A named point of reference on the map (``kind`` is :data:`STATION` or :data:`SCHOOL`).

    ``detail`` is a second line for the popup (school type and street, the station's operator).
    """

    kind: str
    name: str
    detail: str
    lat: float
    lon: float


@cache
def load_stations() -> tuple[Place, ...]:
    """The railway stations (Point features of the stations GeoJSON), by name."""
    path = resource_path(*_DATA_DIR, _STATIONS_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    result: list[Place] = []
    for feature in data.get("features", []):
        geometry = feature.get("geometry") or {}
        if geometry.get("type") != "Point":
            continue
        lon, lat = geometry["coordinates"][:2]
        props = feature.get("properties") or {}
        result.append(
            Place(
                STATION,
                str(props.get("name", "")).strip(),
                str(props.get("kategorie", "")).strip(),
                float(lat),
                float(lon),
            )
        )
    return tuple(sorted(result, key=lambda p: p.name))


@cache
def load_schools() -> tuple[Place, ...]:
    """The schools of the NRW school directory with a position, by name."""
    path = resource_path(*_DATA_DIR, _SCHOOLS_FILE)
    result: list[Place] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if not (row.get("lat") or "").strip() or not (row.get("lon") or "").strip():
                continue
            detail = ", ".join(
                part
                for part in (
                    (row.get("schulform") or "").strip(),
                    (row.get("strasse") or "").strip(),
                )
                if part
            )
            result.append(
                Place(
                    SCHOOL,
                    (row.get("name") or "").strip(),
                    detail,
                    float(row["lat"]),
                    float(row["lon"]),
                )
            )
    return tuple(sorted(result, key=lambda p: p.name))
