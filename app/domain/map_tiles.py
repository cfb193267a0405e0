"""Tile sources of the situation map: a URL template (a tile server) or an MBTiles file.

Both are plain checks without Qt or the database: :func:`check_tile_url` decides whether a
template may be used (``http``/``https`` with ``{z}``, ``{x}`` and ``{y}``), :func:`inspect_mbtiles`
whether a file is an MBTiles raster tile set (a SQLite file with ``tiles`` and ``metadata``,
PNG, JPEG or WebP tiles, plausible bounds), and :func:`read_tile` reads one tile. MBTiles
numbers rows from the south (TMS); the map asks in XYZ, numbered from the north, so the row
is flipped.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from app.platform.i18n import tr

__all__ = [
    "MBTilesError",
    "MBTilesInfo",
    "TileHost",
    "check_tile_url",
    "inspect_mbtiles",
    "open_mbtiles",
    "read_tile",
    "tile_host",
    "tile_mime",
]

#: Tile formats a browser shows as images.
FORMATS = ("png", "jpg", "webp")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
#: Placeholders Leaflet fills in: zoom, column, row, subdomain, retina suffix.
_KNOWN_PLACEHOLDERS = frozenset({"z", "x", "y", "s", "r"})
MAX_URL_CHARS = 500


class MBTilesError(ValueError):
    """The file is no usable MBTiles tile set (the message says why, in German)."""


@dataclass(frozen=True)
class TileHost:
    """Where a tile template's requests go: only these may leave the workstation.

    ``host`` may start with ``{s}.`` (subdomains a/b/c); :meth:`matches` allows any one label
    in its place.
    """

    scheme: str
    host: str
    port: int | None

    def matches(self, scheme: str, host: str, port: int | None) -> bool:
        """True if a request to ``scheme://host:port`` goes to this tile server."""
        if scheme.lower() != self.scheme or port != self.port:
            return False
        host = host.lower()
        if self.host.startswith("{s}."):
            label, dot, rest = host.partition(".")
            return bool(label) and bool(dot) and rest == self.host[4:]
        return host == self.host


def check_tile_url(value: object) -> str | None:
    """Why ``value`` is no usable tile URL template (German), or None if it is (or is empty)."""
    if not isinstance(value, str):
        return tr("map", "The tile address must be text.")
    if value == "":
        return None
    if len(value) > MAX_URL_CHARS:
        return tr("map", "The tile address is longer than %1 characters.", MAX_URL_CHARS)
    if any(c.isspace() for c in value):
        return tr("map", "The tile address must not contain spaces.")
    unknown = sorted(set(_PLACEHOLDER.findall(value)) - _KNOWN_PLACEHOLDERS)
    if unknown:
        return tr(
            "map",
            "The tile address contains unknown placeholders: %1 (allowed: {z}, {x}, {y}, {s}, {r}).",
            ", ".join("{" + u + "}" for u in unknown),
        )
    if not all(f"{{{p}}}" in value for p in ("z", "x", "y")):
        return tr(
            "map",
            "The tile address needs the placeholders {z}, {x} and {y}, e.g. "
            "https://tiles.example.org/{z}/{x}/{y}.png.",
        )
    host = tile_host(value)
    if host is None:
        return tr(
            "map",
            "The tile address must start with http:// or https:// and name a server, e.g. "
            "https://tiles.example.org/{z}/{x}/{y}.png.",
        )
    if "{" in host.host.removeprefix("{s}."):
        return tr("map", "Only {s} may stand in the server name of the tile address.")
    return None


def tile_host(template: str) -> TileHost | None:
    """The server a tile template asks (None if the template has no http(s) server)."""
    try:
        parts = urlsplit(template.replace("{s}", "s-placeholder"))
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").replace("s-placeholder", "{s}")
    if scheme not in ("http", "https") or not host:
        return None
    return TileHost(scheme, host.lower(), port)


@dataclass(frozen=True)
class MBTilesInfo:
    """What the map needs to know of an MBTiles file."""

    name: str
    format: str
    tiles: int
    min_zoom: int | None
    max_zoom: int | None
    #: (west, south, east, north) in degrees, if the file says.
    bounds: tuple[float, float, float, float] | None
    attribution: str


def open_mbtiles(path: Path) -> sqlite3.Connection:
    """A read-only connection to an MBTiles file (never creates or changes it)."""
    return sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)


def inspect_mbtiles(path: Path, count: bool = True) -> MBTilesInfo:
    """Check that ``path`` is an MBTiles raster tile set and describe it.

    Without ``count`` the tiles are not counted (``tiles`` is -1): quick on large files.

    Raises :class:`MBTilesError` (German message) for anything else: not a SQLite file,
    missing ``tiles``/``metadata`` tables, vector or unknown tile format, impossible bounds,
    no tiles.
    """
    if not path.is_file():
        raise MBTilesError(tr("map", "The file %1 does not exist.", str(path)))
    with path.open("rb") as f:
        head = f.read(16)
    if head != b"SQLite format 3\x00":
        raise MBTilesError(
            tr("map", "%1 is not an MBTiles file (MBTiles files are SQLite databases).", path.name)
        )
    try:
        conn = open_mbtiles(path)
        try:
            return _describe(conn, path.name, count)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise MBTilesError(tr("map", "%1 cannot be read as MBTiles: %2", path.name, exc)) from exc


def _describe(conn: sqlite3.Connection, name: str, count: bool) -> MBTilesInfo:
    objects = {
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    }
    missing = [t for t in ("tiles", "metadata") if t not in objects]
    if missing:
        raise MBTilesError(
            tr("map", "%1 is not an MBTiles file: the table %2 is missing.", name, missing[0])
        )
    meta = {str(k): str(v) for k, v in conn.execute("SELECT name, value FROM metadata")}
    # One aggregate per query: SQLite answers a lone min() or max() from the index.
    min_zoom = conn.execute("SELECT min(zoom_level) FROM tiles").fetchone()[0]
    max_zoom = conn.execute("SELECT max(zoom_level) FROM tiles").fetchone()[0]
    if min_zoom is None:
        raise MBTilesError(tr("map", "%1 contains no tiles.", name))
    tile_count = conn.execute("SELECT count(*) FROM tiles").fetchone()[0] if count else -1
    sample = conn.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()[0]
    found = tile_mime(bytes(sample or b""))
    declared = meta.get("format", "").lower().replace("jpeg", "jpg")
    if declared and declared not in FORMATS:
        raise MBTilesError(
            tr(
                "map",
                "%1 holds tiles in the format '%2'; the map shows only PNG, JPEG or WebP "
                "raster tiles.",
                name,
                declared,
            )
        )
    if found is None:
        raise MBTilesError(tr("map", "%1 holds tiles that are no PNG, JPEG or WebP images.", name))
    return MBTilesInfo(
        name=meta.get("name", "") or name,
        format=declared or found.split("/")[1].replace("jpeg", "jpg"),
        tiles=int(tile_count),
        min_zoom=int(min_zoom),
        max_zoom=int(max_zoom),
        bounds=_bounds(meta.get("bounds"), name),
        attribution=meta.get("attribution", ""),
    )


def _bounds(text: str | None, name: str) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    problem = tr(
        "map",
        "%1 has impossible bounds '%2' (expected west,south,east,north in degrees).",
        name,
        text,
    )
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError as exc:
        raise MBTilesError(problem) from exc
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise MBTilesError(problem)
    return (west, south, east, north)


def tile_mime(data: bytes) -> str | None:
    """The image type of tile bytes (``image/png``, ``image/jpeg``, ``image/webp``) or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def read_tile(conn: sqlite3.Connection, z: int, x: int, y: int) -> bytes | None:
    """The tile at zoom ``z``, column ``x``, XYZ row ``y`` (None if the file has none)."""
    if z < 0 or z > 30 or not (0 <= x < 2**z and 0 <= y < 2**z):
        return None
    row = conn.execute(
        "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
        (z, x, (2**z - 1) - y),
    ).fetchone()
    return None if row is None or row[0] is None else bytes(row[0])
