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
from app.platform.database import Database, ensure_schema_current
from app.platform.dberrors import classify, describe_db_error, is_login_refused
from app.platform.errors import (
    AuthenticationError,
    ConfigError,
    DatabaseUnavailable,
    KodError,
    ValidationError,
)
from app.platform.i18n import tr
from app.platform.logsetup import setup_logging
from app.platform.permissions import Role, permissions_markdown, role_label
from app.platform.timeutil import format_local
from app.platform.uow import Actor
from app.services import Services
from app.tools import (
    cli_field,
    cli_gazetteer,
    cli_offences,
    cli_open311,
    cli_recordings,
    simulate,
)
from app.tools.argparse_de import add_version_option, use_ui_language
from app.tools.cli_map import add_map_parser, map_command

EXIT_UNEXPECTED = 70


def _print(text: str) -> None:
    print(text, flush=True)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


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

    dbp = sub.add_parser("db", help=tr("cli", "Schema migrations"))
    dbs = dbp.add_subparsers(dest="db_command", required=True)
    dbs.add_parser("upgrade", help=tr("cli", "Migrate the database to the newest schema"))
    down = dbs.add_parser(
        "downgrade", help=tr("cli", "Migrate down (default: to an empty database)")
    )
    down.add_argument("revision", nargs="?", default="base")
    dbs.add_parser("status", help=tr("cli", "Show the schema version"))

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


def _run_migration(target: DatabaseTarget, revision: str, up: bool) -> None:
    from db.migrate import downgrade, schema_state, upgrade

    db = Database(target)
    engine = db.sync_engine()
    try:
        with engine.connect() as conn:
            state = schema_state(conn)
        if state.newer_than_program:
            ensure_schema_current(state, target.display)
        if up:
            upgrade(engine, revision)
        else:
            downgrade(engine, revision)
        with engine.connect() as conn:
            after = schema_state(conn)
    except (OperationalError, DBAPIError) as exc:
        raise (
            classify(target, exc) or DatabaseUnavailable(describe_db_error(target, exc))
        ) from exc
    finally:
        engine.dispose()
        asyncio.run(db.dispose())
    _print(
        tr(
            "cli",
            "Schema of %1: %2 → %3",
            target.display,
            state.current or "–",
            after.current or "–",
        )
    )


def _db_status(target: DatabaseTarget) -> int:
    from db.migrate import schema_state

    db = Database(target)
    engine = db.sync_engine()
    try:
        with engine.connect() as conn:
            state = schema_state(conn)
    except (OperationalError, DBAPIError) as exc:
        raise DatabaseUnavailable(describe_db_error(target, exc)) from exc
    finally:
        engine.dispose()
        asyncio.run(db.dispose())
    _print(tr("cli", "Database: %1", target.display))
    _print(tr("cli", "Schema: %1 (program: %2)", state.current or "–", state.head))
    return 0 if state.up_to_date else 1


def _audit_verify(target: DatabaseTarget, expect_head: str | None) -> int:
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


async def _audit_prune(services: Services, actor: Actor, dry_run: bool) -> int:
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
            return await _user_command(args, services, actor)
        if args.command == "settings":
            if args.settings_command == "list":
                for key, value in (await services.settings.all()).items():
                    _print(f"{key} = {json.dumps(value)}")
                return 0
            try:
                value = json.loads(args.value)
            except json.JSONDecodeError:
                value = args.value
            await services.settings.set(actor, args.key, value)
            _print(tr("cli", "%1 set to %2.", args.key, json.dumps(value)))
            return 0
        if args.command == "audit" and args.audit_command == "head":
            _print(await services.audit_log.head() or "-")
            return 0
        if args.command == "audit" and args.audit_command == "prune":
            return await _audit_prune(services, actor, args.dry_run)
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


async def _user_command(args: argparse.Namespace, services: Services, actor: Actor) -> int:
    if args.user_command == "add":
        no_password = args.no_password or args.directory
        password = None if no_password else _read_password(args.password_stdin)
        info = await services.users.add(
            actor, args.username, args.name, Role(args.role), password, directory=args.directory
        )
        _print(tr("cli", "User %1 (%2) created.", info.username, role_label(info.role)))
        return 0
    if args.user_command == "list":
        for u in await services.users.all_users(actor):
            state = tr("cli", "active") if u.active else tr("cli", "disabled")
            if u.locked_until is not None:
                state += " " + tr("cli", "(locked until %1)", format_local(u.locked_until))
            if u.active and not u.can_log_in:
                state += " " + tr("cli", "(no server login)")

            _print(f"{u.username:<20} {role_label(u.role):<18} {state:<10} {u.display_name}")
        return 0
    if args.user_command in ("disable", "enable"):
        info = await services.users.set_active(actor, args.username, args.user_command == "enable")
        if info.active:
            _print(tr("cli", "User %1 enabled.", info.username))
            return 0
        _print(tr("cli", "User %1 disabled.", info.username))
        if info.sessions_ended is not None and info.sessions_ended > 0:
            _print(
                tr("cli", "%1 open sessions of %2 were ended.", info.sessions_ended, info.username)
            )
        elif info.sessions_ended == -1:
            _err(
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
        _print(tr("cli", "User %1 now has the role %2.", info.username, role_label(info.role)))
        return 0
    if args.user_command == "password":
        await services.users.set_password(actor, args.username, _read_password(args.password_stdin))
        _print(tr("cli", "Password of %1 changed.", args.username))
        return 0
    raise ConfigError(tr("cli", "Unknown command."))


def guarded(program: str, body: Callable[[], int]) -> int:
    """Run ``body`` with the command line's error handling: a German message, an exit code."""
    try:
        return body()
    except KodError as exc:
        _err(tr("cli", "Error: %1", exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _err(tr("cli", "Cancelled."))
        return 130
    except BrokenPipeError:
        # The reader went away (``kod-admin user list | head``): nothing left to say.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141

    except Exception as exc:
        logging.getLogger(f"kod.{program}").exception("unexpected error in %s", program)
        _err(tr("cli", "Unexpected error (%1). Details are in the log file.", type(exc).__name__))
        return EXIT_UNEXPECTED


def run(argv: list[str] | None = None) -> int:
    """Run ``kod-admin`` with ``argv``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging("kod-admin", console=False)

    def body() -> int:
        if args.command == "permissions":
            _print(permissions_markdown())
            return 0
        if args.command == "recordings" and args.recordings_command in cli_recordings.OFFLINE:
            return cli_recordings.run(args)
        target = login_target(resolve_database(args.database), simulate.login_name(args))
        if args.command == "simulate":
            return simulate.run(args, target)
        if args.command == "db":
            if args.db_command == "status":
                return _db_status(target)
            if args.db_command == "upgrade":
                _run_migration(target, "head", up=True)
                # A fresh database gets the shipped offence catalogue seed.
                seed = argparse.Namespace(command="catalogue", catalogue_command="seed")
                return asyncio.run(_async_command(seed, target))
            else:
                _run_migration(target, args.revision, up=False)
            return 0
        if args.command == "audit" and args.audit_command == "verify":
            return _audit_verify(target, args.expect_head)
        runner: Callable[[], Coroutine[Any, Any, int]] = lambda: _async_command(args, target)  # noqa: E731
        return asyncio.run(runner())

    return guarded("kod-admin", body)


def main() -> None:
    """Console entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
