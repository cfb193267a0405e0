"""A workstation that records incidents and notes while the database is unreachable.

    python -m tests.multiws.offline_writer OUTBOX_PATH --count N

Uses the real path: ResilientIncidents tries a PostgreSQL server that refuses connections, gets
DatabaseUnavailable and stores each operation in the outbox. Prints one JSON line per operation
*after* it was confirmed (what a dispatcher would have seen), then waits to be killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from app.domain.dto import IncidentDraft
from app.platform.config import parse_database_url
from app.platform.database import Database
from app.platform.outbox import Outbox
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from app.services.resilient import ResilientIncidents

DISPO = Actor(None, "dora", Role.DISPATCHER, "Dora Disponentin")
UNREACHABLE = "postgresql://kod:kod@127.0.0.1:1/leitstelle"


async def run(outbox_path: Path, count: int) -> None:
    db = Database(parse_database_url(UNREACHABLE), workstation="ws-offline")
    outbox = await Outbox.open(outbox_path)
    incidents = ResilientIncidents(db, Services.create(db).incidents, outbox)
    for n in range(count):
        inc = await incidents.create(
            DISPO, IncidentDraft("noise", address=f"Offlineweg {n + 1}", description=f"#{n}")
        )
        print(json.dumps({"op": "create", "id": inc.id, "number": inc.number}), flush=True)
        await incidents.add_note(DISPO, inc.id, f"Notiz zu #{n}")
        print(json.dumps({"op": "note", "id": inc.id}), flush=True)
    print(json.dumps({"ready": True}), flush=True)
    await asyncio.sleep(3600)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("outbox", type=Path)
    p.add_argument("--count", type=int, default=3)
    a = p.parse_args()
    asyncio.run(run(a.outbox, a.count))


if __name__ == "__main__":
    main()
