"""``kod-field-api --workers N``: several processes serving the devices on the shared PostgreSQL.

Run as the service runs: the real command, in its own process group, on a loopback port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from tests.field_setup import gateway_target, officer_with_device

PYTHON = sys.executable
LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD)
ROOT = Path(__file__).resolve().parent.parent


def _field_api(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "fieldapi.main", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "KOD_LANG": "de"},
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_several_processes_need_postgresql_and_a_sensible_number(tmp_path: Path) -> None:
    sqlite = f"sqlite:///{tmp_path / 'kod.sqlite'}"
    refused = _field_api("--database", sqlite, "--workers", "2")
    assert refused.returncode != 0
    assert "Mehrere Prozesse (--workers) brauchen die gemeinsame PostgreSQL-Datenbank" in (
        refused.stderr
    )
    for wrong in ("0", "zwei", "99"):
        answer = _field_api("--database", sqlite, "--workers", wrong)
        assert answer.returncode != 0
        assert "--workers braucht eine ganze Zahl von 1 bis 32." in answer.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workers(pid: int) -> list[int]:
    """The worker processes of the service ``pid`` (not multiprocessing's resource tracker)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in command:
                found.append(int(child))
    return found


@contextmanager
def _serving(url: str, port: int, workers: int) -> Iterator[subprocess.Popen[bytes]]:
    command = [PYTHON, "-m", "fieldapi.main", "--database", url, "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--rate", "1000", "--burst", "1000"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "the field API ended at its start"
            assert time.monotonic() < deadline, "the field API did not start"
            time.sleep(0.2)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.asyncio
async def test_two_processes_serve_the_devices_and_reset_the_links_once(
    pg_target: DatabaseTarget,
) -> None:
    db = Database(pg_target, "test-ws")
    services = Services.create(db)
    try:
        setup = await officer_with_device(services)
        owner = create_engine(pg_target.sync_url)
        with owner.begin() as conn:
            # Left "connected" by a process that ended without saying so.
            conn.execute(text("UPDATE field_device SET connected = true"))
        url = gateway_target(pg_target).command_line_url
        port = _free_port()
        with _serving(url, port, workers=2) as process:
            assert len(_workers(process.pid)) == 2
            with owner.connect() as conn:
                connected = conn.execute(text("SELECT bool_or(connected) FROM field_device"))
                assert connected.scalar() is False  # reset once, by the parent
            auth = {"Authorization": f"Bearer {setup.token}"}
            # A new connection each time: the kernel hands them to either process.
            for status in ("3", "4", "1", "2", "6", "1"):
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/v1/status", json={"status": status}, headers=auth
                )
                assert answer.status_code == 200, answer.text
                assert answer.json()["status"] == status
        board = {u.id: u.status for u in await services.units.board(LEAD)}
        assert board[setup.unit_id] == "1"
        history = [h.status for h in await services.units.history(LEAD, setup.unit_id)]
        assert history[:6] == ["1", "6", "2", "1", "4", "3"]
        owner.dispose()
    finally:
        await db.dispose()
