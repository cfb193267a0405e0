"""Time to write PDFs through the print layer: prints ``table_pdf_pages_per_s`` and
``table_pdf_s`` (a table of ``KOD_BENCH_ROWS`` rows, 2,000 by default, with its header repeated
on every page), the figures the report printing of the shift and statistics reports builds on.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.pop(0)  # bench/queue.py must not shadow the standard library (see call_to_dispatch.py)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KOD_LANG", "de")

from bench._common import qt_application
from ui.i18n import install_translations
from ui.printing.document import PrintDocument
from ui.printing.render import Letterhead, write_pdf


def main() -> None:
    """Write the table once and print the figures."""
    app = qt_application()
    install_translations(app)
    rows = int(os.environ.get("KOD_BENCH_ROWS", "2000"))
    doc = PrintDocument("Einsatzliste", "einsatzliste").heading("Einsätze")
    doc.table(
        ["Nr.", "Zeit", "Kategorie", "Ort", "Ergebnis"],
        [
            (
                f"E-2026-{i:06d}",
                "05.12.2026, 14:05 Uhr",
                "Lärm",
                "Hauptstraße 5, Opladen",
                "erledigt",
            )
            for i in range(rows)
        ],
        (18, 22, 14, 30, 16),
    )
    with tempfile.TemporaryDirectory(prefix="kod-bench-") as folder:
        start = time.perf_counter()
        pages = write_pdf(
            doc, Letterhead("Stadt Leverkusen", "Kommunaler Ordnungsdienst"), Path(folder) / "t.pdf"
        )
        took = time.perf_counter() - start
    print(f"table_pdf_s: {took:.3f}")
    print(f"table_pdf_pages_per_s: {pages / took:.1f}")


if __name__ == "__main__":
    main()
