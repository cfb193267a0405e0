"""The field API on PostgreSQL: status from a device to a workstation's unit board, and load.

Prints ``field_status_to_board_p99_ms`` (also ``…_p50_ms``): from sending a device's status
POST until the new status is in the unit board model (``UnitStatusTableModel``) of a
workstation following the same PostgreSQL server, with ``KOD_BENCH_DEVICES`` devices (default
200) each sending a status every 5 s for ``KOD_BENCH_SECONDS`` (default 30; goal ≤ 100 ms);
``field_api_cpu_ms_per_status``: the processor time the API's processes used in that phase
per status call (steadier than the latencies on a shared machine); then ``field_api_rps``:
position updates per second the API answers with 16 callers at once.
The API runs with one process per processor core (``KOD_BENCH_API_WORKERS`` overrides).

No arguments. Creates its own database, the officers' logins, the devices and the API's own
login on ``KOD_TEST_PG_URL``'s server and removes them at the end. The API runs as its own
process (``kod-field-api``), the devices as another (``bench/_field_devices.py``, httpx, each
line it prints says what it sent when), and the workstation's model in this one.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.platform.changefeed import ChangeFollower, last_change_id  # noqa: E402
from app.platform.config import DatabaseTarget  # noqa: E402
from app.platform.database import Database  # noqa: E402
from app.platform.permissions import Role  # noqa: E402
from app.platform.uow import Actor  # noqa: E402
from app.services import Services  # noqa: E402
from bench._common import PG_URL, temp_postgres  # noqa: E402
from ui import eventloop  # noqa: E402
from ui.context import ChangeBridge, UiContext  # noqa: E402
from ui.models.unit_board import UnitStatusTableModel  # noqa: E402

DEVICES = int(os.environ.get("KOD_BENCH_DEVICES", "200"))
SECONDS = float(os.environ.get("KOD_BENCH_SECONDS", "30"))
RPS_SECONDS = float(os.environ.get("KOD_BENCH_RPS_SECONDS", "10"))
#: API processes (``--workers``): as the README advises, one per processor core.
WORKERS = int(os.environ.get("KOD_BENCH_API_WORKERS", str(os.cpu_count() or 1)))
PERIOD_S = 5.0
PASSWORD = "bench-geheim-123"
LEAD = Actor(None, "bench", Role.SHIFT_LEAD, "Bench")
ADMIN = Actor(None, "bench", Role.ADMIN, "Bench")


async def _prepare(target: DatabaseTarget, tag: str) -> tuple[list[str], list[int]]:
    """Officers (logins ``bf_<tag>_<n>``), units with crews and devices; (tokens, unit ids)."""
    db = Database(target, "bench")
    services = Services.create(db)
    tokens: list[str] = []
    units: list[int] = []
    try:
        for i in range(DEVICES):
            login = f"bf_{tag}_{i}"
            officer = await services.users.add(
                ADMIN, login, f"Streife {i}", Role.FIELD_OFFICER, PASSWORD
            )
            unit = await services.unit_admin.create(LEAD, f"KOD B{i}")
            await services.unit_admin.set_crew(LEAD, unit.id, [officer.id], unit.version)
            issued = await services.field_devices.register(ADMIN, login, unit.call_sign, f"H{i}")
            tokens.append(issued.token)
            units.append(unit.id)
    finally:
        await db.dispose()
    return tokens, units


def _start_api(target: DatabaseTarget, gateway: str, port: int) -> subprocess.Popen[bytes]:
    url = target.with_login(gateway, PASSWORD).command_line_url
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fieldapi.main",
            "--database",
            url,
            "--bind",
            f"127.0.0.1:{port}",
            "--rate",
            "1000",
            "--burst",
            "1000",
            "--workers",
            str(WORKERS),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=str(_HERE.parent),
    )


async def _wait_up(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(200):
            try:
                await client.get("/openapi.json")
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
    raise RuntimeError("field API did not start")


def _cpu_s(pid: int) -> float | None:
    """Processor seconds used so far by process ``pid`` and its children (Linux ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    found = False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[1] is the parent's id, fields[11] and [12] user and system time in ticks
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / tick
            found = True
    return total if found else None


async def _measure(
    target: DatabaseTarget, base: str, tokens: list[str], units: list[int], api_pid: int
) -> None:
    db = Database(target, "bench-ws")
    services = Services.create(db)
    follower = ChangeFollower(db, after_id=await last_change_id(db))
    ctx = UiContext(services=services, actor=LEAD, bridge=ChangeBridge(follower))
    follower.start()
    model = UnitStatusTableModel(ctx)
    await model.wait_loaded()
    pending: dict[int, tuple[str, float]] = {}
    latencies: list[float] = []
    posts: list[float] = []

    def check(*_args: object) -> None:
        now = time.time()
        for unit in model.units():
            want = pending.get(unit.id)
            if want is not None and unit.status == want[0]:
                latencies.append((now - want[1]) * 1000)
                del pending[unit.id]

    model.dataChanged.connect(check)
    loop = asyncio.get_running_loop()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench._field_devices"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(_HERE.parent),
    )
    assert child.stdin is not None and child.stdout is not None
    spec = {"base": base, "devices": list(zip(tokens, units, strict=True)), "seconds": SECONDS}
    child.stdin.write(json.dumps(spec) + "\n")
    child.stdin.close()
    out = child.stdout

    def read_child() -> None:
        # The devices run in their own process; each line says what was sent when.
        for line in out:
            parts = line.split()
            if parts[0] == "post":
                loop.call_soon_threadsafe(posts.append, float(parts[1]))
            else:
                unit_id, status, sent = int(parts[0]), parts[1], float(parts[2])
                loop.call_soon_threadsafe(pending.__setitem__, unit_id, (status, sent))

    cpu_before = _cpu_s(api_pid)
    await asyncio.to_thread(read_child)
    child.wait()
    await asyncio.sleep(1.0)
    cpu_after = _cpu_s(api_pid)
    latencies.sort()
    posts.sort()
    print(f"field_api_workers: {WORKERS}")
    print(f"field_status_to_board_p50_ms: {statistics.median(latencies):.1f}")
    print(f"field_status_to_board_p99_ms: {latencies[int(len(latencies) * 0.99) - 1]:.1f}")
    print(f"field_status_samples: {len(latencies)} (unseen {len(pending)})")
    print(f"field_status_post_p50_ms: {statistics.median(posts):.1f}")
    print(f"field_status_post_p99_ms: {posts[int(len(posts) * 0.99) - 1]:.1f}")
    if cpu_before is not None and cpu_after is not None and posts:
        # What one status call costs the API's processes (also their background work).
        print(f"field_api_cpu_ms_per_status: {(cpu_after - cpu_before) * 1000 / len(posts):.1f}")
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        done = 0
        stop = time.perf_counter() + RPS_SECONDS

        async def caller(k: int) -> None:
            nonlocal done
            n = 0
            while time.perf_counter() < stop:
                i = (k * 13 + n) % len(tokens)
                n += 1
                answer = await client.post(
                    "/v1/positions",
                    json={"positions": [{"lat": 51.03 + n * 1e-5, "lon": 6.98}]},
                    headers={"Authorization": f"Bearer {tokens[i]}"},
                )
                if answer.status_code == 200:
                    done += 1

        started = time.perf_counter()
        await asyncio.gather(*(caller(k) for k in range(16)))
        print(f"field_api_rps: {done / (time.perf_counter() - started):.0f}")
    model.stop()
    await follower.stop()
    await db.dispose()


def main() -> None:
    """Run the benchmark."""
    QApplication.instance() or QApplication(sys.argv[:1])
    tag = uuid.uuid4().hex[:6]
    gateway = f"kod_bench_gw_{tag}"
    try:
        with temp_postgres() as target:
            owner = create_engine(target.sync_url, isolation_level="AUTOCOMMIT")
            with owner.connect() as conn:
                conn.execute(text(f"CREATE ROLE {gateway} LOGIN PASSWORD '{PASSWORD}'"))
                conn.execute(text(f"GRANT kod_field_gateway TO {gateway}"))
            api = None
            try:
                tokens, units = asyncio.run(_prepare(target, tag))
                port = 18470 + random.randint(0, 500)
                api = _start_api(target, gateway, port)
                base = f"http://127.0.0.1:{port}"
                eventloop.run(_wait_up(base))
                eventloop.run(_measure(target, base, tokens, units, api.pid))
            finally:
                if api is not None:
                    api.terminate()
                    api.wait(10)
                owner.dispose()
    finally:
        # Logins belong to the whole server: never leave them behind, also after a failure.
        _drop_roles([gateway, *(f"bf_{tag}_{i}" for i in range(DEVICES))])


def _drop_roles(roles: list[str]) -> None:
    admin = create_engine(
        make_url(PG_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        for role in roles:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    admin.dispose()


if __name__ == "__main__":
    main()
