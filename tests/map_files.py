"""Files for the map tests, made on the spot: MBTiles tile sets and open-data GeoJSON outlines."""

from __future__ import annotations

import json
import sqlite3
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape

from app.domain.outlines import stadtteil_outlines_geojson

#: Tiles around Leverkusen at zoom 12 (XYZ columns and rows).
CITY_TILES_Z12 = [(x, y) for x in range(2124, 2132) for y in range(1366, 1375)]


def solid_png(rgb: tuple[int, int, int] = (200, 60, 60), size: int = 4) -> bytes:
    """A small single-colour PNG, written by hand (no Qt needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )


def make_mbtiles(
    path: Path,
    tile: bytes,
    tiles: list[tuple[int, int]] | None = None,
    zoom: int = 12,
    metadata: dict[str, str] | None = None,
) -> Path:
    """An MBTiles file with ``tile`` at the XYZ ``tiles`` of ``zoom`` (stored TMS-flipped)."""
    meta = {"name": "Testkarte", "format": "png", "bounds": "6.9,50.98,7.17,51.11"}
    meta.update(metadata or {})
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        conn.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
            "tile_data BLOB)"
        )
        conn.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
        conn.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [(zoom, x, (2**zoom - 1) - y, tile) for x, y in (tiles or CITY_TILES_Z12)],
        )
        conn.commit()
    finally:
        conn.close()
    return path


def projected_outlines(
    path: Path, epsg: int = 25832, rename: dict[str, str] | None = None, key: str = "STT_NAME"
) -> Path:
    """The approximate Stadtteile as a city would publish them: projected, with a ``crs``."""
    to_utm = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)

    def project(coords: Any) -> Any:
        x, y = to_utm.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    features = []
    for f in stadtteil_outlines_geojson()["features"]:
        name = f["properties"]["name"]
        geometry = shapely.transform(shape(f["geometry"]), project)
        features.append(
            {
                "type": "Feature",
                "properties": {key: (rename or {}).get(name, name), "STT_NR": len(features)},
                "geometry": mapping(geometry),
            }
        )
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}},
        "features": features,
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path
