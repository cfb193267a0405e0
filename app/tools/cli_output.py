"""What every ``kod-admin`` command shares: its output lines and a direct database connection.

:func:`say` writes a result line to stdout, :func:`complain` a problem to stderr (both flushed:
a scheduled task's log shows them in order). :func:`direct_engine` gives the synchronous engine
of a target for the commands that work below the services (migrations, the audit chain check)
and turns a failed connection into the German :class:`DatabaseUnavailable` the CLI reports.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.dberrors import classify, describe_db_error
from app.platform.errors import DatabaseUnavailable


def say(text: str) -> None:
    """A result line (stdout)."""
    print(text, flush=True)


def complain(text: str) -> None:
    """A problem (stderr)."""
    print(text, file=sys.stderr, flush=True)


@contextmanager
def direct_engine(target: DatabaseTarget) -> Iterator[Engine]:
    """The synchronous engine of ``target``, disposed afterwards; a database out of reach (or a
    refused login) raises the classified German error."""
    db = Database(target)
    engine = db.sync_engine()
    try:
        yield engine
    except (OperationalError, DBAPIError) as exc:
        raise (
            classify(target, exc) or DatabaseUnavailable(describe_db_error(target, exc))
        ) from exc
    finally:
        engine.dispose()
        asyncio.run(db.dispose())
