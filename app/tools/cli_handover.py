"""``kod-admin offences export|check``: the hand-over file for the Bußgeldstelle, and checking one."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.domain.offences.handover import parse_xml
from app.platform.errors import ValidationError
from app.platform.i18n import tr
from app.platform.uow import Actor
from app.services import Services
from app.services.offence_export import ExportFormat

#: The ``offences`` subcommands this module carries out.
COMMANDS = frozenset({"export", "check"})


def add_commands(ops: Any) -> None:
    """Add ``export`` and ``check`` to the subparsers of ``kod-admin offences``."""
    exp = ops.add_parser(
        "export", help=tr("cli", "Write the hand-over file (XML or CSV) of the given cases")
    )
    exp.add_argument("file", metavar="FILE", help=tr("cli", "ends in .xml or .csv"))
    exp.add_argument("numbers", metavar="AKTENZEICHEN", nargs="+")
    chk = ops.add_parser("check", help=tr("cli", "Check a hand-over XML file against the schema"))
    chk.add_argument("file", metavar="FILE")


def _format(path: Path) -> ExportFormat:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in {f.value for f in ExportFormat}:
        raise ValidationError(
            tr("cli", "The file name must end in .xml or .csv: %1", path.name), "file"
        )
    return ExportFormat(suffix)


async def run(args: argparse.Namespace, services: Services, actor: Actor) -> int:
    """Carry out ``offences export`` or ``offences check``."""
    path = Path(args.file)
    if args.offences_command == "check":
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValidationError(
                tr("cli", "The file %1 cannot be read (%2).", path, exc.strerror or ""), "file"
            ) from exc
        handover = parse_xml(data)
        print(tr("cli", "%1: valid, %2 cases.", path.name, len(handover.cases)))
        return 0
    fmt = _format(path)
    exports = services.offence_export
    ids = await exports.case_ids(actor, args.numbers)
    result = await exports.export(actor, ids, fmt)
    partial = path.with_name(f".{path.name}.part")
    try:
        partial.write_bytes(result.data)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ValidationError(
            tr("cli", "The file %1 cannot be written (%2).", path, exc.strerror or ""), "file"
        ) from exc
    print(tr("cli", "%1 cases written to %2.", len(result.numbers), path))
    return 0
