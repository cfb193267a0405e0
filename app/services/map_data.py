"""What the situation map is drawn on: its tile source and the Stadtteil outlines.

The tile source is chosen per workstation from three settings: an MBTiles file
(``map.mbtiles_path``; a relative path lies in this workstation's data folder, so every
workstation of a shared database has its own copy), else a tile server's URL template
(``map.tile_url``), else none (a plain background). Official Stadtteil outlines are imported
into the database once for all workstations; without them the map shows the approximate ones.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select

from app.domain.changes import Entity
from app.domain.map_tiles import MBTilesError, MBTilesInfo, inspect_mbtiles
from app.domain.outline_import import OutlineFormatError, parse_outlines
from app.domain.outlines import StadtteilIndex, map_outlines_geojson
from app.platform.config import user_data_dir
from app.platform.database import Database
from app.platform.errors import ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, check, unit_of_work
from app.services.settings import SettingsService, read_setting
from app.services.stadtteile import (
    follow_outline_changes,
    official_outlines,
    outlines_changed,
    stadtteil_index,
    use_outlines,
)
from db.models import MapOutline

if TYPE_CHECKING:
    from app.platform.changefeed import ChangeFollower

log = logging.getLogger(__name__)

#: Sub-folder of the data folder that imported tile files are copied to.
TILES_FOLDER = "tiles"
#: Larger GeoJSON files are refused (a city's Stadtteile are a few MB at most).
MAX_OUTLINE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class TileSource:
    """The map background of this workstation.

    ``kind`` is ``"mbtiles"`` (``path`` is the file), ``"url"`` (``url`` is the template) or
    ``"none"``. ``problem`` says (German) why a configured MBTiles file is not used.
    """

    kind: str
    attribution: str = ""
    url: str = ""
    path: Path | None = None
    min_zoom: int | None = None
    max_zoom: int | None = None
    #: (west, south, east, north)
    bounds: tuple[float, float, float, float] | None = None
    problem: str = ""


@dataclass(frozen=True)
class MapBackground:
    """Tiles and outlines for the map page."""

    tiles: TileSource
    #: GeoJSON FeatureCollection of the Stadtteile (see :func:`map_outlines_geojson`).
    outlines: dict[str, Any]
    #: True if the outlines are the imported official ones.
    official: bool
    #: The imported file's name (empty for the approximate outlines).
    outline_source: str


@dataclass(frozen=True)
class OutlineImport:
    """What an outline import stored."""

    file_name: str
    crs: str
    names: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class TilesImport:
    """What a tile import did: the file's description, where it went, the setting's value."""

    info: MBTilesInfo
    stored: Path
    setting: str


def resolve_tiles_path(value: str, data_dir: Path | None = None) -> Path:
    """The MBTiles file a ``map.mbtiles_path`` value means on this workstation."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else (data_dir or user_data_dir()) / path


class MapDataService:
    """The map's background: read for every workstation, imported by administration."""

    def __init__(self, db: Database, settings: SettingsService, data_dir: Path | None = None):
        self._db = db
        self._settings = settings
        #: Where imported tile files go and relative paths point (default: the data folder).
        self.data_dir = data_dir

    async def background(self) -> MapBackground:
        """Tiles and outlines as configured (public reference data: no permission needed)."""
        async with self._db.read() as s:
            values = {
                k: await read_setting(s, k)
                for k in ("map.mbtiles_path", "map.tile_url", "map.tile_attribution")
            }
            rows = (await s.scalars(select(MapOutline))).all()
            # The same outlines decide which Stadtteil a point is in (one read for both).
            await use_outlines(s, rows)
        official = sorted(official_outlines(rows), key=lambda o: o.name)
        source = min(rows, key=lambda r: r.name).source if rows else ""
        tiles = await asyncio.to_thread(self._tile_source, values)
        return MapBackground(tiles, map_outlines_geojson(official), bool(official), source)

    def follow_changes(self, follower: ChangeFollower) -> None:
        """Let this workstation's change follower tell of outline imports elsewhere (see
        :func:`app.services.stadtteile.follow_outline_changes`)."""
        follow_outline_changes(self._db, follower)

    async def load_stadtteile(self) -> StadtteilIndex:
        """Read the Stadtteil outlines for what the workstation shows before it writes anything
        (:func:`app.services.stadtteile.last_known_stadtteil`)."""
        async with self._db.read() as s:
            return await stadtteil_index(s)

    def _tile_source(self, values: dict[str, Any]) -> TileSource:
        attribution = str(values["map.tile_attribution"])
        problem = ""
        if values["map.mbtiles_path"]:
            path = resolve_tiles_path(str(values["map.mbtiles_path"]), self.data_dir)
            try:
                info = inspect_mbtiles(path, count=False)
            except MBTilesError as exc:
                problem = str(exc)
                log.warning("tile file not used: %s", exc)
            else:
                return TileSource(
                    "mbtiles",
                    attribution or info.attribution,
                    path=path,
                    min_zoom=info.min_zoom,
                    max_zoom=info.max_zoom,
                    bounds=info.bounds,
                )
        if values["map.tile_url"]:
            return TileSource("url", attribution, url=str(values["map.tile_url"]), problem=problem)
        return TileSource("none", problem=problem)

    async def import_outlines(
        self,
        actor: Actor,
        path: str | os.PathLike[str],
        name_property: str | None = None,
        crs: str | None = None,
    ) -> OutlineImport:
        """Replace the official Stadtteil outlines with those of a GeoJSON file (audited).

        ``crs`` names the coordinate system of a file that declares none (e.g. EPSG:25832).

        A file that cannot be used raises :class:`ValidationError` and changes nothing.
        """
        await check(self._db, actor, Permission.SETTINGS_MANAGE)
        file = Path(path)
        data = await asyncio.to_thread(_read_limited, file)
        try:
            parsed = await asyncio.to_thread(parse_outlines, data, file.name, name_property, crs)
        except OutlineFormatError as exc:
            raise ValidationError(str(exc), "path") from exc
        async with unit_of_work(self._db, actor, Permission.SETTINGS_MANAGE) as w:
            await w.session.execute(delete(MapOutline))
            await w.session.execute(
                insert(MapOutline),
                [
                    {
                        "name": o.name,
                        "geometry": json.dumps(o.geometry, separators=(",", ":")),
                        "label_lat": o.label_lat,
                        "label_lon": o.label_lon,
                        "source": file.name[:200],
                        "imported_at": w.now,
                    }
                    for o in parsed.outlines
                ],
            )
            await w.audit(
                "map.outlines_import",
                "map_outline",
                None,
                {
                    "file": file.name,
                    "crs": parsed.crs,
                    "count": len(parsed.outlines),
                    "warnings": list(parsed.warnings),
                },
            )
            w.changed(Entity.MAP, 0, "outlines")
        outlines_changed(self._db)
        return OutlineImport(
            file.name, parsed.crs, tuple(o.name for o in parsed.outlines), parsed.warnings
        )

    async def import_tiles(self, actor: Actor, path: str | os.PathLike[str]) -> TilesImport:
        """Check an MBTiles file, copy it into the data folder and point the setting at it.

        A file that is no MBTiles raster tile set raises :class:`ValidationError`; nothing is
        copied and the setting stays as it was.
        """
        await check(self._db, actor, Permission.SETTINGS_MANAGE)
        source = Path(path)
        try:
            info = await asyncio.to_thread(inspect_mbtiles, source)
        except MBTilesError as exc:
            raise ValidationError(str(exc), "path") from exc
        relative = Path(TILES_FOLDER) / (source.stem + ".mbtiles")
        target = resolve_tiles_path(str(relative), self.data_dir)
        old = await self._settings.get("map.mbtiles_path")
        await asyncio.to_thread(_copy_atomically, source, target)
        try:
            await self._settings.set(actor, "map.mbtiles_path", relative.as_posix())
        except BaseException:
            if old != relative.as_posix():
                target.unlink(missing_ok=True)
            raise
        return TilesImport(info, target, relative.as_posix())


def _read_limited(file: Path) -> bytes:
    try:
        if not file.is_file():
            raise ValidationError(tr("outlines", "The file %1 does not exist.", str(file)), "path")
        if file.stat().st_size > MAX_OUTLINE_BYTES:
            raise ValidationError(
                tr("outlines", "%1 is larger than %2 MB.", file.name, MAX_OUTLINE_BYTES >> 20),
                "path",
            )
        return file.read_bytes()
    except OSError as exc:
        raise ValidationError(
            tr("outlines", "The file %1 cannot be read: %2", str(file), exc.strerror or exc),
            "path",
        ) from exc


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` so that a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.resolve() == target.resolve():
        return
    partial = target.with_name(target.name + ".partial")
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ValidationError(
            tr("map", "The tile file cannot be copied to %1: %2", str(target), exc.strerror or exc),
            "path",
        ) from exc
