"""Incident queue speed over 1,000,000 incidents: prints ``queue_open_s`` and ``queue_filter_p95_ms``.

Fills a fresh SQLite file and a fresh PostgreSQL database with the demo generator, then opens the
real queue model (``IncidentQueueTableModel``) in a qasync loop, measuring the time to the first
page, and applies typical filters (category, Stadtteil, priority, status, free text, sort
orders) measuring each until the model shows the new result.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's ``queue``: run as a script, its folder comes
# first on sys.path and would shadow it. Put the repository root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import asyncio  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


from app.domain.dto import IncidentQuery  # noqa: E402
from app.platform.config import DatabaseTarget  # noqa: E402
from app.platform.database import Database  # noqa: E402
from app.platform.uow import Actor  # noqa: E402
from app.services import Services  # noqa: E402
from bench._common import qt_application, temp_postgres, temp_sqlite  # noqa: E402
from demodata.generate import generate_demo  # noqa: E402
from ui import eventloop  # noqa: E402
from ui.context import ChangeBridge, UiContext  # noqa: E402
from ui.models.incident_queue import IncidentQueueTableModel  # noqa: E402

INCIDENTS = int(os.environ.get("KOD_BENCH_INCIDENTS", "1000000"))

FILTERS = [
    IncidentQuery(open_only=True),
    IncidentQuery(categories=frozenset({"noise"})),
    IncidentQuery(categories=frozenset({"assault_staff"})),
    IncidentQuery(stadtteile=frozenset({"Opladen"})),
    IncidentQuery(stadtteile=frozenset({"Hitdorf"}), categories=frozenset({"dog"})),
    IncidentQuery(priorities=frozenset({1})),
    IncidentQuery(statuses=frozenset({"closed"})),
    IncidentQuery(text="E-2025-00012"),
    IncidentQuery(text="Hauptstraße"),
    IncidentQuery(text="Bissvorfall"),
    IncidentQuery(text="Kiosk"),
    IncidentQuery(text="xyzzy"),
    IncidentQuery(text="Opladener"),
    IncidentQuery(sort="created_at", descending=True),
    IncidentQuery(sort="address"),
    IncidentQuery(sort="priority"),
    IncidentQuery(sort="dispatched_at", descending=True),
    IncidentQuery(sort="stadtteil"),
    IncidentQuery(sort="stadtteil", descending=True),
    IncidentQuery(sort="since_created"),
    IncidentQuery(sort="since_dispatch", descending=True),
    IncidentQuery(categories=frozenset({"waste"}), sort="created_at", descending=True),
    IncidentQuery(),
]


async def measure(target: DatabaseTarget) -> tuple[float, list[float]]:
    db = Database(target)
    await db.check()
    services = Services.create(db)
    print(f"# filling {target.kind} with {INCIDENTS} incidents …", file=sys.stderr)
    await generate_demo(services, Actor.cli(), incidents=INCIDENTS, seed=11)
    actor = await services.users.authenticate("disponent", "leitstelle")
    ctx = UiContext(services=services, actor=actor, bridge=ChangeBridge())

    started = time.perf_counter()
    model = IncidentQueueTableModel(ctx)
    model.reload()
    await _until_loaded(model)
    open_s = time.perf_counter() - started

    timings = []
    for _round in range(3):
        for query in FILTERS:
            started = time.perf_counter()
            model.set_query(replace(query))
            await _until_loaded(model)
            timings.append((time.perf_counter() - started) * 1000)
            if os.environ.get("KOD_BENCH_VERBOSE"):
                print(f"# {timings[-1]:8.1f} ms  {query}", file=sys.stderr)
    await db.dispose()
    return open_s, timings


async def _until_loaded(model: IncidentQueueTableModel) -> None:
    done = asyncio.get_running_loop().create_future()

    def finished(_total: int) -> None:
        if not done.done():
            done.set_result(None)

    model.loaded.connect(finished)
    try:
        await asyncio.wait_for(done, 60)
    finally:
        model.loaded.disconnect(finished)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def main() -> None:
    app = qt_application()
    app.setQuitOnLastWindowClosed(False)
    results: dict[str, tuple[float, list[float]]] = {}
    if os.environ.get("KOD_BENCH_SKIP_SQLITE") != "1":
        with temp_sqlite() as target:
            results["sqlite"] = eventloop.run(measure(target))
    if os.environ.get("KOD_BENCH_SKIP_PG") != "1":
        with temp_postgres() as target:
            results["postgresql"] = eventloop.run(measure(target))
    print(f"queue_incidents: {INCIDENTS}")
    for kind, (open_s, timings) in results.items():
        print(f"queue_open_s_{kind}: {open_s:.3f}")
        print(f"queue_filter_p50_ms_{kind}: {statistics.median(timings):.1f}")
        print(f"queue_filter_p95_ms_{kind}: {p95(timings):.1f}")
    print(f"queue_open_s: {max(r[0] for r in results.values()):.3f}")
    print(f"queue_filter_p95_ms: {max(p95(r[1]) for r in results.values()):.1f}")


if __name__ == "__main__":
    main()
