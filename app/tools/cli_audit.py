"""``kod-admin audit …``: check the audit log's hash chain, print its head, prune old records."""

from __future__ import annotations

import argparse
from typing import Any

from app.platform.config import DatabaseTarget
from app.platform.errors import ConfigError
from app.platform.i18n import tr
from app.platform.uow import Actor
from app.services import Services
from app.tools.cli_output import complain, direct_engine, say


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

    with direct_engine(target) as engine, engine.connect() as conn:
        result = verify_connection(conn, expect_head)
    if result.ok:
        say(describe_result(result))
        return 0
    complain(describe_result(result))
    return 10


async def run(args: argparse.Namespace, services: Services, actor: Actor) -> int:
    """Carry out ``audit head`` or ``audit prune``."""
    if args.audit_command == "head":
        say(await services.audit_log.head() or "-")
        return 0
    if args.audit_command == "prune":
        return await _prune(services, actor, args.dry_run)
    raise ConfigError(tr("cli", "Unknown command."))


async def _prune(services: Services, actor: Actor, dry_run: bool) -> int:
    from app.platform.timeutil import format_local

    if dry_run:
        found = await services.audit_log.expired(actor)
        say(
            tr(
                "cli",
                "%1 audit records are older than %2 and would be deleted.",
                found.removed,
                format_local(found.cutoff),
            )
        )
    else:
        found = await services.audit_log.prune_expired(actor)
        say(
            tr(
                "cli",
                "%1 audit records older than %2 deleted.",
                found.removed,
                format_local(found.cutoff),
            )
        )
    return 0
