"""Inputs a role may not change look read-only and say why, instead of silently refusing."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from app.platform.i18n import tr
from app.platform.permissions import role_label
from app.platform.uow import Actor
from ui import theme


def read_only_reason(actor: Actor, what: str) -> str:
    """ "Read only: your role (Sachbearbeitung) may not <what>." – ``what`` already translated."""
    return tr("readonly", "Read only: your role (%1) may not %2.", role_label(actor.role), what)


def show_read_only(widget: QWidget, read_only: bool, reason: str = "") -> None:
    """Make an input read-only and look so (the theme's read-only background,
    by default that of the window), or editable again; the tooltip says why it cannot be changed.

    Text fields stay selectable (copying an address is fine); other inputs are disabled.
    """
    if isinstance(widget, QLineEdit | QPlainTextEdit | QTextEdit):
        widget.setReadOnly(read_only)
        palette = QApplication.palette(widget)
        if read_only:
            own = theme.color("read_only_field")  # "" : the window's background
            base = QColor(own) if own else palette.color(QPalette.ColorRole.Window)
            palette.setColor(QPalette.ColorRole.Base, base)
        widget.setPalette(palette)
    else:
        widget.setEnabled(not read_only)
    if not looks_read_only(widget):
        widget.setProperty("editableToolTip", widget.toolTip())
    widget.setProperty("readOnlyLook", read_only)
    widget.setToolTip(reason if read_only else str(widget.property("editableToolTip") or ""))


def looks_read_only(widget: QWidget) -> bool:
    """True if ``widget`` shows itself as read-only (tests and the enabling logic ask)."""
    return bool(widget.property("readOnlyLook"))
