"""Demo data generation speed: prints ``demo_rows_per_s`` (SQLite and PostgreSQL).

Generates 200,000 incidents (with journal, assignments, gazetteer, ...) into fresh databases.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

# Run as a script, Python puts bench/ first on the path, where bench/queue.py would shadow the
# standard library's queue module: replace that entry with the repository root.
sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.platform.database import Database
from app.platform.uow import Actor
from app.services import Services
from bench._common import temp_postgres, temp_sqlite
from demodata.generate import generate_demo

INCIDENTS = int(os.environ.get("KOD_BENCH_INCIDENTS", "200000"))


async def run(target: object) -> tuple[float, int]:
    db = Database(target)  # type: ignore[arg-type]
    await db.check()
    services = Services.create(db)
    started = time.perf_counter()
    await generate_demo(services, Actor.cli(), incidents=INCIDENTS, seed=7)
    elapsed = time.perf_counter() - started
    from sqlalchemy import text

    total = 0
    async with db.read() as s:
        for table in ("incident", "journal_entry", "incident_unit", "gazetteer_address"):
            total += int((await s.execute(text(f"select count(*) from {table}"))).scalar() or 0)
    await db.dispose()
    return elapsed, total


def main() -> None:
    results = {}
    with temp_sqlite() as target:
        results["sqlite"] = asyncio.run(run(target))
    with temp_postgres() as target:
        results["postgresql"] = asyncio.run(run(target))
    rates = {k: rows / sec for k, (sec, rows) in results.items()}
    print(f"demo_incidents: {INCIDENTS}")
    for kind, (sec, rows) in results.items():
        print(f"demo_{kind}_s: {sec:.1f}")
        print(f"demo_{kind}_rows_per_s: {rows / sec:.0f}")
    print(f"demo_rows_per_s: {min(rates.values()):.0f}")


if __name__ == "__main__":
    main()
