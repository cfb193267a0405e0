"""``kod-admin open311 poll [--once]``: take citizens' requests in from the Open311 platform."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

from app.platform.database import Database
from app.platform.errors import ConfigError
from app.platform.i18n import tr
from app.platform.uow import Actor
from app.services.open311_loop import SYSTEM_ACTOR, poller_settings, run_poller
from app.services.users import UserService


def add_parser(sub: Any) -> None:
    """Add the ``open311`` command to ``kod-admin``'s subparsers."""
    op = sub.add_parser("open311", help=tr("cli", "Open311 intake of citizen reports"))
    ops = op.add_subparsers(dest="open311_command", required=True)
    poll = ops.add_parser(
        "poll", help=tr("cli", "Take requests in and report closed Meldungen back")
    )
    poll.add_argument("--once", action="store_true", help=tr("cli", "poll once and exit"))


async def run(args: argparse.Namespace, db: Database, actor: Actor) -> int:
    """Poll once (print what happened) or until interrupted."""
    if db.target.is_sqlite or (await UserService(db).whoami()).is_owner:
        # The intake acts as itself (the server honours the actor name for the owner only);
        # a personal PostgreSQL login acts as that person (a dispatcher's rights needed).
        actor = SYSTEM_ACTOR
    if await poller_settings(db) is None:
        raise ConfigError(tr("cli", "No Open311 platform configured: set open311.base_url first."))
    stop = asyncio.Event()
    if not args.once:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C ends the process
                loop.add_signal_handler(sig, stop.set)
    result = await run_poller(db, actor, stop, once=args.once)
    if args.once and result is not None:
        print(
            tr(
                "cli",
                "%1 new Meldungen (%2), %3 already known, %4 left out, %5 statuses reported "
                "back, %6 still to report.",
                len(result.created),
                ", ".join(result.created) or "-",
                result.known,
                len(result.skipped),
                len(result.posted),
                len(result.failed),
            ),
            flush=True,
        )
        if result.updated:
            print(
                tr(
                    "cli",
                    "%1 changed on the platform; closed there while still open here: %2",
                    len(result.updated),
                    ", ".join(result.closed_there) or "-",
                ),
                flush=True,
            )
        for reason in result.skipped:
            print("  " + reason, flush=True)
    return 0
