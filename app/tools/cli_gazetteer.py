"""``kod-admin gazetteer import``: house coordinates for call-taking from a CSV file."""

from __future__ import annotations

from typing import Any

from app.platform.errors import ValidationError
from app.platform.i18n import tr
from app.platform.uow import Actor
from app.services import Services
from app.tools.cli_output import say


def add_parser(sub: Any) -> None:
    """Add the ``gazetteer`` command to ``kod-admin``'s subparsers."""
    gz = sub.add_parser("gazetteer", help=tr("cli", "Address gazetteer for call-taking"))
    gzs = gz.add_subparsers(dest="gazetteer_command", required=True)
    gzi = gzs.add_parser(
        "import",
        help=tr(
            "cli",
            "Import house coordinates from a CSV file (NRW Hauskoordinaten or "
            "street,house_number,postcode,lat,lon)",
        ),
    )
    gzi.add_argument("file", metavar="FILE")


async def import_file(path: str, services: Services, actor: Actor) -> int:
    """``kod-admin gazetteer import FILE``: import, then report what was taken and rejected."""
    summary = await services.gazetteer.import_csv(actor, path)
    say(
        tr(
            "cli",
            "%1 (%2): %3 addresses imported (%4 new, %5 updated, %6 unchanged), %7 rows rejected.",
            summary.file_name,
            summary.format_name,
            summary.imported,
            summary.inserted,
            summary.updated,
            summary.unchanged,
            summary.rejected,
        )
    )
    for warning in summary.warnings:
        say(warning)
    shown = 20
    for message in summary.errors[:shown]:
        say("  " + message)
    if summary.rejected > shown:
        say(tr("cli", "  … and %1 more rejected rows.", summary.rejected - shown))
    return 0 if summary.imported > 0 else ValidationError.exit_code
