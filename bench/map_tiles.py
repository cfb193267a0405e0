"""Reading offline map tiles: prints ``mbtiles_tile_read_p50_us`` and ``mbtiles_tile_read_p95_us``.

The map page's ``kodtiles:`` handler reads each tile on the GUI thread with one indexed lookup
in the MBTiles file (``app.domain.map_tiles.read_tile``); this measures that lookup on a file of
``KOD_BENCH_TILES`` tiles (default 50,000, about a city at zoom 10–17) of 20 KB each, asking for
random tiles the way a panning map does. A map view needs 20–40 tiles.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.domain.map_tiles import open_mbtiles, read_tile

ZOOM = 17
#: Tile columns and rows around Leverkusen at zoom 17.
X0, Y0 = 68090, 43840


def build(path: Path, count: int) -> list[tuple[int, int]]:
    side = int(count**0.5) + 1
    cells = [(X0 + i, Y0 + j) for i in range(side) for j in range(side)][:count]
    tile = b"\x89PNG\r\n\x1a\n" + os.urandom(20_000)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    conn.execute(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
        "tile_data BLOB)"
    )
    conn.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
    conn.executemany(
        "INSERT INTO tiles VALUES (?, ?, ?, ?)",
        ((ZOOM, x, (2**ZOOM - 1) - y, tile) for x, y in cells),
    )
    conn.commit()
    conn.close()
    return cells


def main() -> None:
    count = int(os.environ.get("KOD_BENCH_TILES", "50000"))
    with tempfile.TemporaryDirectory(prefix="kod-bench-") as folder:
        path = Path(folder) / "bench.mbtiles"
        cells = build(path, count)
        conn = open_mbtiles(path)
        rng = random.Random(7)
        times = []
        for _ in range(2000):
            x, y = rng.choice(cells)
            start = time.perf_counter()
            data = read_tile(conn, ZOOM, x, y)
            times.append((time.perf_counter() - start) * 1e6)
            assert data is not None
        conn.close()
    times.sort()
    print(f"mbtiles_tile_read_p50_us: {statistics.median(times):.0f}")
    print(f"mbtiles_tile_read_p95_us: {times[int(len(times) * 0.95)]:.0f}")


if __name__ == "__main__":
    main()
