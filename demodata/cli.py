"""``kod-demo``: fill a database with the Leverkusen demo dataset (demo and benchmark use only)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.platform.config import resolve_database
from app.platform.errors import ValidationError
from app.platform.i18n import tr
from app.platform.logsetup import setup_logging
from app.platform.uow import Actor
from app.services import Services
from app.tools.argparse_de import use_ui_language
from app.tools.cli import guarded, open_checked
from demodata.generate import generate_demo

MAX_INCIDENTS = 5_000_000


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (German help texts)."""
    use_ui_language()
    p = argparse.ArgumentParser(
        prog="kod-demo",
        description=tr("cli", "Fill the database with Leverkusen demo data"),
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help=tr(
            "cli",
            "Database URL (postgresql://user:password@host:5432/db or sqlite:///file). "
            "Default: KOD_DATABASE_URL, else the per-user SQLite file.",
        ),
    )
    p.add_argument(
        "--incidents", type=int, default=6000, help=tr("cli", "Number of incidents in the history")
    )
    p.add_argument("--seed", type=int, default=2024, help=tr("cli", "Seed of the random generator"))
    p.add_argument(
        "--recordings",
        type=int,
        default=5,
        help=tr("cli", "Bodycam clips made with ffmpeg (0: none; default 5)"),
    )
    p.add_argument(
        "--if-empty",
        action="store_true",
        help=tr("cli", "Only if the database has no incidents yet (first start)"),
    )
    return p


async def _fill(args: argparse.Namespace) -> int:
    if not 0 <= args.incidents <= MAX_INCIDENTS:
        raise ValidationError(
            tr("cli", "--incidents must be between 0 and 5,000,000."), "incidents"
        )
    db = await open_checked(resolve_database(args.database))
    try:
        report = await generate_demo(
            Services.create(db),
            Actor.cli(),
            incidents=args.incidents,
            seed=args.seed,
            only_if_empty=args.if_empty,
            recordings=max(0, args.recordings),
            progress=lambda line: print(line, flush=True),
        )
    finally:
        await db.dispose()
    print(report, flush=True)
    return 0


def run(argv: list[str] | None = None) -> int:
    """Run ``kod-demo`` with ``argv``; returns the exit code."""
    args = build_parser().parse_args(argv)
    setup_logging("kod-demo", console=False)
    return guarded("kod-demo", lambda: asyncio.run(_fill(args)))


def main() -> None:
    """Console entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
