"""The dashboard: the statistics' key figures and charts for today and this week, live, for the
shift lead's second screen (View → Dashboard, Ctrl+0). No personal data, as the statistics.

It follows the change feed as the other panes do: a change of an incident, unit, task or the
demo data only marks the figures dirty; a timer reads them again at most every
:data:`REFRESH_MS` (two small aggregate reads, never one per change). Reading again each minute
also moves it to the next day on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.domain.changes import ChangeSet, Entity
from app.domain.periods import day_of, week_of
from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.permissions import Permission
from app.platform.timeutil import format_local, utcnow
from app.services.statistics import Statistics
from app.services.statistics_tables import duration, percent
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.models.live_loader import alive
from ui.printing.charts import fill_plot

if TYPE_CHECKING:
    from ui.main_window import MainWindow

#: Shortest time between two reads of the figures (milliseconds).
REFRESH_MS = 2000
#: Read again at least this often (the day changes, times pass).
IDLE_MS = 60_000
_WATCHED = (Entity.INCIDENT, Entity.UNIT, Entity.TASK)


#: Rows of the key figures: label and how to read it from the statistics.
FIGURES = (
    ("incidents", N_("DashboardPane", "Incidents")),
    ("call_to_dispatch", N_("DashboardPane", "Call to dispatch (median)")),
    ("dispatch_to_arrival", N_("DashboardPane", "Dispatch to arrival (median)")),
    ("late", N_("DashboardPane", "Dispatched late")),
    ("assaults", N_("DashboardPane", "Assaults on staff")),
    ("joint", N_("DashboardPane", "Joint patrols with the police")),
    ("bodycam", N_("DashboardPane", "Bodycam activations")),
)


def figure(stats: Statistics, key: str) -> str:
    """The text of one key figure."""
    if key == "incidents":
        return str(stats.incidents)
    if key == "call_to_dispatch":
        return duration(stats.call_to_dispatch.median_s)
    if key == "dispatch_to_arrival":
        return duration(stats.dispatch_to_arrival.median_s)
    if key == "late":
        return percent(stats.overdue_share)
    if key == "assaults":
        return str(stats.assaults)
    if key == "joint":
        return str(stats.joint_patrols)
    return str(stats.bodycam_activations)


def _chart(title: str) -> tuple[pg.PlotWidget, QLabel]:
    widget = pg.PlotWidget(background=theme.color("chart_background"))
    widget.setMinimumHeight(160)
    label = QLabel(title)
    label.setStyleSheet("font-weight: bold;")
    return widget, label


class DashboardPane(QWidget):
    """Key figures of today and this week, incidents by hour today and by category this week."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DashboardPane")
        self._ctx = ctx
        self._dirty = True
        self._reading = False
        #: The figures shown: today's and this week's (None before the first read).
        self.today: Statistics | None = None
        self.week: Statistics | None = None
        #: Reads done (for tests: a change leads to one more).
        self.reads = 0
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        self.today_title = QLabel(self.tr("Today"))
        self.week_title = QLabel(self.tr("This week"))
        for col, title in ((1, self.today_title), (2, self.week_title)):
            title.setStyleSheet("font-weight: bold;")
            grid.addWidget(title, 0, col, Qt.AlignmentFlag.AlignRight)
        self.values: dict[tuple[str, str], QLabel] = {}
        for row, (key, label) in enumerate(FIGURES, start=1):
            grid.addWidget(QLabel(QCoreApplication.translate("DashboardPane", label)), row, 0)
            for col, which in ((1, "today"), (2, "week")):
                value = QLabel("–")
                value.setObjectName(f"dash_{which}_{key}")
                value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                value.setStyleSheet("font-size: 14pt; font-weight: bold;")
                grid.addWidget(value, row, col)
                self.values[(which, key)] = value
        grid.setColumnStretch(0, 1)
        self.hours, hours_title = _chart(self.tr("Incidents today by hour"))
        self.categories, categories_title = _chart(self.tr("Incidents this week by category"))
        self.categories.setMinimumHeight(240)
        self.updated = QLabel()
        self.updated.setObjectName("dashUpdated")
        self.updated.setStyleSheet(theme.text_style("muted"))
        # In a scroll area: a small dock (a tab behind the queue) keeps its neighbours' sizes.
        inner = QWidget()
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        layout = QVBoxLayout(inner)
        layout.addLayout(grid)
        layout.addWidget(hours_title)
        layout.addWidget(self.hours, 1)
        layout.addWidget(categories_title)
        layout.addWidget(self.categories, 2)
        layout.addWidget(self.updated)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        self._idle = QTimer(self)
        self._idle.setInterval(IDLE_MS)
        self._idle.timeout.connect(self.mark_dirty)
        ctx.bridge.changes.connect(self.on_changes)

    def start(self) -> None:
        """Read the figures now and follow the changes from here on."""
        self._timer.start()
        self._idle.start()
        self._tick()

    def on_changes(self, changes: ChangeSet) -> None:
        """Mark the figures dirty if something they count changed."""
        if changes.reload or any(changes.ids(e) for e in _WATCHED):
            self.mark_dirty()

    def mark_dirty(self) -> None:
        """Read the figures again on the next tick."""
        self._dirty = True

    def _tick(self) -> None:
        if self._dirty and not self._reading:
            self._dirty = False
            self._reading = True
            spawn(self._read())

    async def _read(self) -> None:
        try:
            now = utcnow()
            service = self._ctx.services.statistics
            actor = self._ctx.actor
            today = await service.build(actor, day_of(now), audit=False)
            week = await service.build(actor, week_of(now), audit=False)
        finally:
            self._reading = False
        if not alive(self):
            return
        self.show_figures(today, week)

    def show_figures(self, today: Statistics, week: Statistics) -> None:
        """Show ``today``'s and ``week``'s figures and charts."""
        self.today, self.week = today, week
        self.reads += 1
        self.today_title.setText(self.tr("Today (%1)").replace("%1", today.period.label()))
        self.week_title.setText(self.tr("Week (%1)").replace("%1", week.period.label()))
        for key, _label in FIGURES:
            self.values[("today", key)].setText(figure(today, key))
            self.values[("week", key)].setText(figure(week, key))
        bar, text = theme.color("chart_bar"), theme.color("text")
        fill_plot(
            self.hours.getPlotItem(),
            [str(h) for h in range(24)],
            list(today.by_hour),
            False,
            bar,
            text,
        )
        fill_plot(
            self.categories.getPlotItem(),
            [label for label, _ in week.by_category],
            [n for _, n in week.by_category],
            True,
            bar,
            text,
        )
        self.updated.setText(
            self.tr("As of %1, updated live").replace("%1", format_local(today.made_at, True))
        )


def install(window: MainWindow) -> DashboardPane | None:
    """Add the dashboard for roles that may see statistics: a tab behind the unit board (or
    the audit log, or the queue), ready to be dragged onto a second screen; its place is saved
    with the layout."""
    ctx = window.ctx
    if not ctx.can(Permission.STATISTICS):
        return None
    pane = DashboardPane(ctx, window)
    dock = window.add_pane(
        "dashboard",
        QCoreApplication.translate("DashboardPane", "Dashboard"),
        pane,
        Qt.DockWidgetArea.RightDockWidgetArea,
    )
    # Behind the pane in front of its group, which stays in front.
    for key in ("units", "audit", "queue"):
        other = window.docks.get(key)
        if other is not None and other is not dock and not other.isHidden():
            window.tabifyDockWidget(other, dock)
            other.raise_()
            break
    window.navigator.add_pane("dashboard", pane.setFocus)
    window.commands.bind("go.dashboard", lambda: window.navigator.go_to("dashboard"))
    window.when_started(pane.start)
    return pane
