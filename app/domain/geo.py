"""Geographic helpers for Leverkusen (pure Python, no Qt, no database).

Contents:

* :func:`haversine_m` – great-circle distance in metres.
* :class:`CityArea` / :func:`load_city_area` – the municipal boundary (Geobasis NRW, DVG2,
  generalised to 306 vertices) with a point-in-polygon test (shapely) and a bounding box.
* :class:`Stadtteil` / :func:`load_stadtteile` / :func:`stadtteil_for` – the 13 Stadtteile.
  **The Stadtteil areas are approximate.** No official Stadtteil outlines are openly
  available, so an area is modelled as the Voronoi cell of a hand-estimated centre point
  (``resources/data/leverkusen/stadtteile_centres.csv``), clipped to the city boundary
  (the outlines in :mod:`app.domain.outlines`, which answer the point test).
  Near the real borders between two Stadtteile the result can be wrong by a few hundred
  metres; use it for statistics and pre-filling, never as a legal statement.
* :func:`format_coordinates` – a position as people read it (``51,05136° N, 7,05514° O``).
* :func:`utm32_to_wgs84` / :func:`wgs84_to_utm32` – ETRS89 / UTM zone 32N (EPSG:25832)
  to and from latitude/longitude, using the Krüger series of the transverse Mercator
  projection (6th order, sub-millimetre accurate within the zone); no pyproj needed.

All latitudes/longitudes are WGS84/ETRS89 decimal degrees (the two datums differ by less than
a metre, which is irrelevant here). Functions take ``(lat, lon)`` in that order; GeoJSON files
store ``[lon, lat]`` and are converted on loading.
"""

from __future__ import annotations

import csv
import json
import math
import pathlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import shapely
from shapely import Polygon

from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.i18n import current_language, tr
from resources.paths import resource_path

__all__ = [
    "EARTH_RADIUS_M",
    "BoundingBox",
    "CityArea",
    "Stadtteil",
    "find_stadtteil",
    "format_coordinates",
    "haversine_m",
    "load_city_area",
    "load_stadtteile",
    "stadtteil_by_name",
    "stadtteil_for",
    "utm32_to_wgs84",
    "wgs84_to_utm32",
]

#: Mean earth radius (IUGG) in metres, used for haversine distances.
EARTH_RADIUS_M = 6_371_008.8

_DATA_DIR = ("data", "leverkusen")
_BOUNDARY_FILE = "leverkusen_stadtgrenze_dvg2.geojson"
_STADTTEILE_FILE = "leverkusen_stadtteile.csv"
_CENTRES_FILE = "stadtteile_centres.csv"


#: Hemisphere letters (German: N, S, O, W).
_HEMISPHERES = {
    "N": N_("geo", "N"),
    "S": N_("geo", "S"),
    "E": N_("geo", "E"),
    "W": N_("geo", "W"),
}


def format_coordinates(lat: float, lon: float, decimals: int = 5) -> str:
    """A position as people read it: ``51,05136° N, 7,05514° O`` in German.

    Degrees with ``decimals`` places (5 places are about a metre), the decimal comma of the UI
    language and the hemisphere letter instead of a sign. This is the one place that formats
    coordinates for display.
    """

    def part(value: float, positive: str, negative: str) -> str:
        number = f"{abs(value):.{decimals}f}"
        if current_language() == "de":
            number = number.replace(".", ",")
        letter = tr("geo", _HEMISPHERES[positive if value >= 0 else negative])
        return f"{number}° {letter}"

    return f"{part(lat, 'N', 'S')}, {part(lon, 'E', 'W')}"


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance in metres between two WGS84 points.

    Uses the haversine formula on a sphere with the mean earth radius; the error against the
    ellipsoid is below 0.5 %, which is plenty for dispatch distances.
    """
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2.0) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


# --------------------------------------------------------------------------------------------
# City boundary
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """An axis-aligned latitude/longitude box (inclusive bounds, decimal degrees)."""

    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        """Return True if the point lies inside the box or on its edge."""
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon

    @property
    def center(self) -> tuple[float, float]:
        """The centre of the box as ``(lat, lon)``."""
        return ((self.min_lat + self.max_lat) / 2.0, (self.min_lon + self.max_lon) / 2.0)


class CityArea:
    """A (multi-)polygon area, normally the Leverkusen city boundary.

    Rings combine by the even-odd rule (a ring inside another is a hole), so holes and
    multi-polygons work. Point tests are shapely's, on a prepared geometry.
    """

    def __init__(self, rings: Iterable[Sequence[tuple[float, float]]], name: str = "") -> None:
        """Create an area from rings of ``(lat, lon)`` vertices.

        A ring may or may not repeat its first vertex at the end. Each ring needs at least
        three distinct vertices.
        """
        cleaned: list[tuple[tuple[float, float], ...]] = []
        for ring in rings:
            pts = [(float(lat), float(lon)) for lat, lon in ring]
            if len(pts) > 1 and pts[0] == pts[-1]:
                pts.pop()
            if len(pts) < 3:
                raise ValueError("a polygon ring needs at least three vertices")
            cleaned.append(tuple(pts))
        if not cleaned:
            raise ValueError("an area needs at least one ring")
        self.name = name
        self._rings: tuple[tuple[tuple[float, float], ...], ...] = tuple(cleaned)
        all_pts = [p for ring in cleaned for p in ring]
        self._bbox = BoundingBox(
            min(p[0] for p in all_pts),
            min(p[1] for p in all_pts),
            max(p[0] for p in all_pts),
            max(p[1] for p in all_pts),
        )
        area: Any = None
        polygons = (Polygon([(lon, lat) for lat, lon in ring]) for ring in cleaned)
        for polygon in sorted(polygons, key=lambda p: -p.area):
            area = polygon if area is None else area.symmetric_difference(polygon)
        shapely.prepare(area)
        self._geometry: Any = area

    @classmethod
    def from_geojson(cls, path: str | pathlib.Path) -> CityArea:
        """Load an area from a GeoJSON file (FeatureCollection, Feature or bare geometry).

        All Polygon and MultiPolygon rings are used (outer rings and holes). The name is
        taken from the first feature's ``name`` property if present.
        """
        data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
        rings: list[list[tuple[float, float]]] = []
        name = ""
        geometries: list[dict[str, Any]] = []
        if data.get("type") == "FeatureCollection":
            for feature in data.get("features", []):
                geometries.append(feature["geometry"])
                if not name:
                    name = str((feature.get("properties") or {}).get("name", ""))
        elif data.get("type") == "Feature":
            geometries.append(data["geometry"])
            name = str((data.get("properties") or {}).get("name", ""))
        else:
            geometries.append(data)
        for geom in geometries:
            gtype = geom.get("type")
            coords: Any = geom.get("coordinates") or []
            polygons: list[Any]
            if gtype == "Polygon":
                polygons = [coords]
            elif gtype == "MultiPolygon":
                polygons = list(coords)
            else:
                continue
            for polygon in polygons:
                for ring in polygon:
                    rings.append([(float(pt[1]), float(pt[0])) for pt in ring])
        if not rings:
            raise ValueError(f"no polygon found in {path}")
        return cls(rings, name=name)

    @property
    def bbox(self) -> BoundingBox:
        """The bounding box of all vertices."""
        return self._bbox

    @property
    def rings(self) -> tuple[tuple[tuple[float, float], ...], ...]:
        """All rings as tuples of ``(lat, lon)`` vertices (without the closing vertex)."""
        return self._rings

    @property
    def geometry(self) -> Any:
        """The area as a shapely geometry in ``(lon, lat)`` (prepared for point tests)."""
        return self._geometry

    def contains(self, lat: float, lon: float) -> bool:
        """Return True if the point ``(lat, lon)`` lies inside the area (or on its border)."""
        if not self._bbox.contains(lat, lon):
            return False
        return bool(shapely.intersects_xy(self._geometry, lon, lat))

    def area_km2(self) -> float:
        """Return the area in km², computed in UTM zone 32 (outer rings minus holes)."""

        def to_utm(lonlat: Any) -> list[tuple[float, float]]:
            return [wgs84_to_utm32(float(lat), float(lon)) for lon, lat in lonlat]

        return float(shapely.transform(self._geometry, to_utm).area) / 1e6


@cache
def load_city_area() -> CityArea:
    """Return the Leverkusen city boundary (cached; Geobasis NRW DVG2, dl-de/zero-2.0)."""
    return CityArea.from_geojson(resource_path(*_DATA_DIR, _BOUNDARY_FILE))


# --------------------------------------------------------------------------------------------
# Stadtteile (approximate areas)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stadtteil:
    """One of the 13 Stadtteile of Leverkusen.

    ``postcodes`` lists the main postcode first, followed by postcodes that cover only some
    streets. ``centre_lat``/``centre_lon`` is an approximate, hand-estimated centre point
    (not an official value); it defines the approximate area used by :func:`stadtteil_for`.
    """

    name: str
    bezirk: str
    postcodes: tuple[str, ...]
    centre_lat: float
    centre_lon: float

    @property
    def main_postcode(self) -> str:
        """The main postcode of the Stadtteil (first entry of ``postcodes``)."""
        return self.postcodes[0] if self.postcodes else ""


def _split_postcodes(value: str) -> list[str]:
    return [p.strip() for p in value.replace(",", ";").split(";") if p.strip()]


@cache
def load_stadtteile() -> tuple[Stadtteil, ...]:
    """Return the 13 Stadtteile with Stadtbezirk, postcodes and approximate centre (cached).

    Joins ``leverkusen_stadtteile.csv`` (facts and OSM-derived postcodes) with
    ``stadtteile_centres.csv`` (hand-estimated centres). Raises ``ValueError`` if the two
    files do not list the same Stadtteile.
    """
    base = resource_path(*_DATA_DIR)
    centres: dict[str, tuple[float, float]] = {}
    with (base / _CENTRES_FILE).open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            centres[row["stadtteil"].strip()] = (float(row["lat"]), float(row["lon"]))
    result: list[Stadtteil] = []
    with (base / _STADTTEILE_FILE).open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            name = row["stadtteil"].strip()
            if name not in centres:
                raise ValueError(f"no centre for Stadtteil {name!r} in {_CENTRES_FILE}")
            lat, lon = centres.pop(name)
            postcodes = _split_postcodes(row["plz_haupt"]) + _split_postcodes(
                row.get("plz_teilweise") or ""
            )
            result.append(
                Stadtteil(
                    name=name,
                    bezirk=row["stadtbezirk"].strip(),
                    postcodes=tuple(dict.fromkeys(postcodes)),
                    centre_lat=lat,
                    centre_lon=lon,
                )
            )
    if centres:
        raise ValueError(f"centres for unknown Stadtteile: {sorted(centres)}")
    return tuple(result)


def find_stadtteil(lat: float, lon: float) -> Stadtteil | None:
    """Return the (approximate) Stadtteil containing the point, or None outside the city.

    The point is tested against the approximate Stadtteil outlines
    (:func:`app.domain.outlines.stadtteil_at`: the Voronoi cell of each hand-estimated centre,
    clipped to the city boundary). See the module docstring for the limits of this approach.
    """
    # The outlines are built from this module's data, so they are imported when first needed.
    from app.domain.outlines import stadtteil_at

    name = stadtteil_at(lat, lon)
    if name is None:
        return None
    return next((s for s in load_stadtteile() if s.name == name), None)


def stadtteil_for(lat: float, lon: float) -> str | None:
    """Return the name of the approximate Stadtteil for a point, or None outside the city.

    Approximate: nearest hand-estimated centre within the city boundary; see
    :func:`find_stadtteil`. What the services record follows the official outlines once
    they are imported (:mod:`app.services.stadtteile`).
    """
    stadtteil = find_stadtteil(lat, lon)
    return stadtteil.name if stadtteil is not None else None


def _fold_name(name: str) -> str:
    return (
        name.strip()
        .casefold()
        .replace("ä", "ae")
        .replace("ö", "oe")
        .replace("ü", "ue")
        .replace("ß", "ss")
        .replace("-", " ")
    )


def stadtteil_by_name(name: str) -> Stadtteil | None:
    """Look up a Stadtteil by name, ignoring case, umlaut spelling and a "Leverkusen-" prefix.

    ``"luetzenkirchen"``, ``"Lützenkirchen"`` and ``"Leverkusen-Lützenkirchen"`` all match.
    """
    key = _fold_name(name)
    if key.startswith("leverkusen "):
        key = key[len("leverkusen ") :].strip()
    for stadtteil in load_stadtteile():
        if _fold_name(stadtteil.name) == key:
            return stadtteil
    return None


# --------------------------------------------------------------------------------------------
# ETRS89 / UTM zone 32N (EPSG:25832)
# --------------------------------------------------------------------------------------------

_A = 6_378_137.0  # GRS80 semi-major axis
_F = 1.0 / 298.257222101  # GRS80 flattening
_K0 = 0.9996
_FALSE_EASTING = 500_000.0
_LON0 = 9.0  # central meridian of zone 32
_E2 = _F * (2.0 - _F)
_E = math.sqrt(_E2)
_N = _F / (2.0 - _F)
_N2, _N3, _N4, _N5, _N6 = _N**2, _N**3, _N**4, _N**5, _N**6
_RECTIFYING_RADIUS = _A / (1.0 + _N) * (1.0 + _N2 / 4.0 + _N4 / 64.0 + _N6 / 256.0)
_ALPHA = (
    _N / 2 - 2 * _N2 / 3 + 5 * _N3 / 16 + 41 * _N4 / 180 - 127 * _N5 / 288 + 7891 * _N6 / 37800,
    13 * _N2 / 48 - 3 * _N3 / 5 + 557 * _N4 / 1440 + 281 * _N5 / 630 - 1983433 * _N6 / 1935360,
    61 * _N3 / 240 - 103 * _N4 / 140 + 15061 * _N5 / 26880 + 167603 * _N6 / 181440,
    49561 * _N4 / 161280 - 179 * _N5 / 168 + 6601661 * _N6 / 7257600,
    34729 * _N5 / 80640 - 3418889 * _N6 / 1995840,
    212378941 * _N6 / 319334400,
)
_BETA = (
    _N / 2 - 2 * _N2 / 3 + 37 * _N3 / 96 - _N4 / 360 - 81 * _N5 / 512 + 96199 * _N6 / 604800,
    _N2 / 48 + _N3 / 15 - 437 * _N4 / 1440 + 46 * _N5 / 105 - 1118711 * _N6 / 3870720,
    17 * _N3 / 480 - 37 * _N4 / 840 - 209 * _N5 / 4480 + 5569 * _N6 / 90720,
    4397 * _N4 / 161280 - 11 * _N5 / 504 - 830251 * _N6 / 7257600,
    4583 * _N5 / 161280 - 108847 * _N6 / 3991680,
    20648693 * _N6 / 638668800,
)


def _conformal_tan(tau: float) -> float:
    """tan(conformal latitude) for tan(geodetic latitude) ``tau`` (Karney 2011, eq. 7–9)."""
    tau1 = math.hypot(1.0, tau)
    sigma = math.sinh(_E * math.atanh(_E * tau / tau1))
    return math.hypot(1.0, sigma) * tau - sigma * tau1


def _geodetic_tan(taup: float) -> float:
    """Inverse of :func:`_conformal_tan` by Newton iteration (converges in 2–3 steps)."""
    tau = taup / (1.0 - _E2)
    for _ in range(10):
        taupa = _conformal_tan(tau)
        dtau = (
            (taup - taupa)
            * (1.0 + (1.0 - _E2) * tau * tau)
            / ((1.0 - _E2) * math.hypot(1.0, taupa) * math.hypot(1.0, tau))
        )
        tau += dtau
        if abs(dtau) <= 1e-14 * max(1.0, abs(tau)):
            break
    return tau


def _check_finite(*values: float) -> None:
    for v in values:
        if not math.isfinite(v):
            raise ValueError(f"coordinate is not a finite number: {v!r}")


def wgs84_to_utm32(lat: float, lon: float) -> tuple[float, float]:
    """Convert WGS84/ETRS89 ``(lat, lon)`` to UTM zone 32N ``(easting, northing)`` in metres.

    EPSG:25832 without zone prefix in the easting. Points outside zone 32 (6–12° E) are
    still projected on the zone-32 central meridian, as is usual for NRW data that spans
    the zone border; accuracy stays sub-millimetre for several degrees beyond the zone.
    """
    _check_finite(lat, lon)
    if not -80.0 <= lat <= 84.0:
        raise ValueError(f"latitude {lat} outside the UTM range")
    phi = math.radians(lat)
    lam = math.radians(lon - _LON0)
    taup = _conformal_tan(math.tan(phi))
    xip = math.atan2(taup, math.cos(lam))
    etap = math.asinh(math.sin(lam) / math.hypot(taup, math.cos(lam)))
    xi = xip
    eta = etap
    for j, alpha in enumerate(_ALPHA, start=1):
        xi += alpha * math.sin(2 * j * xip) * math.cosh(2 * j * etap)
        eta += alpha * math.cos(2 * j * xip) * math.sinh(2 * j * etap)
    easting = _FALSE_EASTING + _K0 * _RECTIFYING_RADIUS * eta
    northing = _K0 * _RECTIFYING_RADIUS * xi
    return easting, northing


def utm32_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """Convert UTM zone 32N ``(easting, northing)`` (EPSG:25832, metres) to ``(lat, lon)``.

    Implements the inverse transverse Mercator projection with the Krüger series
    (6th order in the third flattening) and an exact conformal-to-geodetic latitude step;
    the error is far below a millimetre. The easting must not carry the zone prefix
    ("32"); strip it before calling (see :mod:`app.domain.gazetteer`).
    """
    _check_finite(easting, northing)
    xi = northing / (_K0 * _RECTIFYING_RADIUS)
    eta = (easting - _FALSE_EASTING) / (_K0 * _RECTIFYING_RADIUS)
    xip = xi
    etap = eta
    for j, beta in enumerate(_BETA, start=1):
        xip -= beta * math.sin(2 * j * xi) * math.cosh(2 * j * eta)
        etap -= beta * math.cos(2 * j * xi) * math.sinh(2 * j * eta)
    sinh_etap = math.sinh(etap)
    cos_xip = math.cos(xip)
    taup = math.sin(xip) / math.hypot(sinh_etap, cos_xip)
    lam = math.atan2(sinh_etap, cos_xip)
    phi = math.atan(_geodetic_tan(taup))
    return math.degrees(phi), _LON0 + math.degrees(lam)
