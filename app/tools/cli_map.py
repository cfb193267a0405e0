"""``kod-admin map``: the situation map's tile file and official Stadtteil outlines."""

from __future__ import annotations

import argparse

from app.platform.config import user_data_dir
from app.platform.errors import ConfigError
from app.platform.i18n import tr
from app.platform.uow import Actor
from app.services import Services


def add_map_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``map import-tiles`` and ``map import-outlines`` to ``kod-admin``."""
    mp = sub.add_parser("map", help=tr("cli", "Situation map: tiles and Stadtteil outlines"))
    mps = mp.add_subparsers(dest="map_command", required=True)
    tiles = mps.add_parser(
        "import-tiles",
        help=tr(
            "cli",
            "Check an MBTiles file, copy it into this workstation's data folder (%1) and use "
            "it as the map background",
            str(user_data_dir()),
        ),
    )
    tiles.add_argument("file", metavar="FILE")
    outlines = mps.add_parser(
        "import-outlines",
        help=tr(
            "cli",
            "Import the official Stadtteil outlines from a GeoJSON file (replaces earlier ones)",
        ),
    )
    outlines.add_argument("file", metavar="FILE")
    outlines.add_argument(
        "--name-property",
        metavar="NAME",
        help=tr("cli", "The feature property holding the Stadtteil name (default: detected)"),
    )
    outlines.add_argument(
        "--crs",
        metavar="EPSG:NNNN",
        help=tr(
            "cli",
            "The file's coordinate system if it declares none (e.g. EPSG:25832; default: the "
            "file's crs member, else WGS84)",
        ),
    )


def say(text: str) -> None:
    print(text, flush=True)


async def map_command(args: argparse.Namespace, services: Services, actor: Actor) -> int:
    """Run a ``kod-admin map`` command; returns the exit code."""
    if args.map_command == "import-tiles":
        done = await services.map_data.import_tiles(actor, args.file)
        info = done.info
        say(
            tr(
                "cli",
                "%1: %2 tiles (%3, zoom %4–%5) copied to %6.",
                info.name,
                info.tiles,
                info.format.upper(),
                info.min_zoom,
                info.max_zoom,
                str(done.stored),
            )
        )
        say(tr("cli", "map.mbtiles_path set to %1.", done.setting))
        return 0
    if args.map_command == "import-outlines":
        result = await services.map_data.import_outlines(
            actor, args.file, args.name_property, args.crs
        )
        say(
            tr(
                "cli",
                "%1 (%2): %3 Stadtteil outlines imported: %4",
                result.file_name,
                result.crs,
                len(result.names),
                ", ".join(result.names),
            )
        )
        for warning in result.warnings:
            say(tr("cli", "Note: %1", warning))
        return 0
    raise ConfigError(tr("cli", "Unknown command."))
