"""Lays a :class:`PrintDocument` out on A4 pages with letterhead and footer, for PDF and printer.

Every page has the letterhead (logo, city, office, document title) at the top and "Seite x
von y" with the time of printing at the bottom; the body is a QTextDocument paginated to the
space between them, so tables repeat their header row on each page. The same painting serves
a :class:`QPdfWriter` and a :class:`QPrinter` (print dialog and preview).

:func:`write_pdf` uses no GUI-only resources (QImage, not QPixmap; no widgets), so it runs in
a worker thread: :func:`write_pdf_async` does that and the window stays responsive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QMarginsF,
    QRectF,
    QRunnable,
    QSizeF,
    Qt,
    QThreadPool,
    QUrl,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextDocument,
)
from PySide6.QtSvg import QSvgRenderer

from app.platform.errors import KodError
from app.platform.formatting import format_datetime
from app.platform.timeutil import utcnow
from ui.printing.document import PrintDocument, stylesheet
from ui.theme import PRINT

log = logging.getLogger(__name__)

#: Resolution of written PDFs (dots per inch): sharp text, small files.
PDF_DPI = 300
FONT_FAMILY = "DejaVu Sans"
BODY_PT = 10.0
# Page geometry in millimetres (A4: 210 × 297).
MARGIN_LEFT, MARGIN_RIGHT = 20.0, 15.0
HEADER_TOP, HEADER_HEIGHT = 12.0, 18.0
BODY_GAP = 6.0
FOOTER_HEIGHT = 12.0
LOGO_MAX_WIDTH = 30.0


@dataclass(frozen=True)
class Letterhead:
    """What the top of every page names (settings ``print.city_name``, ``print.office_name``,
    ``print.logo_path``)."""

    city_name: str
    office_name: str = ""
    logo_path: str = ""


def load_logo(path: str, height_px: int) -> QImage | None:
    """The logo scaled to ``height_px`` (SVG rendered at that size), or None if unreadable."""
    if not path:
        return None
    if path.lower().endswith(".svg"):
        renderer = QSvgRenderer(path)
        if not renderer.isValid():
            log.warning("logo %s cannot be read as SVG", path)
            return None
        size = renderer.defaultSize()
        width = max(1, round(height_px * size.width() / max(1, size.height())))
        image = QImage(width, height_px, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        return image
    image = QImage(path)
    if image.isNull():
        log.warning("logo %s cannot be read as an image", path)
        return None
    return image.scaledToHeight(height_px, Qt.TransformationMode.SmoothTransformation)


class _Pages:
    """Millimetre geometry of one device."""

    def __init__(self, device: QPagedPaintDevice) -> None:
        self.dpi = device.logicalDpiX()
        self.width = device.width()
        self.height = device.height()

    def mm(self, value: float) -> float:
        return value / 25.4 * self.dpi

    def body(self) -> QRectF:
        top = self.mm(HEADER_TOP + HEADER_HEIGHT + BODY_GAP)
        left = self.mm(MARGIN_LEFT)
        return QRectF(
            left,
            top,
            self.width - left - self.mm(MARGIN_RIGHT),
            self.height - top - self.mm(FOOTER_HEIGHT + BODY_GAP),
        )


def _font(pt: float, bold: bool = False) -> QFont:
    font = QFont(FONT_FAMILY)
    font.setPointSizeF(pt)
    font.setBold(bold)
    return font


def _layout(doc: PrintDocument, device: QPagedPaintDevice, body: QRectF) -> QTextDocument:
    text = QTextDocument()
    text.documentLayout().setPaintDevice(device)
    text.setDefaultFont(_font(BODY_PT))
    text.setDefaultStyleSheet(stylesheet())
    text.setDocumentMargin(0)
    text.setPageSize(QSizeF(body.width(), body.height()))
    for name, image in doc.images.items():
        text.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
    text.setHtml(doc.html())
    return text


def _letterhead(
    painter: QPainter, pages: _Pages, head: Letterhead, title: str, logo: QImage | None
) -> None:
    left, top = pages.mm(MARGIN_LEFT), pages.mm(HEADER_TOP)
    right = pages.width - pages.mm(MARGIN_RIGHT)
    height = pages.mm(HEADER_HEIGHT)
    x = left
    if logo is not None:
        width = min(logo.width(), pages.mm(LOGO_MAX_WIDTH))
        painter.drawImage(QRectF(left, top, width, height), logo)
        x = left + width + pages.mm(4)
    painter.setPen(QColor(PRINT.text))
    painter.setFont(_font(13, bold=True))
    half = height / 2
    flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    painter.drawText(QRectF(x, top, right - x, half), flags, head.city_name)
    painter.setFont(_font(9.5))
    painter.setPen(QColor(PRINT.muted))
    painter.drawText(QRectF(x, top + half, right - x, half), flags, head.office_name)
    painter.setFont(_font(9.5, bold=True))
    painter.drawText(
        QRectF(x, top + half, right - x, half),
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
        title,
    )
    painter.setPen(QPen(QColor(PRINT.rule), pages.mm(0.3)))
    line_y = top + height + pages.mm(2)
    painter.drawLine(int(left), int(line_y), int(right), int(line_y))


def _footer(painter: QPainter, pages: _Pages, page: int, count: int, printed: str) -> None:
    left, right = pages.mm(MARGIN_LEFT), pages.width - pages.mm(MARGIN_RIGHT)
    top = pages.height - pages.mm(FOOTER_HEIGHT)
    painter.setPen(QPen(QColor(PRINT.rule), pages.mm(0.3)))
    painter.drawLine(int(left), int(top), int(right), int(top))
    painter.setPen(QColor(PRINT.muted))
    painter.setFont(_font(8.5))
    box = QRectF(left, top + pages.mm(1), right - left, pages.mm(6))
    painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, printed)
    text = QCoreApplication.translate("Printing", "Page %1 of %2").replace("%1", str(page))
    painter.drawText(
        box,
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
        text.replace("%2", str(count)),
    )


def render(
    doc: PrintDocument,
    head: Letterhead,
    device: QPagedPaintDevice,
    printed_at: datetime | None = None,
) -> int:
    """Paint ``doc`` onto ``device`` (set up for A4 here); returns the number of pages."""
    device.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    device.setPageOrientation(QPageLayout.Orientation.Portrait)
    device.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
    pages = _Pages(device)
    body = pages.body()
    text = _layout(doc, device, body)
    count = text.pageCount()
    printed = QCoreApplication.translate("Printing", "Printed %1").replace(
        "%1", format_datetime(printed_at or utcnow())
    )
    logo = load_logo(head.logo_path, round(pages.mm(HEADER_HEIGHT)))
    painter = QPainter()
    if not painter.begin(device):
        raise KodError(
            QCoreApplication.translate("Printing", "The printer or the file cannot be written to.")
        )
    try:
        for index in range(count):
            if index:
                device.newPage()
            _letterhead(painter, pages, head, doc.title, logo)
            painter.save()
            painter.translate(body.left(), body.top() - index * body.height())
            text.drawContents(
                painter, QRectF(0, index * body.height(), body.width(), body.height())
            )
            painter.restore()
            _footer(painter, pages, index + 1, count, printed)
    finally:
        painter.end()
    return count


def write_pdf(
    doc: PrintDocument, head: Letterhead, path: Path, printed_at: datetime | None = None
) -> int:
    """Write ``doc`` as an A4 PDF to ``path``; returns the number of pages (any thread)."""
    writer = QPdfWriter(str(path))
    writer.setResolution(PDF_DPI)
    writer.setTitle(doc.title)
    writer.setCreator("KOD-Leitstelle")
    return render(doc, head, writer, printed_at)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__()
        self._work = work

    def run(self) -> None:
        self._work()


def _settle(future: asyncio.Future[int], result: int | None, error: BaseException | None) -> None:
    if future.done():  # the caller gave up waiting
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result or 0)


async def in_worker(work: Callable[[], int]) -> int:
    """Run ``work`` in one of Qt's pooled threads and await its result on the event loop.

    A pooled thread is a QThread: the text layout starts timers, which plain Python threads
    cannot. The result (or error) comes back to the loop's own thread.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[int] = loop.create_future()

    def run() -> None:
        try:
            result = work()
        except BaseException as exc:  # handed to the awaiting coroutine
            loop.call_soon_threadsafe(_settle, future, None, exc)
        else:
            loop.call_soon_threadsafe(_settle, future, result, None)

    QThreadPool.globalInstance().start(_Job(run))
    return await future


async def write_pdf_async(
    doc: PrintDocument, head: Letterhead, path: Path, printed_at: datetime | None = None
) -> int:
    """:func:`write_pdf` in a worker thread: the window goes on while the PDF is made."""
    return await in_worker(lambda: write_pdf(doc, head, path, printed_at))
