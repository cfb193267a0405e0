"""Why a form was refused, said where the problem is: under the field (or below the form),
with the cursor put into that field. The typed input always stays."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from ui import theme


def message_label(parent: QWidget, name: str, bold: bool = False) -> QLabel:
    """A hidden, wrapping, red message line."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(theme.error_style(bold))
    label.hide()
    return label


class FormMessages:
    """The inline messages of one form.

    Fields are registered by the name the service uses in ``ValidationError.field``; several
    names may lead to one widget (``lat`` and ``lon`` to the address). A field with a
    ``label`` of its own shows its message there, others in the ``general`` line.
    """

    def __init__(self, general: QLabel) -> None:
        self.general = general
        self.widgets: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}

    def add(self, names: str, widget: QWidget, label: QLabel | None = None) -> None:
        """Register ``widget`` (and its message ``label``) under each of the space-separated
        ``names``."""
        for name in names.split():
            self.widgets[name] = widget
            if label is not None:
                self.labels[name] = label

    def show(self, text: str, field: str | None = None) -> None:
        """Show ``text`` for ``field`` and put the cursor there."""
        label = self.labels.get(field or "", self.general)
        label.setText(text)
        label.show()
        widget = self.widgets.get(field or "")
        if widget is not None:
            widget.setFocus()

    def hide(self, field: str) -> None:
        """Hide the message of ``field`` (the user is fixing it)."""
        label = self.labels.get(field)
        if label is not None:
            label.hide()

    def clear(self) -> None:
        """Hide every message."""
        for label in {*self.labels.values(), self.general}:
            label.hide()
