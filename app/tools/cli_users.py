"""``kod-admin user …``: create user accounts, list them, change role, state and password."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from app.platform.errors import ConfigError, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Role, role_label
from app.platform.timeutil import format_local
from app.platform.uow import Actor
from app.services import Services
from app.tools.cli_output import complain, say


def add_parser(sub: Any) -> None:
    """Add the ``user`` command to ``kod-admin``'s subparsers."""
    up = sub.add_parser("user", help=tr("cli", "User accounts"))
    ups = up.add_subparsers(dest="user_command", required=True)
    add = ups.add_parser("add", help=tr("cli", "Create a user"))
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--name", default="", help=tr("cli", "Display name"))
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help=tr("cli", "Read the password from standard input"),
    )
    add.add_argument(
        "--no-password",
        action="store_true",
        help=tr("cli", "No password (field officers using the mobile app)"),
    )
    add.add_argument(
        "--directory",
        action="store_true",
        help=tr(
            "cli",
            "PostgreSQL: the person logs in with the directory password (LDAP or Kerberos, "
            "as pg_hba.conf says for members of kod_directory); no password of its own",
        ),
    )
    ups.add_parser("list", help=tr("cli", "List users"))
    rol = ups.add_parser("role", help=tr("cli", "Give a user another role"))
    rol.add_argument("username")
    rol.add_argument("--role", required=True, choices=[r.value for r in Role])
    dis = ups.add_parser("disable", help=tr("cli", "Disable a user"))
    dis.add_argument("username")
    ena = ups.add_parser("enable", help=tr("cli", "Enable a user again and lift a lockout"))
    ena.add_argument("username")
    pw = ups.add_parser("password", help=tr("cli", "Set a new password"))
    pw.add_argument("username")
    pw.add_argument(
        "--password-stdin",
        action="store_true",
        help=tr("cli", "Read the password from standard input"),
    )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValidationError(
            tr("cli", "No terminal for the password prompt: use --password-stdin."), "password"
        )
    first = getpass.getpass(tr("cli", "Password: "))
    second = getpass.getpass(tr("cli", "Repeat password: "))
    if first != second:
        raise ValidationError(tr("cli", "The passwords do not match."), "password")
    return first


async def run(args: argparse.Namespace, services: Services, actor: Actor) -> int:
    """Carry out one ``user`` command."""
    if args.user_command == "add":
        no_password = args.no_password or args.directory
        password = None if no_password else _read_password(args.password_stdin)
        info = await services.users.add(
            actor, args.username, args.name, Role(args.role), password, directory=args.directory
        )
        say(tr("cli", "User %1 (%2) created.", info.username, role_label(info.role)))
        return 0
    if args.user_command == "list":
        for u in await services.users.all_users(actor):
            state = tr("cli", "active") if u.active else tr("cli", "disabled")
            if u.locked_until is not None:
                state += " " + tr("cli", "(locked until %1)", format_local(u.locked_until))
            if u.active and not u.can_log_in:
                state += " " + tr("cli", "(no server login)")

            say(f"{u.username:<20} {role_label(u.role):<18} {state:<10} {u.display_name}")
        return 0
    if args.user_command in ("disable", "enable"):
        info = await services.users.set_active(actor, args.username, args.user_command == "enable")
        if info.active:
            say(tr("cli", "User %1 enabled.", info.username))
            return 0
        say(tr("cli", "User %1 disabled.", info.username))
        if info.sessions_ended is not None and info.sessions_ended > 0:
            say(tr("cli", "%1 open sessions of %2 were ended.", info.sessions_ended, info.username))
        elif info.sessions_ended == -1:
            complain(
                tr(
                    "cli",
                    "Warning: open sessions of %1 could not be ended (the database owner needs "
                    "the role pg_signal_backend, see README). They end at their next reconnect.",
                    info.username,
                )
            )
        return 0
    if args.user_command == "role":
        info = await services.users.set_role(actor, args.username, Role(args.role))
        say(tr("cli", "User %1 now has the role %2.", info.username, role_label(info.role)))
        return 0
    if args.user_command == "password":
        await services.users.set_password(actor, args.username, _read_password(args.password_stdin))
        say(tr("cli", "Password of %1 changed.", args.username))
        return 0
    raise ConfigError(tr("cli", "Unknown command."))
