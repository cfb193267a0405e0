"""``kod-admin audit …``: check the audit log's hash chain, print its head, prune old records."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.dberrors import classify, describe_db_error
from app.platform.errors import ConfigError, DatabaseUnavailable
from app.platform.i18n import tr
from app.platform.uow import Actor
from app.services import Services


def _print(text: str) -> None:
    print(text, flush=True)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def add_parser(sub: Any) -> None:
    """Add the ``audit`` command to ``kod-admin``'s subparsers."""
    ap = sub.add_parser("audit", help=tr("cli", "Audit log"))
    aps = ap.add_subparsers(dest="audit_command", required=True)
    ver = aps.add_parser("verify", help=tr("cli", "Check the hash chain of the audit log"))
    ver.add_argument(
        "--expect-head",
        metavar="HASH",
        help=tr("cli", "Also require this hash as the newest record"),
    )
    aps.add_parser("head", help=tr("cli", "Print the hash of the newest record (to anchor it)"))
    prune = aps.add_parser(
        "prune", help=tr("cli", "Delete the records older than the retention period")
    )
    prune.add_argument(
        "--dry-run", action="store_true", help=tr("cli", "Only show what would be deleted")
    )


def verify(target: DatabaseTarget, expect_head: str | None) -> int:
    """``kod-admin audit verify`` (on its own connection): 0 if the chain holds, else 10."""
    from app.platform.audit import verify_connection
    from app.services.audit_log import describe_result

    db = Database(target)
    engine = db.sync_engine()
    try:
        with engine.connect() as conn:
            result = verify_connection(conn, expect_head)
    except (OperationalError, DBAPIError) as exc:
        raise (
            classify(target, exc) or DatabaseUnavailable(describe_db_error(target, exc))
        ) from exc
    finally:
        engine.dispose()
        asyncio.run(db.dispose())
    if result.ok:
        _print(describe_result(result))
        return 0
    _err(describe_result(result))
    return 10


async def run(args: argparse.Namespace, services: Services, actor: Actor) -> int:
    """Carry out ``audit head`` or ``audit prune``."""
    if args.audit_command == "head":
        _print(await services.audit_log.head() or "-")
        return 0
    if args.audit_command == "prune":
        return await _prune(services, actor, args.dry_run)
    raise ConfigError(tr("cli", "Unknown command."))


async def _prune(services: Services, actor: Actor, dry_run: bool) -> int:
    from app.platform.timeutil import format_local

    if dry_run:
        found = await services.audit_log.expired(actor)
        _print(
            tr(
                "cli",
                "%1 audit records are older than %2 and would be deleted.",
                found.removed,
                format_local(found.cutoff),
            )
        )
    else:
        found = await services.audit_log.prune_expired(actor)
        _print(
            tr(
                "cli",
                "%1 audit records older than %2 deleted.",
                found.removed,
                format_local(found.cutoff),
            )
        )
    return 0
