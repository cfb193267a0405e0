"""``kod-admin catalogue …`` (import, export, list, confirm offence catalogue entries) and
``kod-admin offences anonymise`` (remove personal data of long-closed cases)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.domain.offences.catalogue import write_catalogue
from app.platform.errors import NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.uow import Actor
from app.services import Services
from app.services.offence_privacy import maintenance_clerk
from app.tools import cli_handover


def add_parser(sub: Any) -> None:
    """Add the ``catalogue`` command to ``kod-admin``'s subparsers."""
    cp = sub.add_parser("catalogue", help=tr("cli", "Offence catalogue (Tatbestände)"))
    cps = cp.add_subparsers(dest="catalogue_command", required=True)
    imp = cps.add_parser(
        "import",
        help=tr("cli", "Import a catalogue CSV file (new entries added, changed ones revised)"),
    )
    imp.add_argument("file", metavar="FILE")
    exp = cps.add_parser("export", help=tr("cli", "Write the current catalogue as CSV"))
    exp.add_argument("file", metavar="FILE", nargs="?", help=tr("cli", "default: standard output"))
    lst = cps.add_parser("list", help=tr("cli", "List current entries"))
    lst.add_argument("search", nargs="?", default="", help=tr("cli", "number, words or law"))
    lst.add_argument(
        "--unverified", action="store_true", help=tr("cli", "only entries not yet confirmed")
    )
    con = cps.add_parser(
        "confirm", help=tr("cli", "Confirm an unverified entry against its source")
    )
    con.add_argument("key")
    op = sub.add_parser("offences", help=tr("cli", "Offence cases"))
    ops = op.add_subparsers(dest="offences_command", required=True)
    an = ops.add_parser(
        "anonymise",
        help=tr(
            "cli",
            "Remove the personal data of cases closed longer than offences.personal_data_days",
        ),
    )
    an.add_argument("--dry-run", action="store_true", help=tr("cli", "only count"))
    cli_handover.add_commands(ops)


async def run_offences(args: argparse.Namespace, services: Services, actor: Actor) -> int:
    """Carry out one ``offences`` command.

    SQLite: the job runs as the machine's maintenance (the file is the OS account's). PostgreSQL:
    under the login given with ``--user``, which the server lets do it only with a clerk's rights.
    """
    if args.offences_command in cli_handover.COMMANDS:
        return await cli_handover.run(args, services, actor)
    if services.db.target.is_sqlite:
        actor = maintenance_clerk("kod-admin")
    result = await services.offences.anonymise_closed(actor, dry_run=args.dry_run)
    text = (
        tr("cli", "%1 closed cases would lose their personal data (closed before %2).")
        if args.dry_run
        else tr("cli", "Personal data of %1 closed cases removed (closed before %2).")
    )
    print(
        text.replace("%1", str(result.anonymised)).replace("%2", result.cutoff.strftime("%d.%m.%Y"))
    )
    return 0


def _read(path: str) -> str:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError(
            tr("cli", "The file %1 cannot be read (%2).", path, exc.strerror or ""), "file"
        ) from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252")  # spreadsheet exports on Windows


async def run(args: argparse.Namespace, services: Services, actor: Actor) -> int:
    """Carry out one ``catalogue`` command."""
    command = args.catalogue_command
    if command == "seed":
        result = await services.catalogue.import_seed_if_empty(actor)
        if result is not None:
            print(tr("cli", "Offence catalogue seed loaded: %1 entries.", result.added))
        return 0
    if command == "import":
        result = await services.catalogue.import_csv(actor, _read(args.file))
        print(
            tr(
                "cli",
                "Catalogue imported: %1 new, %2 revised, %3 unchanged.",
                result.added,
                result.revised,
                result.unchanged,
            )
        )
        return 0
    entries = await services.catalogue.search(actor, getattr(args, "search", ""), True)
    if command == "export":
        text = write_catalogue(entries)
        if args.file:
            Path(args.file).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    if command == "list":
        for e in entries:
            if args.unverified and e.verified:
                continue
            mark = "" if e.verified else " " + tr("cli", "[unverified]")
            print(f"{e.key}\t{e.catalogue_number or '-'}\t{e.description}{mark}")
        return 0
    key = args.key.upper()
    found = [e for e in await services.catalogue.search(actor, key, True) if e.key == key]
    if not found:
        raise NotFound(tr("cli", "No catalogue entry with the key %1.", key))
    await services.catalogue.confirm(actor, found[0].id, found[0].version)
    print(tr("cli", "%1 confirmed.", key))
    return 0
