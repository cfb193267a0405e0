"""``kod-field-api``: run the field API (uvicorn), or write its OpenAPI document."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.platform.config import DatabaseTarget, resolve_database
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.services.login import open_checked
from app.tools.argparse_de import use_ui_language
from fieldapi.settings import FieldApiSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

ENV_BIND = "KOD_FIELD_API_BIND"
ENV_WORKERS = "KOD_FIELD_API_WORKERS"
#: What the parent hands its worker processes (the database argument and the settings).
ENV_WORKER_SPEC = "KOD_FIELD_API_WORKER_SPEC"
MAX_WORKERS = 32


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
    p.add_argument(
        "--workers",
        metavar="N",
        default=os.environ.get(ENV_WORKERS, "1"),
        help=tr(
            "field",
            "processes serving the API (PostgreSQL only; default 1): about one per processor "
            "core for hundreds of devices",
        ),
    )
    return p


def _settings(args: argparse.Namespace) -> FieldApiSettings:
    host, _, port = str(args.bind).rpartition(":")
    if not host or not port.isdigit():
        raise KodError(tr("field", "--bind needs HOST:PORT, e.g. 127.0.0.1:8470."))
    workers = str(args.workers).strip()
    if not workers.isdigit() or not 1 <= int(workers) <= MAX_WORKERS:
        raise KodError(tr("field", "--workers needs a whole number from 1 to %1.", MAX_WORKERS))
    return FieldApiSettings(
        host=host.strip("[]"),
        port=int(port),
        rate_per_s=args.rate,
        burst=args.burst,
        workers=int(workers),
    )


async def _check(target: DatabaseTarget, reset_links: bool = False) -> None:
    db = await open_checked(target, "field-api")
    try:
        if reset_links:
            from app.services.field_gateway import FieldGateway

            await FieldGateway(db).reset_links()
    finally:
        await db.dispose()


def worker_app() -> FastAPI:
    """One worker process's app (``--workers`` above 1): made by uvicorn in each process from
    what the parent put into :data:`ENV_WORKER_SPEC`."""
    from app.platform.database import Database
    from fieldapi.app import create_app

    spec = json.loads(os.environ[ENV_WORKER_SPEC])
    settings = FieldApiSettings(**spec["settings"])
    target = resolve_database(spec["database"])
    return create_app(Database(target, "field-api"), settings, open311=True, reset_links=False)


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
        if settings.workers > 1 and target.is_sqlite:
            raise KodError(
                tr(
                    "field",
                    "Several processes (--workers) need the shared PostgreSQL; "
                    "on a SQLite file the API runs as one process.",
                )
            )
        # Several processes: the links are reset once here, not by each (a process started
        # again after a crash must not mark the others' devices as gone).
        asyncio.run(_check(target, reset_links=settings.workers > 1))
    except KodError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(exc.exit_code) from exc
    import uvicorn

    from app.platform.database import Database
    from fieldapi.app import create_app

    # Behind the reverse proxy (TLS ends there): trust its X-Forwarded-* headers only from it.
    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "proxy_headers": True,
        "forwarded_allow_ips": os.environ.get("KOD_FIELD_API_PROXIES", "127.0.0.1"),
        "log_level": "info",
        # Every call is in the audit log already; a line per request would cost CPU.
        "access_log": False,
    }
    if settings.workers > 1:
        os.environ[ENV_WORKER_SPEC] = json.dumps(
            {"database": args.database, "settings": dataclasses.asdict(settings)}
        )
        uvicorn.run("fieldapi.main:worker_app", factory=True, workers=settings.workers, **common)
        return
    # Connections belong to uvicorn's event loop: the pool is made after the check's loop ended.
    app = create_app(Database(target, "field-api"), settings, open311=True)
    uvicorn.run(app, **common)


if __name__ == "__main__":
    main()
