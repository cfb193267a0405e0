"""The statistics as tables: the same rows go into the printed document and the CSV files.

German number forms (decimal comma, times as ``m:ss``); CSV files use a semicolon between
fields and UTF-8 with a byte-order mark, as German spreadsheet programs expect.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from app.domain.codes import unit_status_display
from app.domain.periods import weekday_label
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.services.statistics import Durations, Statistics


@dataclass(frozen=True)
class StatTable:
    """One table of the statistics: a key for file names, a title, headers and rows."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def number(value: float, digits: int = 1) -> str:
    """``1.234,5`` (German grouping and decimal comma)."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def percent(share: float | None) -> str:
    """``12,5 %`` (– without a value)."""
    return "–" if share is None else f"{number(share * 100)} %"


def duration(seconds: float | None) -> str:
    """``m:ss`` below an hour, ``h:mm:ss`` above (– without a value)."""
    if seconds is None:
        return "–"
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _counts(key: str, title: str, first: str, rows: tuple[tuple[str, int], ...]) -> StatTable:
    count = tr("statistics", "Incidents")
    return StatTable(key, title, (first, count), tuple((k, str(n)) for k, n in rows))


def _times(label: str, d: Durations) -> tuple[str, str, str, str]:
    return (label, str(d.count), duration(d.median_s), duration(d.p90_s))


def key_figures(s: Statistics) -> StatTable:
    """The period's key figures in one table."""
    return StatTable(
        "kennzahlen",
        tr("statistics", "Key figures"),
        (tr("statistics", "Figure"), tr("statistics", "Value")),
        (
            (tr("statistics", "Incidents"), str(s.incidents)),
            (tr("statistics", "Dispatched incidents"), str(s.dispatched)),
            (tr("statistics", "Dispatched later than the target"), str(s.overdue)),
            (tr("statistics", "Share dispatched late"), percent(s.overdue_share)),
            (tr("statistics", "Joint patrols with the police"), str(s.joint_patrols)),
            (tr("statistics", "Assaults on staff"), str(s.assaults)),
            (tr("statistics", "Bodycam activations"), str(s.bodycam_activations)),
            (tr("statistics", "Bodycam holds"), str(s.bodycam_holds)),
            (tr("statistics", "Bodycam deletions"), str(s.bodycam_deletions)),
        ),
    )


def response_times(s: Statistics) -> StatTable:
    """Call-to-dispatch and dispatch-to-arrival: count, median, 90th percentile."""
    return StatTable(
        "zeiten",
        tr("statistics", "Response times"),
        (
            tr("statistics", "Interval"),
            tr("statistics", "Incidents"),
            tr("statistics", "Median"),
            tr("statistics", "90th percentile"),
        ),
        (
            _times(tr("statistics", "Call to dispatch"), s.call_to_dispatch),
            _times(tr("statistics", "Dispatch to arrival"), s.dispatch_to_arrival),
        ),
    )


def by_category(s: Statistics) -> StatTable:
    """Incidents by category."""
    return _counts(
        "kategorien",
        tr("statistics", "Incidents by category"),
        tr("statistics", "Category"),
        s.by_category,
    )


def by_stadtteil(s: Statistics) -> StatTable:
    """Incidents by Stadtteil."""
    return _counts(
        "stadtteile",
        tr("statistics", "Incidents by Stadtteil"),
        tr("statistics", "Stadtteil"),
        s.by_stadtteil,
    )


def by_weekday(s: Statistics) -> StatTable:
    """Incidents by weekday (Monday first)."""
    return _counts(
        "wochentage",
        tr("statistics", "Incidents by weekday"),
        tr("statistics", "Weekday"),
        tuple((weekday_label(d), n) for d, n in enumerate(s.by_weekday)),
    )


def by_hour(s: Statistics) -> StatTable:
    """Incidents by hour of day (local time)."""
    return _counts(
        "tageszeit",
        tr("statistics", "Incidents by hour of day"),
        tr("statistics", "Hour"),
        tuple((f"{h:02d}–{(h + 1) % 24:02d}", n) for h, n in enumerate(s.by_hour)),
    )


def unit_hours(s: Statistics) -> StatTable:
    """Unit hours by BOS status."""
    return StatTable(
        "einheitenstunden",
        tr("statistics", "Unit hours by status"),
        (tr("statistics", "Status"), tr("statistics", "Hours")),
        tuple((unit_status_display(code), number(h)) for code, h in s.unit_hours),
    )


def all_tables(s: Statistics) -> tuple[StatTable, ...]:
    """Every table of the statistics, in the order the document prints them."""
    return (
        key_figures(s),
        response_times(s),
        by_category(s),
        by_stadtteil(s),
        by_weekday(s),
        by_hour(s),
        unit_hours(s),
    )


def csv_text(table: StatTable) -> str:
    """One table as CSV text (semicolons)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows(table.rows)
    return out.getvalue()


def write_csv_files(s: Statistics, folder: Path) -> list[Path]:
    """Every table as ``Statistik-<period>-<table>.csv`` in ``folder``; returns the paths."""
    written: list[Path] = []
    for table in all_tables(s):
        path = folder / f"Statistik-{s.period.file_stem()}-{table.key}.csv"
        try:
            path.write_text(csv_text(table), encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise KodError(
                tr("statistics", "%1 cannot be written (%2).", str(path), exc.strerror or "")
            ) from exc
        written.append(path)
    return written
