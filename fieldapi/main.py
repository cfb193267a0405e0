"""``kod-field-api``: run the field API (uvicorn), or write its OpenAPI document."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from app.platform.config import DatabaseTarget, resolve_database
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.services.login import open_checked
from app.tools.argparse_de import use_ui_language
from fieldapi.settings import FieldApiSettings

ENV_BIND = "KOD_FIELD_API_BIND"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kod-field-api",
        description=tr("field", "The field interface: HTTP API for the officers' devices."),
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help=tr("field", "database URL (else KOD_DATABASE_URL, else the local SQLite file)"),
    )
    p.add_argument(
        "--bind",
        metavar="HOST:PORT",
        default=os.environ.get(ENV_BIND, "127.0.0.1:8470"),
        help=tr("field", "address to listen on (default 127.0.0.1:8470; behind the reverse proxy)"),
    )
    p.add_argument(
        "--export-openapi",
        metavar="FILE",
        help=tr("field", "write the OpenAPI document to FILE and exit"),
    )
    p.add_argument("--rate", type=float, default=FieldApiSettings.rate_per_s)
    p.add_argument("--burst", type=int, default=FieldApiSettings.burst)
    return p


def _settings(args: argparse.Namespace) -> FieldApiSettings:
    host, _, port = str(args.bind).rpartition(":")
    if not host or not port.isdigit():
        raise KodError(tr("field", "--bind needs HOST:PORT, e.g. 127.0.0.1:8470."))
    return FieldApiSettings(
        host=host.strip("[]"), port=int(port), rate_per_s=args.rate, burst=args.burst
    )


async def _check(target: DatabaseTarget) -> None:
    db = await open_checked(target, "field-api")
    await db.dispose()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``kod-field-api``."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    use_ui_language()
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
        target = resolve_database(args.database)
        if args.export_openapi:
            from app.platform.database import Database
            from fieldapi.app import create_app, openapi_document

            db = Database(target)
            Path(args.export_openapi).write_text(
                openapi_document(create_app(db, settings)), encoding="utf-8"
            )
            return
        asyncio.run(_check(target))
    except KodError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(exc.exit_code) from exc
    import uvicorn

    from app.platform.database import Database
    from fieldapi.app import create_app

    # Connections belong to uvicorn's event loop: the pool is made after the check's loop ended.
    app = create_app(Database(target, "field-api"), settings, open311=True)
    # Behind the reverse proxy (TLS ends there): trust its X-Forwarded-* headers only from it.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("KOD_FIELD_API_PROXIES", "127.0.0.1"),
        log_level="info",
        # Every call is in the audit log already; a line per request would cost CPU.
        access_log=False,
    )


if __name__ == "__main__":
    main()
