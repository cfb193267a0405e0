"""Child of bench/field.py: the devices. Sends each device's status every 5 s (plain asyncio,
its own process) and prints ``unit_id status sent_at`` (wall clock) just before each POST."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time

import httpx

PERIOD_S = 5.0
STATUSES = ["1", "2", "6", "5"]


async def main(base: str, devices: list[tuple[str, int]], seconds: float) -> None:
    """Run every device until ``seconds`` are over."""
    end = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def device(i: int, token: str, unit: int) -> None:
            await asyncio.sleep(random.uniform(0, PERIOD_S))
            step = 0
            while time.monotonic() < end:
                status = STATUSES[(i + step) % len(STATUSES)]
                step += 1
                sent = time.time()
                print(f"{unit} {status} {sent:.6f}", flush=True)
                answer = await client.post(
                    "/v1/status",
                    json={"status": status},
                    headers={"Authorization": f"Bearer {token}"},
                )
                answer.raise_for_status()
                print(f"post {(time.time() - sent) * 1000:.3f}", flush=True)
                await asyncio.sleep(PERIOD_S)

        await asyncio.gather(*(device(i, t, u) for i, (t, u) in enumerate(devices)))


if __name__ == "__main__":
    spec = json.loads(sys.stdin.readline())
    asyncio.run(main(spec["base"], [tuple(d) for d in spec["devices"]], spec["seconds"]))
