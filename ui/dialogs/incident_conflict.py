"""The conflict dialog: someone else changed an incident while it was being edited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.codes import category_label, outcome_label, priority_label, status_label
from app.domain.dto import IncidentDetail
from app.platform.timeutil import local
from app.services.incidents import field_label
from ui import theme

#: Fields the detail pane edits (a subset of ``app.domain.dto.EDITABLE_INCIDENT_FIELDS``).
DETAIL_FIELDS = ("category", "priority", "address", "caller_name", "caller_phone", "description")
#: Fields shown (not edited) when they changed: they explain what else happened.
CONTEXT_FIELDS = ("stadtteil", "status", "units", "outcome")

CONFLICT_COLOUR = theme.qcolor("conflict_both")
OTHER_COLOUR = theme.qcolor("conflict_other")


def normalized(field: str, value: Any) -> Any:
    """A value as the service stores it (stripped text, empty caller details are None)."""
    if field == "priority":
        return int(value) if value is not None else None
    if field == "units":
        return value
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return value


def field_value(detail: IncidentDetail, field: str) -> Any:
    """The value of ``field`` in ``detail`` (``units``: the call signs still assigned)."""
    if field == "units":
        return tuple(sorted(a.call_sign for a in detail.active_assignments))
    return getattr(detail, field)


def changed_fields(
    base: IncidentDetail, current: IncidentDetail, fields: tuple[str, ...] = DETAIL_FIELDS
) -> list[str]:
    """Fields whose value differs between two states of the same incident."""
    return [
        f
        for f in fields
        if normalized(f, field_value(base, f)) != normalized(f, field_value(current, f))
    ]


def display_value(field: str, value: Any) -> str:
    """A value as the user reads it (labels for codes, a dash for nothing)."""
    if field == "units":
        return ", ".join(value) if value else "–"
    if value is None or value == "":
        return "–"
    if field == "category":
        return category_label(str(value))
    if field == "priority":
        return priority_label(int(value))
    if field == "status":
        return status_label(str(value))
    if field == "outcome":
        return outcome_label(str(value))
    return str(value)


def context_label(field: str) -> str:
    """Label of a shown-only field."""
    labels = {
        "status": QCoreApplication.translate("ConflictDialog", "Status"),
        "units": QCoreApplication.translate("ConflictDialog", "Assigned units"),
        "outcome": QCoreApplication.translate("ConflictDialog", "Outcome"),
    }
    return labels.get(field) or field_label(field)


@dataclass(frozen=True)
class ConflictRow:
    """One line of the conflict table."""

    field: str
    label: str
    mine: str
    current: str
    edited_by_me: bool
    changed_by_other: bool

    @property
    def both(self) -> bool:
        """Both sides changed this field: re-applying replaces the other value."""
        return self.edited_by_me and self.changed_by_other


def conflict_rows(
    base: IncidentDetail, current: IncidentDetail, mine: Mapping[str, Any]
) -> list[ConflictRow]:
    """Every field someone else changed since ``base``, plus every field the user edited."""
    others = set(changed_fields(base, current, DETAIL_FIELDS + CONTEXT_FIELDS))
    rows = []
    for f in DETAIL_FIELDS + CONTEXT_FIELDS:
        edited = f in mine
        if not edited and f not in others:
            continue
        mine_value = mine[f] if edited else field_value(base, f)
        rows.append(
            ConflictRow(
                field=f,
                label=field_label(f) if f in DETAIL_FIELDS else context_label(f),
                mine=display_value(f, normalized(f, mine_value) if edited else mine_value),
                current=display_value(f, field_value(current, f)),
                edited_by_me=edited,
                changed_by_other=f in others,
            )
        )
    return rows


class ConflictDialog(QDialog):
    """Shows both sides of a conflict; the user reloads or re-applies (nothing is silent).

    Open it with :meth:`open` (not ``exec``) and listen to :attr:`reloadRequested` and
    :attr:`reapplyRequested`. Escape closes it without either: the user's input stays in the
    form and the next save asks again.
    """

    reloadRequested = Signal()
    reapplyRequested = Signal()

    COL_FIELD, COL_MINE, COL_CURRENT, COL_WHAT = range(4)

    def __init__(
        self,
        base: IncidentDetail,
        current: IncidentDetail,
        mine: Mapping[str, Any],
        action: str | None = None,
        reapply_text: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ConflictDialog")
        self.setWindowTitle(self.tr("Changed by someone else – %1").replace("%1", current.number))
        self.base = base
        self.current = current
        self.mine = dict(mine)
        self.rows = conflict_rows(base, current, mine)

        intro = QLabel(
            self.tr(
                "Incident %1 was changed on another workstation while you were working on it. "
                "Nothing was overwritten. Compare the values and choose how to go on."
            ).replace("%1", current.number),
            self,
        )
        intro.setWordWrap(True)
        intro.setObjectName("conflictIntro")

        self.table = QTableWidget(len(self.rows), 4, self)
        self.table.setObjectName("conflictTable")
        headers = [
            self.tr("Field"),
            self.tr("Your value"),
            self.tr("Current value (changed by someone else)"),
            self.tr("What happened"),
        ]
        # Long (German) headings wrap before their parenthesis instead of being cut off.
        self.table.setHorizontalHeaderLabels([h.replace(" (", "\n(", 1) for h in headers])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        bold = QFont()
        bold.setBold(True)
        for r, row in enumerate(self.rows):
            if row.both:
                what = self.tr("Changed by both – re-applying replaces the other value")
                colour: QColor | None = CONFLICT_COLOUR
            elif row.changed_by_other:
                what = self.tr("Changed by someone else – kept")
                colour = OTHER_COLOUR
            else:
                what = self.tr("Your change")
                colour = None
            cells = (row.label, row.mine, row.current, what)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if colour is not None:
                    item.setBackground(QBrush(colour))
                if c == self.COL_FIELD or (c == self.COL_MINE and row.edited_by_me):
                    item.setFont(bold)
                self.table.setItem(r, c, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(self.COL_FIELD, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.COL_MINE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(self.COL_CURRENT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(self.COL_WHAT, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(self.COL_WHAT, 260)
        self.table.resizeRowsToContents()
        rows_height = sum(self.table.rowHeight(r) for r in range(len(self.rows)))
        self.table.setMaximumHeight(
            self.table.horizontalHeader().sizeHint().height()
            + rows_height
            + 2 * self.table.frameWidth()
            + 2
        )

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        if action:
            self.action_label = QLabel(self.tr("You wanted to: %1").replace("%1", action), self)
            self.action_label.setObjectName("conflictAction")
            self.action_label.setWordWrap(True)
            self.action_label.setStyleSheet(theme.text_style(bold=True))
            layout.addWidget(self.action_label)
        layout.addWidget(self.table, 1)

        # The journal lines written since the user's version explain what happened.
        seen = {j.id for j in base.journal}
        news = [j for j in current.journal if j.id not in seen]
        self.journal = QPlainTextEdit(self)
        self.journal.setObjectName("conflictJournal")
        self.journal.setReadOnly(True)
        self.journal.setTabChangesFocus(True)
        self.journal.setPlainText(
            "\n".join(
                f"{local(j.created_at).strftime('%H:%M:%S')}  {j.username}:  "
                + j.text.replace("\n", "; ")
                for j in news
            )
        )
        line_height = self.journal.fontMetrics().lineSpacing()
        self.journal.setMaximumHeight(min(6, max(2, len(news))) * line_height + 14)
        if news:
            layout.addWidget(QLabel(self.tr("Journal entries since your version:"), self))
            layout.addWidget(self.journal)
        else:
            self.journal.hide()

        self.reload_button = QPushButton(self.tr("Reload (discard my changes)"), self)
        self.reload_button.setObjectName("conflictReload")
        self.reapply_button = QPushButton(reapply_text or self.tr("Re-apply my changes"), self)
        self.reapply_button.setObjectName("conflictReapply")
        self.reload_button.clicked.connect(self._reload)
        self.reapply_button.clicked.connect(self._reapply)
        for b in (self.reload_button, self.reapply_button):
            b.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.reload_button)
        buttons.addWidget(self.reapply_button)
        layout.addLayout(buttons)
        self.resize(860, self.sizeHint().height())
        self.reload_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def row(self, field: str) -> ConflictRow | None:
        """The table line of ``field`` (None if it is not listed)."""
        return next((r for r in self.rows if r.field == field), None)

    def _reload(self) -> None:
        self.accept()
        self.reloadRequested.emit()

    def _reapply(self) -> None:
        self.accept()
        self.reapplyRequested.emit()
