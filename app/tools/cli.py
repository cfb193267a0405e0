"""``kod-admin``: administration from the command line (schema, audit, users, settings, map)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

from app.platform.config import DatabaseTarget, resolve_database
from app.platform.database import Database
from app.platform.dberrors import describe_db_error, is_login_refused
from app.platform.errors import (
    AuthenticationError,
    ConfigError,
    DatabaseUnavailable,
    KodError,
)
from app.platform.i18n import tr
from app.platform.logsetup import setup_logging
from app.platform.permissions import permissions_markdown
from app.platform.uow import Actor
from app.services import Services
from app.tools import (
    cli_audit,
    cli_db,
    cli_field,
    cli_gazetteer,
    cli_offences,
    cli_open311,
    cli_recordings,
    cli_users,
    simulate,
)
from app.tools.argparse_de import add_version_option, use_ui_language
from app.tools.cli_map import add_map_parser, map_command
from app.tools.cli_output import complain, say

EXIT_UNEXPECTED = 70


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (German help texts)."""
    use_ui_language()
    p = argparse.ArgumentParser(
        prog="kod-admin",
        description=tr("cli", "Administration of the KOD-Leitstelle database."),
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
        "--user",
        metavar="NAME",
        help=tr(
            "cli",
            "PostgreSQL: log in as NAME (default: the user in the URL, else PGUSER, else the "
            "operating-system user). The password comes from the password file, PGPASSWORD or "
            "a prompt.",
        ),
    )
    add_version_option(p)
    sub = p.add_subparsers(dest="command", required=True)
    cli_db.add_parser(sub)
    cli_audit.add_parser(sub)
    cli_users.add_parser(sub)
    cli_gazetteer.add_parser(sub)

    cli_offences.add_parser(sub)
    cli_field.add_parser(sub)
    cli_open311.add_parser(sub)
    cli_recordings.add_parser(sub)
    add_map_parser(sub)

    sub.add_parser("permissions", help=tr("cli", "Print the permission matrix (Markdown)"))

    sp = sub.add_parser("settings", help=tr("cli", "Configurable values"))
    sps = sp.add_subparsers(dest="settings_command", required=True)
    sps.add_parser("list")
    sset = sps.add_parser("set")
    sset.add_argument("key")
    sset.add_argument("value", help=tr("cli", 'JSON value, e.g. "refuse", 0 or true'))
    simulate.add_parser(sub)
    return p


def login_target(target: DatabaseTarget, user: str | None) -> DatabaseTarget:
    """PostgreSQL: the target with the caller's own login, asking for the password if needed.

    The server decides what that login may do; SQLite is returned unchanged.
    """
    if target.is_sqlite:
        return target
    name = user or target.username or os.environ.get("PGUSER") or getpass.getuser()
    candidate = target.with_login(name, target.sync_url.password)
    failure = _try_connect(candidate)
    if failure is None:
        return candidate
    if is_login_refused(failure) and sys.stdin.isatty() and "not permitted" not in str(failure):
        password = getpass.getpass(tr("cli", "Password of %1 on %2: ", name, target.display))
        candidate = target.with_login(name, password)
        failure = _try_connect(candidate)
        if failure is None:
            return candidate
    if is_login_refused(failure):
        raise AuthenticationError(describe_db_error(candidate, failure))
    raise DatabaseUnavailable(describe_db_error(candidate, failure))


def _try_connect(target: DatabaseTarget) -> BaseException | None:
    engine = Database(target).sync_engine()
    try:
        with engine.connect():
            return None
    except (OperationalError, DBAPIError) as exc:
        return exc
    finally:
        engine.dispose()


async def open_checked(target: DatabaseTarget, require_schema: bool = True) -> Database:
    """Open ``target`` and check it (schema current unless ``require_schema`` is false)."""
    db = Database(target)
    try:
        await db.check(require_current_schema=require_schema)
    except BaseException:
        await db.dispose()
        raise
    return db


async def _async_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    if target.is_sqlite:
        actor = Actor.cli()
        db = await open_checked(target)
        services = Services.create(db)
    else:
        db = await open_checked(target)
        services = Services.create(db)
        try:
            actor = await services.users.server_actor(allow_owner=True)
        except BaseException:
            await db.dispose()
            raise
    try:
        if args.command == "user":
            return await cli_users.run(args, services, actor)
        if args.command == "settings":
            if args.settings_command == "list":
                for key, value in (await services.settings.all()).items():
                    say(f"{key} = {json.dumps(value)}")
                return 0
            try:
                value = json.loads(args.value)
            except json.JSONDecodeError:
                value = args.value
            await services.settings.set(actor, args.key, value)
            say(tr("cli", "%1 set to %2.", args.key, json.dumps(value)))
            return 0
        if args.command == "audit":
            return await cli_audit.run(args, services, actor)
        if args.command == "gazetteer":
            return await cli_gazetteer.import_file(args.file, services, actor)
        if args.command == "catalogue":
            return await cli_offences.run(args, services, actor)
        if args.command == "offences":
            return await cli_offences.run_offences(args, services, actor)
        if args.command == "map":
            return await map_command(args, services, actor)
        if args.command in ("recordings", "retention"):
            return await cli_recordings.run_with_db(args, services, actor)
        if args.command == "field":
            return await cli_field.run(args, services, actor)
        if args.command == "open311":
            return await cli_open311.run(args, db, actor)
    finally:
        await db.dispose()
    raise ConfigError(tr("cli", "Unknown command."))


def guarded(program: str, body: Callable[[], int]) -> int:
    """Run ``body`` with the command line's error handling: a German message, an exit code."""
    try:
        return body()
    except KodError as exc:
        complain(tr("cli", "Error: %1", exc))
        return exc.exit_code
    except KeyboardInterrupt:
        complain(tr("cli", "Cancelled."))
        return 130
    except BrokenPipeError:
        # The reader went away (``kod-admin user list | head``): nothing left to say.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141

    except Exception as exc:
        logging.getLogger(f"kod.{program}").exception("unexpected error in %s", program)
        complain(
            tr("cli", "Unexpected error (%1). Details are in the log file.", type(exc).__name__)
        )
        return EXIT_UNEXPECTED


def run(argv: list[str] | None = None) -> int:
    """Run ``kod-admin`` with ``argv``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging("kod-admin", console=False)

    def body() -> int:
        if args.command == "permissions":
            say(permissions_markdown())
            return 0
        if args.command == "recordings" and args.recordings_command in cli_recordings.OFFLINE:
            return cli_recordings.run(args)
        target = login_target(resolve_database(args.database), simulate.login_name(args))
        if args.command == "simulate":
            return simulate.run(args, target)
        if args.command == "db":
            if args.db_command == "status":
                return cli_db.status(target)
            if args.db_command == "upgrade":
                cli_db.run_migration(target, "head", up=True)
                # A fresh database gets the shipped offence catalogue seed.
                seed = argparse.Namespace(command="catalogue", catalogue_command="seed")
                return asyncio.run(_async_command(seed, target))
            else:
                cli_db.run_migration(target, args.revision, up=False)
            return 0
        if args.command == "audit" and args.audit_command == "verify":
            return cli_audit.verify(target, args.expect_head)
        runner: Callable[[], Coroutine[Any, Any, int]] = lambda: _async_command(args, target)  # noqa: E731
        return asyncio.run(runner())

    return guarded("kod-admin", body)


def main() -> None:
    """Console entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
