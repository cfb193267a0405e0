"""``kod-admin simulate``: demo units drive through the city and report their status.

Everything goes through the services under a real login (``--as``), as the field devices will:
the permission to set unit status is checked, status changes are audited, positions and
statuses reach every workstation through the change feed. Ctrl+C (SIGINT) or SIGTERM ends the
run after the current tick; the database is closed and the exit code is 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import random
import signal
import sys
import time
from typing import Any

from app.platform.config import DatabaseTarget
from app.platform.errors import ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import check
from app.services.login import Session, log_in
from app.tools.fleet import Fleet

#: A status line is printed this often (seconds).
REPORT_EVERY_S = 10.0


def add_parser(sub: Any) -> None:
    """Add ``simulate`` to ``kod-admin``'s sub-commands."""
    sim = sub.add_parser(
        "simulate",
        help=tr("simulate", "Move the units through the city and change their status (demo)"),
    )
    sim.add_argument(
        "--as",
        dest="as_user",
        metavar="NAME",
        help=tr(
            "simulate",
            "Report as this user (needs the permission to set unit status, e.g. disponent). "
            "PostgreSQL: the login; default the --user login.",
        ),
    )
    sim.add_argument(
        "--password-stdin",
        action="store_true",
        help=tr("simulate", "Read the password from standard input"),
    )
    sim.add_argument(
        "--units",
        type=int,
        metavar="N",
        help=tr("simulate", "How many units (default: all active units)"),
    )
    sim.add_argument(
        "--interval",
        type=float,
        default=1.0,
        metavar="S",
        help=tr("simulate", "Seconds between position reports (default 1)"),
    )
    sim.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help=tr("simulate", "Stop after this many seconds (default: until Ctrl+C)"),
    )
    sim.add_argument(
        "--all-out",
        action="store_true",
        help=tr("simulate", "Units at the station go out on patrol at once"),
    )
    sim.add_argument("--seed", type=int, help=tr("simulate", "Random seed (repeatable runs)"))


def _check_options(args: argparse.Namespace) -> None:
    if args.units is not None and args.units < 1:
        raise ValidationError(tr("simulate", "--units needs a number of at least 1."), "units")
    if not 0.1 <= args.interval <= 3600:
        raise ValidationError(
            tr("simulate", "--interval must be between 0.1 and 3600 seconds."), "interval"
        )
    if args.duration is not None and args.duration <= 0:
        raise ValidationError(tr("simulate", "--duration must be more than 0 seconds."), "duration")


def login_name(args: argparse.Namespace) -> str | None:
    """The PostgreSQL login for ``kod-admin``: ``--user``, else ``simulate --as``."""
    return args.user or (getattr(args, "as_user", None) if args.command == "simulate" else None)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValidationError(
            tr("cli", "No terminal for the password prompt: use --password-stdin."), "password"
        )
    return getpass.getpass(tr("simulate", "Password of %1: ", args.as_user))


async def _session(args: argparse.Namespace, target: DatabaseTarget) -> Session:
    if target.is_sqlite:
        if not args.as_user:
            raise ValidationError(
                tr(
                    "simulate",
                    "Say in whose name the units report: --as NAME (e.g. --as disponent).",
                ),
                "as",
            )
        session = await log_in(target, args.as_user, _password(args))
    else:
        # login_target has logged in already (password file, PGPASSWORD or prompt).
        session = await log_in(target, target.username or "", target.sync_url.password or "")
    try:
        # Refused here (and audited) rather than at the first status change.
        await check(session.db, session.actor, Permission.UNIT_STATUS)
    except BaseException:
        await session.close()
        raise
    return session


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: no loop signal handlers
            signal.signal(sig, lambda *_a: loop.call_soon_threadsafe(stop.set))


def _print(text: str) -> None:
    print(text, flush=True)


async def _simulate(args: argparse.Namespace, target: DatabaseTarget) -> int:
    _check_options(args)
    session = await _session(args, target)
    # After the password prompt: Ctrl+C there still cancels at once.
    stop = asyncio.Event()
    _stop_on_signals(stop)
    try:
        fleet = Fleet(
            session.services, session.actor, random.Random(args.seed), all_out=args.all_out
        )
        count = await fleet.load(args.units)
        _print(
            tr(
                "simulate",
                "Simulation of %1 units as %2 on %3 started (Ctrl+C ends it).",
                count,
                session.actor.username,
                target.display,
            )
        )
        return await _run(fleet, args, stop)
    finally:
        await session.close()


async def _run(fleet: Fleet, args: argparse.Namespace, stop: asyncio.Event) -> int:
    loop = asyncio.get_running_loop()
    started = last = next_tick = loop.time()
    next_report = started + REPORT_EVERY_S
    ticks = positions = writes_ms = 0.0
    while not stop.is_set():
        now = loop.time()
        result = await fleet.tick(max(0.0, now - last) if ticks else args.interval)
        last = now
        ticks += 1
        positions += result.moved
        writes_ms = max(writes_ms, result.write_ms)
        if loop.time() >= next_report:
            _print(
                tr(
                    "simulate",
                    "%1  %2 s: %3 positions, %4 status changes so far; slowest write %5 ms",
                    time.strftime("%H:%M:%S"),
                    round(loop.time() - started),
                    int(positions),
                    fleet.status_changes,
                    round(writes_ms),
                )
            )
            next_report += REPORT_EVERY_S
            writes_ms = 0
        if args.duration is not None and loop.time() - started >= args.duration:
            break
        next_tick += args.interval
        delay = next_tick - loop.time()
        if delay < 0:  # the tick took longer than the interval: start the next one now
            next_tick, delay = loop.time(), 0.0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
    _print(
        tr(
            "simulate",
            "Simulation ended after %1 ticks: %2 positions, %3 status changes.",
            int(ticks),
            int(positions),
            fleet.status_changes,
        )
    )
    return 0


def run(args: argparse.Namespace, target: DatabaseTarget) -> int:
    """Run ``kod-admin simulate``; returns the exit code."""
    return asyncio.run(_simulate(args, target))
