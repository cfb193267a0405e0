"""The clip viewer's bookmarks: a list by position, and one line to write a note.

Setting a bookmark never opens a dialog over the video: the viewer pauses, the note line gets
the keyboard, Enter sets the bookmark (or saves the changed note), Esc leaves it.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.recording_marks import Bookmark
from ui import theme
from ui.models.recording_text import format_clip_time


class _NoteEdit(QLineEdit):
    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        super().keyPressEvent(event)


class BookmarkPanel(QWidget):
    """Bookmarks of the open recording."""

    #: Set a bookmark: position (ms), note.
    addRequested = Signal(int, str)
    #: Change a bookmark's note: bookmark id, note.
    editRequested = Signal(int, str)
    #: Remove a bookmark: its id.
    removeRequested = Signal(int)
    #: Go to a bookmark's position (ms).
    seekRequested = Signal(int)
    #: The note line was left with Esc (back to the video).
    done = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BookmarkPanel")
        title = QLabel(QCoreApplication.translate("BookmarkPanel", "Bookmarks"), self)
        title.setStyleSheet(theme.heading_style())
        self.list = QListWidget(self)
        self.list.setObjectName("bookmarkList")
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(self._activated)
        self.list.currentItemChanged.connect(lambda *_a: self._update_buttons())
        self.note = _NoteEdit(self)
        self.note.setObjectName("bookmarkNote")
        self.note.returnPressed.connect(self._submit)
        self.note.escaped.connect(self.cancel)
        self.edit_button = QPushButton(
            QCoreApplication.translate("BookmarkPanel", "Change note"), self
        )
        self.edit_button.setObjectName("bookmarkEdit")
        self.edit_button.clicked.connect(self._begin_edit)
        self.remove_button = QPushButton(
            QCoreApplication.translate("BookmarkPanel", "Remove"), self
        )
        self.remove_button.setObjectName("bookmarkRemove")
        self.remove_button.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.note)
        self._position = 0
        self._editing: int | None = None
        self.cancel()

    def set_bookmarks(self, marks: Sequence[Bookmark]) -> None:
        """Show ``marks`` (in playing order)."""
        self.list.clear()
        for mark in marks:
            item = QListWidgetItem(f"{format_clip_time(mark.position_ms)}  {mark.note}")
            item.setData(Qt.ItemDataRole.UserRole, mark.id)
            item.setData(Qt.ItemDataRole.UserRole + 1, mark.position_ms)
            item.setData(Qt.ItemDataRole.UserRole + 2, mark.note)
            item.setToolTip(mark.note)
            self.list.addItem(item)
        self._update_buttons()

    def begin_add(self, position_ms: int) -> None:
        """Write the note of a new bookmark at ``position_ms``."""
        self._position = position_ms
        self._editing = None
        self.note.clear()
        self.note.setPlaceholderText(
            QCoreApplication.translate(
                "BookmarkPanel", "Note for the bookmark at %1 – Enter sets it, Esc cancels"
            ).replace("%1", format_clip_time(position_ms))
        )
        self.note.setEnabled(True)
        self.note.setFocus()

    def _begin_edit(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        self._editing = int(item.data(Qt.ItemDataRole.UserRole))
        self.note.setText(str(item.data(Qt.ItemDataRole.UserRole + 2)))
        self.note.setPlaceholderText(
            QCoreApplication.translate(
                "BookmarkPanel", "Changed note – Enter saves it, Esc cancels"
            )
        )
        self.note.setEnabled(True)
        self.note.setFocus()
        self.note.selectAll()

    def cancel(self) -> None:
        """Leave the note line without setting anything."""
        self._editing = None
        self.note.clear()
        self.note.setPlaceholderText(
            QCoreApplication.translate("BookmarkPanel", "B sets a bookmark")
        )
        self.note.setEnabled(False)
        self.done.emit()

    def _submit(self) -> None:
        text = self.note.text().strip()
        if not text:
            return
        if self._editing is not None:
            self.editRequested.emit(self._editing, text)
        else:
            self.addRequested.emit(self._position, text)

    def accepted(self) -> None:
        """The bookmark was saved: clear the note line."""
        self.cancel()

    def _remove(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.removeRequested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def _activated(self, item: QListWidgetItem) -> None:
        self.seekRequested.emit(int(item.data(Qt.ItemDataRole.UserRole + 1)))

    def _update_buttons(self) -> None:
        has = self.list.currentItem() is not None
        self.edit_button.setEnabled(has)
        self.remove_button.setEnabled(has)
