"""The Einsatztagebuch of the incident detail: every entry, and the field for a new note."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.domain.codes import JOURNAL_NOTE, JOURNAL_NOTE_AFTER_CLOSE, JOURNAL_NOTE_KINDS
from app.domain.dto import IncidentDetail, JournalLine
from app.platform.timeutil import local
from ui import theme


class JournalSection(QGroupBox):
    """The journal (oldest first, scrolled to the newest) and the note field (Ctrl+Enter)."""

    #: The user asked to add the note field's text (Ctrl+Enter or the button).
    noteRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Journal"))
        self.setObjectName("detailJournal")
        self.setMinimumWidth(340)  # multi-line journal text stays readable
        self._key: tuple[int, int, int] | None = None
        self._lines: tuple[JournalLine, ...] = ()
        self.journal_view = QTextBrowser(self)
        self.journal_view.setObjectName("journalView")
        self.journal_view.setOpenLinks(False)
        self.journal_view.setMinimumHeight(80)
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setObjectName("noteEdit")
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setFixedHeight(52)
        self.note_edit.installEventFilter(self)
        self.note_button = QPushButton(self.tr("Add note"), self)
        self.note_button.setObjectName("addNoteButton")
        self.note_button.setToolTip(self.tr("Add the note to the journal (Ctrl+Enter)"))
        self.note_button.clicked.connect(lambda: self.noteRequested.emit())
        self.set_closed(False)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_edit, 1)
        note_row.addWidget(self.note_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.journal_view, 1)
        layout.addLayout(note_row)

    def set_closed(self, closed: bool) -> None:
        """A note on a closed incident is a note after closing: say so before it is written."""
        if closed:
            self.note_edit.setPlaceholderText(
                self.tr("Note after closing – Ctrl+Enter adds it to the journal")
            )
        else:
            self.note_edit.setPlaceholderText(self.tr("Note for the journal – Ctrl+Enter adds it"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.note_edit
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.noteRequested.emit()
            return True
        return super().eventFilter(watched, event)

    def kind_label(self, kind: str) -> str:
        """Label of a journal entry's kind."""
        labels = {
            "created": self.tr("Opened"),
            "change": self.tr("Change"),
            JOURNAL_NOTE: self.tr("Note"),
            JOURNAL_NOTE_AFTER_CLOSE: self.tr("Note after closing"),
            "unit": self.tr("Unit"),
            "closed": self.tr("Closed"),
            "reopened": self.tr("Reopened"),
        }
        return labels.get(kind, kind)

    def lines(self) -> tuple[JournalLine, ...]:
        """The journal lines shown (oldest first)."""
        return self._lines

    def show_journal(self, d: IncidentDetail) -> None:
        """Show ``d``'s journal; stay at the end if the user was there (or it is a new one)."""
        self._lines = d.journal
        bar = self.journal_view.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        key = (d.id, len(d.journal), d.journal[-1].id if d.journal else 0)
        if self._key == key:
            return
        new_incident = self._key is None or self._key[0] != d.id
        self._key = key
        rows = []
        muted = theme.color("muted")
        for j in d.journal:
            # Two lines per entry – when, who, what; then the text over the full width – so the
            # text stays readable in a narrow pane.
            note = j.kind in JOURNAL_NOTE_KINDS
            style = f' style="background-color: {theme.color("journal_note")};"' if note else ""
            colour = theme.color("text" if note else "text_soft")
            text = html.escape(j.text).replace("\n", "<br/>")
            kind = "font-weight:bold;" if note else ""
            when = local(j.created_at).strftime("%d.%m. %H:%M:%S")
            rows.append(
                f'<tr{style}><td style="color:{muted}; padding-top:4px;">{when}&nbsp;&nbsp;'
                f"{html.escape(j.username)}&nbsp;&nbsp;"
                f'<span style="{kind}">{html.escape(self.kind_label(j.kind))}</span></td></tr>'
                f'<tr{style}><td style="color:{colour}; padding-left:14px; padding-bottom:4px;">'
                f"{text}</td></tr>"
            )
        self.journal_view.setHtml(
            '<table width="100%" cellspacing="0" cellpadding="2">' + "".join(rows) + "</table>"
        )
        if at_end or new_incident:
            # The document lays out lazily: scroll again once the new height is known.
            bar.setValue(bar.maximum())
            QTimer.singleShot(0, self.scroll_to_end)

    def scroll_to_end(self) -> None:
        """Show the newest journal lines."""
        bar = self.journal_view.verticalScrollBar()
        bar.setValue(bar.maximum())
