"""The writing workstation of ``bench/propagation.py`` (a separate process).

    python -m bench._writer URL COUNT INTERVAL_S

Creates COUNT incidents through the services and prints one line per incident:
``<incident id> <commit time>``, the commit time (``time.time()``) taken by SQLAlchemy's
``after_commit`` event of that transaction. Ends with ``done``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.domain.dto import IncidentDraft
from app.platform.config import parse_database_url
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services

WRITER = Actor(None, "bench:writer", Role.DISPATCHER, "Schreibender Arbeitsplatz")
_last_commit = [0.0]


@event.listens_for(Session, "after_commit")
def _committed(_session: Any) -> None:
    _last_commit[0] = time.time()


async def run(url: str, count: int, interval: float) -> None:
    db = Database(parse_database_url(url), workstation="bench-writer")
    services = Services.create(db)
    categories = ("noise", "waste", "dog", "parking", "graffiti")
    try:
        for n in range(count):
            inc = await services.incidents.create(
                WRITER,
                IncidentDraft(categories[n % len(categories)], address=f"Benchstraße {n + 1}"),
            )
            print(f"{inc.id} {_last_commit[0]:.6f}", flush=True)
            if interval:
                await asyncio.sleep(interval)
        print("done", flush=True)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
