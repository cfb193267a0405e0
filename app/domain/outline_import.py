"""Reading official Stadtteil outlines from a city's open-data GeoJSON file.

Cities publish their Stadtteile as GeoJSON, often in their projected system (ETRS89 / UTM 32N,
EPSG:25832) with a ``crs`` member. :func:`parse_outlines` checks the file, transforms the
coordinates to WGS84 with pyproj, repairs invalid rings with shapely's ``make_valid``, joins
features of the same name and matches the names against the known Stadtteile. Anything that
is not usable raises :class:`OutlineFormatError` with a German message: an import is all or
nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import box, mapping, shape
from shapely.ops import unary_union

from app.domain.geo import load_city_area, load_stadtteile
from app.platform.i18n import tr

__all__ = ["OutlineFormatError", "ParsedOutline", "ParsedOutlines", "parse_outlines"]

#: Property names that usually hold a Stadtteil's name in open-data files (lower case).
NAME_CANDIDATES = (
    "name",
    "stadtteil",
    "stadtteilname",
    "stt_name",
    "name_stadtteil",
    "stadtteil_name",
    "bezeichnung",
    "gebietsname",
)
MAX_NAME_CHARS = 64
#: Degrees the outlines may lie outside the city's box (about 5 km).
_NEAR_CITY = 0.05
_GEOGRAPHIC = (4326, 4258, 4019)


class OutlineFormatError(ValueError):
    """The file cannot be imported (the message says why, in German)."""


@dataclass(frozen=True)
class ParsedOutline:
    """One Stadtteil's outline in WGS84 with a label point inside it."""

    name: str
    #: GeoJSON geometry (Polygon or MultiPolygon, ``[lon, lat]``).
    geometry: dict[str, Any]
    label_lat: float
    label_lon: float


@dataclass(frozen=True)
class ParsedOutlines:
    """The outlines of a file, what its coordinates were in, and what looks odd."""

    outlines: tuple[ParsedOutline, ...]
    crs: str
    warnings: tuple[str, ...]


def parse_outlines(
    data: bytes, file_name: str, name_property: str | None = None, crs: str | None = None
) -> ParsedOutlines:
    """Read the outlines of a GeoJSON FeatureCollection (see the module docstring).

    ``crs`` (e.g. ``"EPSG:25832"``) names the coordinate system of a file that does not
    declare one (RFC 7946 dropped the ``crs`` member; many exports still are projected).
    """
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise OutlineFormatError(
            tr("outlines", "%1 is not a GeoJSON file (not UTF-8 text).", file_name)
        ) from exc
    except json.JSONDecodeError as exc:
        raise OutlineFormatError(
            tr("outlines", "%1 is not valid GeoJSON (line %2: %3).", file_name, exc.lineno, exc.msg)
        ) from exc
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not features:
        raise OutlineFormatError(
            tr("outlines", "%1 is no GeoJSON FeatureCollection with features.", file_name)
        )
    declared = {"type": "name", "properties": {"name": crs}} if crs else doc.get("crs")
    crs_name, project = _projection(declared, file_name)
    key = _name_key(features, name_property, file_name)
    parts: dict[str, list[Any]] = {}
    for number, feature in enumerate(features, start=1):
        name, geometry = _feature(feature, number, key, file_name)
        parts.setdefault(name, []).append(geometry)
    shapes = {name: unary_union(found) for name, found in parts.items()}
    shapes = {name: _to_wgs84(geom, project, name, crs_name) for name, geom in shapes.items()}
    _check_near_city(shapes, file_name)
    names, warnings = _match_names(list(shapes))
    outlines = []
    for raw, name in sorted(names.items(), key=lambda kv: kv[1]):
        geom = shapes[raw]
        label = geom.representative_point()
        outlines.append(ParsedOutline(name, mapping(geom), round(label.y, 7), round(label.x, 7)))
    return ParsedOutlines(tuple(outlines), crs_name, tuple(warnings))


def _projection(crs_member: Any, file_name: str) -> tuple[str, Callable[[Any], Any] | None]:
    """The declared system's name and a transformation to WGS84 (None if already degrees)."""
    if crs_member is None:
        return ("WGS84", None)
    declared = (
        crs_member.get("properties", {}).get("name") if isinstance(crs_member, dict) else None
    )
    if not isinstance(declared, str) or not declared.strip():
        raise OutlineFormatError(
            tr("outlines", "%1 declares a coordinate system without a name.", file_name)
        )
    if declared.upper().endswith(("CRS84", "CRS:84")):
        return ("WGS84", None)
    epsg = re.search(r"EPSG:{1,2}(?:[\d.]*:)?(\d+)\s*$", declared, re.IGNORECASE)
    try:
        crs = CRS.from_epsg(int(epsg.group(1))) if epsg else CRS.from_user_input(declared)
    except CRSError as exc:
        raise OutlineFormatError(
            tr("outlines", "%1 uses an unknown coordinate system: %2", file_name, declared)
        ) from exc
    name = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else crs.name
    if crs.to_epsg() in _GEOGRAPHIC:
        # GeoJSON always writes longitude first, whatever the system's official axis order.
        return (name, None)
    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def project(coords: Any) -> Any:
        lon, lat = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return (name, project)


def _name_key(features: list[Any], wanted: str | None, file_name: str) -> str:
    first = features[0].get("properties") if isinstance(features[0], dict) else None
    present = [str(k) for k in first] if isinstance(first, dict) else []
    if wanted is not None:
        if wanted not in present:
            raise OutlineFormatError(
                tr(
                    "outlines",
                    "The features of %1 have no property '%2'. Present: %3",
                    file_name,
                    wanted,
                    ", ".join(present) or "–",
                )
            )
        return wanted
    lower = {k.lower(): k for k in present}
    for candidate in NAME_CANDIDATES:
        if candidate in lower:
            return lower[candidate]
    raise OutlineFormatError(
        tr(
            "outlines",
            "No property of %1 holds the Stadtteil names. Name it with --name-property "
            "(present: %2).",
            file_name,
            ", ".join(present) or "–",
        )
    )


def _feature(feature: Any, number: int, key: str, file_name: str) -> tuple[str, Any]:
    props = feature.get("properties") if isinstance(feature, dict) else None
    raw = props.get(key) if isinstance(props, dict) else None
    name = str(raw).strip() if raw is not None else ""
    if not name:
        raise OutlineFormatError(
            tr("outlines", "Feature %1 of %2 has no name in '%3'.", number, file_name, key)
        )
    if len(name) > MAX_NAME_CHARS:
        raise OutlineFormatError(
            tr(
                "outlines",
                "The name of feature %1 is longer than %2 characters.",
                number,
                MAX_NAME_CHARS,
            )
        )
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise OutlineFormatError(
            tr(
                "outlines",
                "Feature %1 (%2) has the geometry '%3'; only Polygon and MultiPolygon are "
                "outlines.",
                number,
                name,
                kind or "–",
            )
        )
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise OutlineFormatError(
            tr("outlines", "The geometry of feature %1 (%2) is malformed.", number, name)
        ) from exc
    if geom.is_empty:
        raise OutlineFormatError(
            tr("outlines", "The geometry of feature %1 (%2) is empty.", number, name)
        )
    return (name, shapely.make_valid(geom))


def _to_wgs84(geom: Any, project: Callable[[Any], Any] | None, name: str, crs_name: str) -> Any:
    if project is not None:
        geom = shapely.transform(geom, project)
    west, south, east, north = geom.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise OutlineFormatError(
            tr(
                "outlines",
                "The coordinates of %1 are not in degrees (%2). Name the file's coordinate "
                "system with --crs, e.g. --crs EPSG:25832.",
                name,
                crs_name,
            )
        )
    # About 1 cm; repaired again because rounding may touch rings.
    geom = shapely.make_valid(shapely.transform(geom, lambda c: np.round(c, 7)))
    polygons = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type.endswith("Polygon")]
    area = unary_union(polygons) if polygons else None
    if area is None or area.is_empty:
        raise OutlineFormatError(tr("outlines", "The outline of %1 has no area.", name))
    return area


def _check_near_city(shapes: dict[str, Any], file_name: str) -> None:
    south, west, north, east = _city_box()
    city = box(west, south, east, north).buffer(_NEAR_CITY)
    far = sorted(name for name, geom in shapes.items() if not geom.intersects(city))
    if far:
        raise OutlineFormatError(
            tr(
                "outlines",
                "The outlines of %1 lie outside %2 (%3). Is the coordinate system right?",
                file_name,
                load_city_area().name or "Leverkusen",
                ", ".join(far[:5]),
            )
        )


def _city_box() -> tuple[float, float, float, float]:
    b = load_city_area().bbox
    return (b.min_lat, b.min_lon, b.max_lat, b.max_lon)


def _normal(name: str) -> str:
    return re.sub(r"[\s\-_.]+", "", name.casefold())


def _match_names(found: list[str]) -> tuple[dict[str, str], list[str]]:
    """Each found name → the known spelling (or itself), and warnings for unknown ones."""
    known = {_normal(s.name): s.name for s in load_stadtteile()}
    names = {raw: known.get(_normal(raw), raw) for raw in found}
    warnings = []
    unknown = sorted(raw for raw in found if _normal(raw) not in known)
    if unknown:
        warnings.append(
            tr("outlines", "Not a known Stadtteil (imported anyway): %1", ", ".join(unknown))
        )
    missing = sorted(set(known.values()) - set(names.values()))
    if missing:
        warnings.append(tr("outlines", "No outline in the file for: %1", ", ".join(missing)))
    return names, warnings
