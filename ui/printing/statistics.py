"""The statistics of a month or year on paper: key figures, response times, and a chart beside
each table (by category, Stadtteil, weekday, hour of day, unit hours by status). No personal
data: the figures come from :class:`~app.services.statistics.StatisticsService`, the tables
from :mod:`app.services.statistics_tables` (the CSV export writes the same rows).

The charts are drawn in the window's thread (:mod:`ui.printing.charts`); the pages are then
laid out and written by the print path's worker.
"""

from __future__ import annotations

from app.domain.codes import DISPATCH_OVERDUE_MIN
from app.platform.formatting import format_datetime
from app.platform.i18n import tr
from app.services.statistics import Statistics
from app.services.statistics_tables import (
    StatTable,
    by_category,
    by_hour,
    by_stadtteil,
    by_weekday,
    key_figures,
    response_times,
    unit_hours,
)
from ui.printing.charts import bar_chart
from ui.printing.document import PrintDocument


def _with_chart(
    doc: PrintDocument,
    table: StatTable,
    values: list[float],
    horizontal: bool,
    size: tuple[int, int] = (500, 320),
    new_page: bool = False,
    labels: list[str] | None = None,
) -> None:
    doc.heading(table.title, 2, new_page)
    if not table.rows:
        doc.paragraph(tr("statistics_print", "none"))
        return
    labels = labels or [row[0] for row in table.rows]
    doc.chart_beside(
        bar_chart(labels, values, horizontal, size), table.headers, table.rows, (70, 30)
    )


def statistics_document(s: Statistics) -> PrintDocument:
    """The printable statistics of ``s`` (call in the window's thread: it draws charts)."""
    doc = PrintDocument(
        tr("statistics_print", "Statistics"),
        tr("statistics_print", "Statistics-%1", s.period.file_stem()),
    )
    doc.heading(tr("statistics_print", "Statistics %1", s.period.label()))
    doc.paragraph(
        tr(
            "statistics_print",
            "Made %1. Counts and times only, without personal data.",
            format_datetime(s.made_at),
        ),
        small=True,
    )
    figures = key_figures(s)
    doc.heading(figures.title, 2)
    doc.table(figures.headers, figures.rows, (70, 30))
    times = response_times(s)
    doc.heading(times.title, 2)
    doc.table(times.headers, times.rows, (40, 20, 20, 20))
    _with_chart(doc, by_category(s), [n for _, n in s.by_category], True, (500, 360))
    # Fixed page breaks: the tables have at most 24 rows, so each section fits its page and
    # no heading is left at the foot of a page without its chart.
    _with_chart(doc, by_stadtteil(s), [n for _, n in s.by_stadtteil], True, (500, 360), True)
    _with_chart(doc, by_weekday(s), list(s.by_weekday), False)
    hour_labels = [str(h) for h in range(24)]
    _with_chart(doc, by_hour(s), list(s.by_hour), False, (500, 420), True, hour_labels)
    hours = unit_hours(s)
    _with_chart(doc, hours, [h for _, h in s.unit_hours], True, (500, 220))
    targets = ", ".join(
        tr("statistics_print", "priority %1: %2 min", p, m) for p, m in DISPATCH_OVERDUE_MIN.items()
    )
    doc.heading(tr("statistics_print", "How the figures are counted"), 2)
    doc.paragraph(
        tr(
            "statistics_print",
            "Incidents count in the period they were received in (Berlin time). Median and "
            "90th percentile by nearest rank. Late: dispatched after the target of its "
            "priority (%1). Unit hours: time each unit spent in each status within the "
            "period. Joint patrols: tasks naming the police. Bodycam: recordings started, "
            "holds placed and recordings deleted in the period.",
            targets,
        ),
        small=True,
    )
    return doc
