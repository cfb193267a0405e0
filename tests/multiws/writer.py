"""A second workstation process: creates incidents through the services, retrying on outages.

    python -m tests.multiws.writer URL --count N [--interval S] [--prefix P]

Every incident carries a client reference (``<prefix>-<n>``), so a retry after a lost
connection never duplicates one, even if the server committed before the link broke. Prints one
JSON line per incident (``{"n", "id", "number", "t", "tries"}``, ``t`` = wall-clock time right
after the commit) and a final ``{"done": true}`` line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid

from app.domain.dto import IncidentDraft
from app.platform.config import parse_database_url
from app.platform.database import Database
from app.platform.errors import DatabaseUnavailable
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services

WRITER = Actor(None, "cli:writer", Role.DISPATCHER, "Zweiter Arbeitsplatz")
CATEGORIES = ("noise", "waste", "dog", "parking")


def client_ref(prefix: str, n: int) -> str:
    """A stable 36-character reference for the n-th incident of this run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kod-writer/{prefix}/{n}"))


async def run(url: str, count: int, interval: float, prefix: str, workstation: str) -> int:
    db = Database(parse_database_url(url), workstation=workstation)
    services = Services.create(db)
    try:
        for n in range(count):
            draft = IncidentDraft(
                CATEGORIES[n % len(CATEGORIES)],
                address=f"Wiesdorfer Platz {n + 1}",
                description=f"{prefix} #{n}",
                client_ref=client_ref(prefix, n),
            )
            tries = 0
            while True:
                tries += 1
                try:
                    inc = await services.incidents.create(WRITER, draft)
                    break
                except DatabaseUnavailable as exc:
                    print(json.dumps({"retry": n, "error": str(exc)[:200]}), flush=True)
                    await asyncio.sleep(0.05)
                    if tries > 400:
                        raise
            print(
                json.dumps(
                    {"n": n, "id": inc.id, "number": inc.number, "t": time.time(), "tries": tries}
                ),
                flush=True,
            )
            if interval:
                await asyncio.sleep(interval)
        print(json.dumps({"done": True}), flush=True)
        return 0
    finally:
        await db.dispose()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--interval", type=float, default=0.0)
    p.add_argument("--prefix", default="w")
    p.add_argument("--workstation", default="ws-writer")
    a = p.parse_args()
    sys.exit(asyncio.run(run(a.url, a.count, a.interval, a.prefix, a.workstation)))


if __name__ == "__main__":
    main()
