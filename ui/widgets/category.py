"""Choosing an incident category: by a few typed letters (call-taking) or from a list with a
"none" entry (Aufträge, Meldungen). Long German labels are never cut in the list."""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from app.domain.codes import CATEGORIES, CATEGORY_BY_CODE
from ui.widgets.elide import fit_popup


def fold(text: str) -> str:
    """Lower case without accents: "Lärm" and "larm" compare equal (ß → ss)."""
    s = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def best_category(text: str, labels: dict[str, str]) -> str | None:
    """The category code whose label best matches the typed ``text``.

    Exact label first, then labels starting with the text, then labels containing it (in the
    order of ``labels``); case and umlauts do not matter. None if nothing matches.
    """
    key = fold(text.strip())
    if not key:
        return None
    folded = {code: fold(label) for code, label in labels.items()}
    for test in (
        lambda f: f == key,
        lambda f: f.startswith(key),
        lambda f: any(word.startswith(key) for word in f.replace("(", " ").split()),
        lambda f: key in f,
    ):
        for code, f in folded.items():
            if test(f):
                return code
    return None


def default_priority(code: str | None) -> int:
    """The priority a category presets (that of "other" for none or an unknown code)."""
    category = CATEGORY_BY_CODE.get(code or "other", CATEGORY_BY_CODE["other"])
    return category.default_priority


class TypeAheadCategoryCombo(QComboBox):
    """Editable: a few letters of the label ("lär" → Lärm) choose the category on Tab."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels = {c.code: c.label for c in sorted(CATEGORIES, key=lambda c: fold(c.label))}
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(len(self.labels))
        for code, label in self.labels.items():
            self.addItem(label, code)
        self.setCurrentIndex(-1)
        line = self.lineEdit()
        assert line is not None  # editable: it has its line edit
        line.setPlaceholderText(placeholder)
        completer = QCompleter(self.model(), self)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompleter(completer)
        line.editingFinished.connect(self.resolve)
        fit_popup(self)

    def code(self) -> str | None:
        """The chosen category (None while the text matches none)."""
        text = self.currentText().strip()
        index = self.currentIndex()
        if index >= 0 and self.itemText(index) == text:
            return str(self.itemData(index))
        return best_category(text, self.labels)

    def resolve(self) -> None:
        """Turn the typed letters into the best-matching category (Tab, Enter, saving)."""
        code = best_category(self.currentText(), self.labels)
        if code is None:
            return
        index = self.findData(code)
        if index != self.currentIndex():
            self.setCurrentIndex(index)
        else:
            self.setEditText(self.itemText(index))

    def clear_choice(self) -> None:
        """No category, empty text."""
        self.setCurrentIndex(-1)
        self.setEditText("")

    def close_popups(self) -> None:
        """Hide the completion list."""
        completer = self.completer()
        if completer is not None:
            completer.popup().hide()


class CategoryCombo(QComboBox):
    """Incident categories with a "none" entry; type-ahead by the label."""

    def __init__(self, none_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.addItem(none_text, None)
        for cat in sorted(CATEGORIES, key=lambda c: c.label):
            self.addItem(cat.label, cat.code)
        fit_popup(self)

    def code(self) -> str | None:
        """The chosen category code (None: no category)."""
        value = self.currentData()
        return str(value) if value else None

    def set_code(self, code: str | None) -> None:
        """Select ``code`` (the "none" entry if unknown)."""
        at = self.findData(code) if code else 0
        self.setCurrentIndex(max(at, 0))
