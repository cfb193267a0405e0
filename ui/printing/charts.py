"""Bar charts of the statistics, drawn with pyqtgraph and exported as images for documents.

:func:`bar_chart` makes a chart as a QImage (pyqtgraph's ``ImageExporter``) for the printed
statistics; :func:`fill_plot` draws the same chart into a live ``PlotItem`` (the dashboard).
pyqtgraph's plots are widgets: charts are made in the window's thread (a few milliseconds
each); the pages are laid out and written in a worker afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6.QtGui import QColor, QFont, QImage

from ui.theme import PRINT

#: Pixels of an exported chart (printed about 8 cm wide, so sharp at 300 dpi).
EXPORT_WIDTH = 1000
#: Labels longer than this are cut in a chart (the table beside it has them in full).
MAX_LABEL = 22
#: Pixels for the labels of horizontal bars.
LABEL_WIDTH = 150


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def fill_plot(
    plot: pg.PlotItem,
    labels: Sequence[str],
    values: Sequence[float],
    horizontal: bool = False,
    colour: str = PRINT.chart_bar,
    text_colour: str = PRINT.text,
) -> None:
    """Draw ``values`` as bars labelled ``labels`` into ``plot`` (replacing what it showed).

    Horizontal bars list the first label at the top (for long category names).
    """
    plot.clear()
    plot.hideButtons()
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    count = len(values)
    positions = list(range(count))
    font = QFont("DejaVu Sans")
    font.setPointSizeF(8)
    pen = pg.mkPen(QColor(text_colour))
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setTextPen(pen)
        axis.setPen(pen)
        axis.setStyle(tickFont=font)
    # Every label of a bar is drawn (pyqtgraph leaves labels out once text fills most of the
    # axis); the value axis keeps pyqtgraph's spacing.
    labelled = plot.getAxis("left" if horizontal else "bottom")
    labelled.setStyle(textFillLimits=[(0, 1.0)], hideOverlappingLabels=False, maxTickLevel=1)
    plot.getAxis("bottom" if horizontal else "left").setStyle(maxTickLevel=0)
    brush = pg.mkBrush(QColor(colour))
    top = max([float(v) for v in values] + [1.0])
    if horizontal:
        ys = [count - 1 - p for p in positions]
        plot.addItem(pg.BarGraphItem(x0=0, y=ys, height=0.7, width=list(values), brush=brush))
        left = plot.getAxis("left")
        left.setTicks([[(y, _short(t)) for y, t in zip(ys, labels, strict=True)]])
        left.setWidth(LABEL_WIDTH)
        plot.getAxis("bottom").setTicks(None)
        plot.setXRange(0, top * 1.05, padding=0)
        plot.setYRange(-0.6, count - 0.4, padding=0)
    else:
        plot.addItem(pg.BarGraphItem(x=positions, height=list(values), width=0.7, brush=brush))
        ticks = [(p, _short(t)) for p, t in zip(positions, labels, strict=True)]
        plot.getAxis("bottom").setTicks([ticks])
        plot.getAxis("left").setTicks(None)
        plot.getAxis("left").setWidth(None)
        plot.setXRange(-0.6, count - 0.4, padding=0)
        plot.setYRange(0, top * 1.08, padding=0)
    plot.showGrid(x=horizontal, y=not horizontal, alpha=0.25)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    horizontal: bool = False,
    size: tuple[int, int] = (500, 300),
) -> QImage:
    """A bar chart as an image of :data:`EXPORT_WIDTH` pixels (white background)."""
    widget = pg.PlotWidget(background="w")
    try:
        widget.resize(*size)
        plot = widget.getPlotItem()
        plot.setGeometry(0, 0, size[0], size[1])
        widget.setSceneRect(0, 0, size[0], size[1])
        fill_plot(plot, labels, values, horizontal)
        # Lay out the axes now (a hidden widget would do it on a later turn of the loop).
        plot.layout.activate()
        exporter = ImageExporter(plot)
        exporter.parameters()["width"] = EXPORT_WIDTH
        image = exporter.export(toBytes=True)
        assert isinstance(image, QImage)
        return image
    finally:
        widget.deleteLater()
