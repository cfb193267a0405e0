"""The benchmark scripts run (with small data) and print the figures their issues name."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPTS = {
    "demo_data.py": ({"KOD_BENCH_INCIDENTS": "300"}, ["demo_rows_per_s"]),
    "queue.py": ({"KOD_BENCH_INCIDENTS": "300"}, ["queue_open_s", "queue_filter_p95_ms"]),
    "propagation.py": (
        {"KOD_BENCH_CHANGES": "30"},
        ["propagation_p50_ms", "propagation_p99_ms", "catchup_1000_s"],
    ),
    "call_to_dispatch.py": ({}, ["keypresses_call_to_dispatch"]),
    "ingest.py": (
        {"KOD_BENCH_INGEST_MB": "8", "KOD_BENCH_OPENS": "3"},
        ["ingest_ratio", "ingest_mb_per_s", "first_frame_p95_ms"],
    ),
    "report.py": ({"KOD_BENCH_INCIDENTS": "500"}, ["report_month_s", "shift_report_s"]),
    "print_pdf.py": ({"KOD_BENCH_ROWS": "200"}, ["table_pdf_s", "table_pdf_pages_per_s"]),
    "startup.py": ({"KOD_BENCH_INCIDENTS": "300", "KOD_BENCH_RUNS": "1"}, ["cold_start_s"]),
    "map.py": (
        {
            "KOD_BENCH_UNITS": "40",
            "KOD_BENCH_SECONDS": "3",
            "KOD_BENCH_WARMUP_S": "3",
            "KOD_BENCH_IDLE_S": "1",
            "QTWEBENGINE_DISABLE_SANDBOX": "1",
        },
        ["map_stall_p95_ms", "map_tick_apply_p95_ms"],
    ),
    "field.py": (
        {"KOD_BENCH_DEVICES": "5", "KOD_BENCH_SECONDS": "6", "KOD_BENCH_RPS_SECONDS": "2"},
        ["field_status_to_board_p99_ms", "field_api_rps"],
    ),
    "map_tiles.py": (
        {"KOD_BENCH_TILES": "2000"},
        ["mbtiles_tile_read_p50_us", "mbtiles_tile_read_p95_us"],
    ),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_benchmark_prints_its_figures(script: str) -> None:
    env_extra, names = SCRIPTS[script]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **env_extra}
    # Run from another folder, as a script: no help from the test's own import path.
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script)],
        cwd=ROOT.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = dict(re.findall(r"^(\w+): ([-\d.]+)$", result.stdout, re.MULTILINE))
    for name in names:
        assert name in figures, (name, result.stdout)
        assert float(figures[name]) >= 0
    if script == "map.py":
        # The page applied updates with moving units while the probe ran.
        assert int(figures["map_ticks"]) >= 1 and float(figures["map_units_per_tick"]) > 0
    if script == "call_to_dispatch.py":
        assert int(figures["keypresses_call_to_dispatch"]) <= 15
