"""A printable document as simple HTML: headings, paragraphs, label/value fields, tables.

Documents are built with :class:`PrintDocument` and rendered by :mod:`ui.printing.render`
(QTextDocument, so only the HTML subset Qt understands is used). Every text is escaped here;
callers pass plain text. A table's header row is a ``<thead>``: Qt repeats it on every page the
table runs onto.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from PySide6.QtGui import QImage

from ui.theme import PRINT

#: A space inside a legal citation ("§ 56 Abs. 2 OWiG"): no line break there.
_CITATION_SPACE = re.compile(
    r"(?<=§) |(?<=Abs\.) |(?<=Satz) |(?<=Nr\.) "
    r"|(?<=\d) (?=(?:Abs\.|Satz|Nr\.|[A-Z][A-Za-z]{1,5}\b))"
)


def _esc(text: str) -> str:
    return _CITATION_SPACE.sub("\u00a0", html.escape(text)).replace("\n", "<br>")


def stylesheet() -> str:
    """The document's CSS (Qt's rich-text subset)."""
    c = PRINT
    return (
        f"body {{ color: {c.text}; }}"
        # Qt takes margins in pixels (of a 96 dpi screen, scaled to the printer), fonts in points.
        "h1 { font-size: 14pt; font-weight: bold; margin-top: 0; margin-bottom: 12px; }"
        "h2 { font-size: 11pt; font-weight: bold; margin-top: 14px; margin-bottom: 4px; }"
        "p { margin-top: 0; margin-bottom: 8px; }"
        f"p.small {{ font-size: 8.5pt; color: {c.muted}; }}"
        "td.label { font-weight: bold; padding-right: 12px; }"
        "table.data { border-collapse: collapse; }"
        f"table.data td {{ border-bottom: 1px solid {c.table_border}; }}"
        f"table.data th {{ border-bottom: 1px solid {c.text}; }}"
        "table.fields { margin-bottom: 10px; }"
        f"table.data th {{ background-color: {c.table_head}; font-weight: bold; text-align: left; }}"
        "td.sign { padding-top: 48px; }"
    )


def _row_html(row: Sequence[str], columns: int) -> str:
    """A body row; a short row ("none") spans the remaining columns with its last cell."""
    cells = [f"<td>{_esc(str(v))}</td>" for v in row]
    if cells and len(row) < columns:
        cells[-1] = f'<td colspan="{columns - len(row) + 1}">{_esc(str(row[-1]))}</td>'
    return "<tr>" + "".join(cells) + "</tr>"


def _table_html(
    headers: Sequence[str], rows: Iterable[Sequence[str]], widths: Sequence[int]
) -> str:
    width = [f' width="{w}%"' for w in widths] or [""] * len(headers)
    head = "".join(f"<th{w}>{_esc(h)}</th>" for h, w in zip(headers, width, strict=False))
    body = "".join(_row_html(row, len(headers)) for row in rows)
    return (
        '<table class="data" width="100%" cellspacing="0" cellpadding="3">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


@dataclass
class PrintDocument:
    """A document to print or save as PDF."""

    #: Shown in the letterhead and as the PDF's title.
    title: str
    #: A file name without suffix to offer when saving (e.g. ``Bescheinigung-OWi-2026-000001``).
    file_stem: str
    parts: list[str] = field(default_factory=list)
    #: Images the HTML names (charts), handed to the text layout as resources.
    images: dict[str, QImage] = field(default_factory=dict)

    def heading(self, text: str, level: int = 1, new_page: bool = False) -> PrintDocument:
        """A heading (level 1: the document's own, 2: a section), on a new page if asked."""
        tag = "h1" if level <= 1 else "h2"
        style = ' style="page-break-before: always;"' if new_page else ""
        self.parts.append(f"<{tag}{style}>{_esc(text)}</{tag}>")
        return self

    def paragraph(self, text: str, small: bool = False, bold: bool = False) -> PrintDocument:
        """A paragraph of plain text (line breaks kept)."""
        body = f"<b>{_esc(text)}</b>" if bold else _esc(text)
        self.parts.append(f'<p class="small">{body}</p>' if small else f"<p>{body}</p>")
        return self

    def address(self, lines: Sequence[str]) -> PrintDocument:
        """An address block (a letter's recipient), with room below it."""
        text = "<br>".join(_esc(line) for line in lines if line)
        self.parts.append(f'<p style="margin-bottom: 36px;">{text}</p>')
        return self

    def fields(self, rows: Iterable[tuple[str, str]]) -> PrintDocument:
        """Label/value lines aligned in two columns; rows with an empty value are left out."""
        cells = "".join(
            f'<tr><td class="label" width="32%">{_esc(label)}</td><td>{_esc(value)}</td></tr>'
            for label, value in rows
            if value
        )
        self.parts.append(
            f'<table class="fields" width="100%" cellspacing="0" cellpadding="2">{cells}</table>'
        )
        return self

    def table(
        self, headers: Sequence[str], rows: Iterable[Sequence[str]], widths: Sequence[int] = ()
    ) -> PrintDocument:
        """A data table; its header row repeats on every page it runs onto.

        ``widths`` are column widths in percent (optional).
        """
        self.parts.append(_table_html(headers, rows, widths))
        return self

    def chart_beside(
        self,
        image: QImage,
        headers: Sequence[str],
        rows: Iterable[Sequence[str]],
        widths: Sequence[int] = (),
        chart_px: int = 330,
    ) -> PrintDocument:
        """A chart on the left, its table on the right (``chart_px``: width in 96-dpi pixels)."""
        name = f"chart-{len(self.images) + 1}"
        self.images[name] = image
        height = round(chart_px * image.height() / max(1, image.width()))
        self.parts.append(
            '<table width="100%" cellspacing="0" cellpadding="0"><tr>'
            f'<td width="55%" valign="top"><img src="{name}" width="{chart_px}" '
            f'height="{height}"></td>'
            f'<td width="45%" valign="top">{_table_html(headers, rows, widths)}</td>'
            "</tr></table>"
        )
        return self

    def signatures(self, labels: Sequence[str]) -> PrintDocument:
        """Lines to sign on, side by side, each labelled below."""
        cells = "".join(
            f'<td class="sign" width="{100 // max(1, len(labels))}%">'
            f"________________________________<br>{_esc(label)}</td>"
            for label in labels
        )
        self.parts.append(f'<table width="100%" cellspacing="0"><tr>{cells}</tr></table>')
        return self

    def html(self) -> str:
        """The whole body as HTML."""
        return "<html><body>" + "".join(self.parts) + "</body></html>"
