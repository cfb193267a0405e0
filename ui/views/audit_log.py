"""The audit viewer for data protection and administration.

Data protection (``audit.read``) filters and reads the records, sees each one's details, exports
CSV and checks the chain; administration (``audit.verify`` only) checks the chain and sees the
newest hash but no records. Everything is read through the services (and on PostgreSQL the
server's rights); nothing here can change the log. Keyboard: Enter applies the filter, Esc
clears it, F5 reloads, Ctrl+Shift+P checks the chain, Ctrl+Shift+E exports, Ctrl+6 comes here.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex, QStandardPaths, Qt
from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.platform.errors import KodError
from app.platform.i18n import count_text, format_count
from app.platform.permissions import Permission, role_label
from app.platform.timeutil import format_local, today, utcnow
from app.services.audit_labels import action_label
from app.services.audit_log import AuditEntry, AuditQuery
from ui import theme
from ui.asyncutil import spawn
from ui.commands import pane_action
from ui.context import UiContext
from ui.models.audit_log import (
    COL_ACTION,
    COL_ID,
    COL_OBJECT,
    COL_PERSON,
    COL_TIME,
    COL_WORKSTATION,
    COUNT_LIMIT,
    AuditLogTableModel,
    EntryRole,
    object_text,
)
from ui.models.work_table import alive
from ui.views.audit_chain import ChainCheckPanel
from ui.views.audit_filter import AuditFilterBar
from ui.views.work_table_view import WorkTableView, current_item, keep_selection, select_row

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def pretty_details(details: str) -> str:
    """The record's details (JSON) indented, umlauts as they are; other text unchanged."""
    try:
        value = json.loads(details)
    except ValueError:
        return details
    if value in ({}, [], None):
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


class AuditDetailView(QTextBrowser):
    """Everything about the selected record, readable: who, when, what, object, reason, …"""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditDetail")
        self.setOpenLinks(False)
        self.setPlaceholderText(self.tr("Select an entry to see everything it records."))
        self.entry: AuditEntry | None = None

    def show_entry(self, entry: AuditEntry | None) -> None:
        """Show ``entry`` (None: nothing selected)."""
        self.entry = entry
        if entry is None:
            self.clear()
            return
        none = "–"
        rows = [
            (self.tr("Who"), entry.username),
            (self.tr("When"), format_local(entry.occurred_at, with_seconds=True)),
            (self.tr("What"), f"{action_label(entry.action)} ({entry.action})"),
            (self.tr("Object"), object_text(entry) or none),
            (self.tr("Reason"), entry.reason or none),
            (self.tr("Recipient"), entry.recipient or none),
            (self.tr("Workstation"), entry.workstation or none),
        ]
        title = self.tr("Entry %1").replace("%1", str(entry.id))
        # Two columns: the fields left, the details right (readable in a low pane).
        parts = ["<table width='100%' cellspacing='0' cellpadding='0'><tr>"]
        parts.append(f"<td width='45%' valign='top'><p><b>{html.escape(title)}</b>")
        if entry.refused:
            refused = self.tr("Refused attempt")
            parts.append(
                " &nbsp;" + theme.html_text("error", f"✖ {html.escape(refused)}", bold=True)
            )
        parts.append("</p><table cellspacing='0' cellpadding='2'>")
        for label, value in rows:
            parts.append(
                f"<tr><td style='padding-right:12px'><b>{html.escape(label)}</b></td>"
                f"<td>{html.escape(value)}</td></tr>"
            )
        parts.append("</table></td><td width='55%' valign='top'>")
        details = pretty_details(entry.details)
        parts.append(f"<p><b>{html.escape(self.tr('Details'))}</b></p>")
        if details:
            mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
            parts.append(
                f"<pre style='font-family:\"{html.escape(mono)}\"'>{html.escape(details)}</pre>"
            )
        else:
            parts.append(f"<p>{none}</p>")
        parts.append("</td></tr></table>")
        self.setHtml("".join(parts))


class AuditLogPane(QWidget):
    """Filter, table, details, export and chain check of the audit log (read-only)."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AuditLogPane")
        self.ctx = ctx
        self.can_read = ctx.can(Permission.AUDIT_READ)
        self.can_verify = ctx.can(Permission.AUDIT_VERIFY)
        #: The open export file dialog (tests drive it).
        self.export_dialog: QFileDialog | None = None
        self._export_dir: Path | None = None
        self._exporting = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.filter = AuditFilterBar(self)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("auditCount")
        self.status = QLabel(self)
        self.status.setObjectName("auditStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model = AuditLogTableModel(ctx.services.audit_log, ctx.actor, self)
        self.table = WorkTableView(COL_ACTION, 240, self)
        self.table.setObjectName("auditTable")
        self.table.setModel(self.model)
        self.detail = AuditDetailView(self)
        self.notice = QLabel(self)
        self.notice.setObjectName("auditNotice")
        self.notice.setWordWrap(True)
        self.chain = ChainCheckPanel(ctx, self)
        self.export_button = QPushButton(self.tr("Export CSV …"), self)
        self.export_button.setObjectName("auditExport")
        self.reload_button = QPushButton(self.tr("Reload"), self)
        self.reload_button.setObjectName("auditReload")
        self.hint = QLabel(self)
        self.hint.setObjectName("auditHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(theme.hint_style())

        if self.can_read:
            layout.addWidget(self.filter)
            counts = QHBoxLayout()
            counts.addWidget(self.count_label)
            counts.addWidget(self.status, 1)
            layout.addLayout(counts)
            split = QSplitter(Qt.Orientation.Vertical, self)
            split.setObjectName("auditSplit")
            split.addWidget(self.table)
            split.addWidget(self.detail)
            split.setStretchFactor(0, 3)
            split.setStretchFactor(1, 2)
            split.setChildrenCollapsible(False)
            layout.addWidget(split, 1)
        else:
            self.notice.setText(
                self.tr(
                    "Your role (%1) may check the audit log's integrity and see its newest "
                    "hash, but not read its entries: the entries are for data protection only."
                ).replace("%1", role_label(ctx.actor.role))
            )
            layout.addWidget(self.notice)
            layout.addWidget(self.status)
            for widget in (self.filter, self.count_label, self.table, self.detail):
                widget.hide()
        if self.can_verify:
            layout.addWidget(self.chain)
        else:
            self.chain.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.reload_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)
        if not self.can_read:
            self.export_button.hide()
            layout.addStretch(1)

        # Wide enough for a refused attempt's bold text too.
        bold = QFont(self.table.font())
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        for col, sample, minimum in (
            (COL_ID, "0000000", 60),
            (COL_TIME, "00.00.0000 00:00:00", 140),
            (COL_PERSON, "sachbearbeitung", 120),
            (COL_OBJECT, "Einsatz 0000000", 150),
            (COL_WORKSTATION, "LST-PLATZ-00", 110),
        ):
            self.table.setColumnWidth(col, max(minimum, metrics.horizontalAdvance(sample) + 16))

        self.verify_action = pane_action("audit.verify", self, self.chain.verify)
        self.export_action = pane_action("audit.export", self, self.export_csv)
        self.copy_action = pane_action("audit.copy_head", self, self.chain.copy_head)
        self.verify_action.setEnabled(self.can_verify)
        self.copy_action.setEnabled(self.can_verify)
        self.export_action.setEnabled(self.can_read)
        self.chain.verify_button.setToolTip(self.tr("Check the whole chain (Ctrl+Shift+P)"))
        self.export_button.setToolTip(
            self.tr("Save the entries shown as a CSV file (Ctrl+Shift+E)")
        )
        self.reload_button.setToolTip(self.tr("Read the log again (F5)"))
        self.hint.setText(
            self.tr(
                "Enter applies the filter · Esc clears it · F5 reloads · Ctrl+Shift+P checks "
                "the chain · Ctrl+Shift+E exports · Ctrl+Shift+C copies the newest hash"
            )
            if self.can_read
            else self.tr(
                "F5 reads the newest hash again · Ctrl+Shift+P checks the chain · Ctrl+Shift+C "
                "copies the newest hash"
            )
        )

        self.filter.applyRequested.connect(self.apply_filter)
        self.export_button.clicked.connect(self.export_csv)
        self.reload_button.clicked.connect(self.reload)
        self.model.loaded.connect(self._on_loaded)
        self.model.failed.connect(self._on_failed)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        keep_selection(self.model, self.selected_id, self.select_entry)

    # -- loading ------------------------------------------------------------------------------

    def start(self) -> None:
        """First load (after the pane is in place)."""
        self.reload()

    def reload(self) -> None:
        """Read the records (if allowed) and the newest hash again (F5)."""
        if self.can_read:
            self.count_label.setText(self.tr("Loading …"))
            self.model.reload()
        if self.can_verify:
            self.chain.refresh_head()

    def apply_filter(self) -> None:
        """Reload with the filter's values (Enter, a choice, "Apply")."""
        if not self.can_read:
            return
        self._set_status("", None)
        self.count_label.setText(self.tr("Loading …"))
        self.model.set_query(self.filter.query())

    def _on_loaded(self, total: int) -> None:
        if self.model.exact:
            text = count_text(total, self.tr("1 entry"), self.tr("%1 entries"))
        else:
            text = self.tr("more than %1 entries").replace("%1", format_count(COUNT_LIMIT))
        stamp = format_local(utcnow(), with_seconds=True)
        self.count_label.setText(self.tr("%1 · as of %2").replace("%1", text).replace("%2", stamp))
        if self.table.currentIndex().isValid():
            self._on_current(self.table.currentIndex(), QModelIndex())
        else:
            self.detail.show_entry(None)

    def _on_failed(self, message: str) -> None:
        self.count_label.setText(count_text(0, self.tr("1 entry"), self.tr("%1 entries")))
        self._set_status(message, False)
        self.detail.show_entry(None)

    def _set_status(self, text: str, ok: bool | None) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(
            theme.ok_style(True) if ok else theme.error_style(True) if ok is False else ""
        )
        self.status.setProperty("ok", ok)

    # -- selection ----------------------------------------------------------------------------

    def selected(self) -> AuditEntry | None:
        """The selected record."""
        return current_item(self.table, EntryRole, AuditEntry)

    def selected_id(self) -> int | None:
        """Id of the selected record."""
        entry = self.selected()
        return entry.id if entry else None

    def select_entry(self, entry_id: int) -> bool:
        """Select a loaded record."""
        return select_row(self.table, self.model.row_of(entry_id), COL_ACTION)

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        value = self.model.data(current, EntryRole) if current.isValid() else None
        self.detail.show_entry(value if isinstance(value, AuditEntry) else None)

    def focus_main(self) -> None:
        """Keyboard focus where work starts: the table (first row), else the chain check."""
        if self.can_read:
            self.table.setFocus()
            if not self.table.currentIndex().isValid() and self.model.rowCount() > 0:
                self.table.setCurrentIndex(self.model.index(0, COL_ACTION))
        else:
            self.chain.verify_button.setFocus()

    # -- export -------------------------------------------------------------------------------

    def default_export_path(self) -> Path:
        """Where the file dialog starts: the last folder (else Documents), a dated name."""
        folder = self._export_dir
        if folder is None:
            docs = QStandardPaths.writableLocation(
                QStandardPaths.StandardLocation.DocumentsLocation
            )
            folder = Path(docs) if docs and Path(docs).is_dir() else Path.home()
        name = self.tr("audit-log-%1.csv").replace("%1", today().isoformat())
        return folder / name

    def export_csv(self) -> None:
        """Ask for a file, then write the filtered records to it in the background."""
        if not self.can_read or self._exporting:
            return
        if self.export_dialog is not None and self.export_dialog.isVisible():
            self.export_dialog.raise_()
            return
        dialog = QFileDialog(self, self.tr("Export the audit log"), str(self.default_export_path()))
        dialog.setObjectName("auditExportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilter(self.tr("CSV files (*.csv)"))
        dialog.setDefaultSuffix("csv")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.selectFile(self.default_export_path().name)
        query = self.model.query

        def done(result: int) -> None:
            self.export_dialog = None
            files = dialog.selectedFiles()
            if result == QDialog.DialogCode.Accepted and files:
                path = Path(files[0])
                self._export_dir = path.parent
                spawn(self._export(query, path))
            self.table.setFocus()

        dialog.finished.connect(done)
        self.export_dialog = dialog
        dialog.open()

    async def _export(self, query: AuditQuery, path: Path) -> None:
        self._exporting = True
        self.export_button.setEnabled(False)
        self._set_status(self.tr("Exporting to %1 …").replace("%1", str(path)), None)
        try:
            written = await self.ctx.services.audit_log.export_csv_file(self.ctx.actor, query, path)
        except KodError as exc:
            if alive(self):
                self._set_status(str(exc), False)
            return
        finally:
            if alive(self):
                self._exporting = False
                self.export_button.setEnabled(True)
        if alive(self):
            self._set_status(
                self.tr("%1 exported to %2.")
                .replace("%1", count_text(written, self.tr("1 entry"), self.tr("%1 entries")))
                .replace("%2", str(path)),
                True,
            )

    # -- keys ---------------------------------------------------------------------------------

    def _own_key(self, event: QKeyEvent) -> bool:
        """F5 and Ctrl+F mean this pane while the focus is in it (not the window's actions)."""
        if event.key() == Qt.Key.Key_F5 and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            return True
        return (
            self.can_read
            and event.key() == Qt.Key.Key_F
            and event.modifiers() == Qt.KeyboardModifier.ControlModifier
        )

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and self._own_key(event)
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._own_key(event):
            if event.key() == Qt.Key.Key_F5:
                self.reload()
            else:
                self.filter.person.setFocus()
                self.filter.person.selectAll()
            return
        if event.key() == Qt.Key.Key_Escape and self.can_read and not self.filter.is_clear():
            self.filter.clear()
            return
        super().keyPressEvent(event)


def install(window: MainWindow) -> AuditLogPane | None:
    """Add the audit viewer as a pane for roles that may read or verify the audit log.

    For roles without incidents (data protection, administration) the incident panes are put
    away: the audit log is their work. Other roles get nothing.
    """
    ctx = window.ctx
    if not (ctx.can(Permission.AUDIT_READ) or ctx.can(Permission.AUDIT_VERIFY)):
        return None
    pane = AuditLogPane(ctx, window)
    title = QCoreApplication.translate("AuditLogPane", "Audit log")
    window.add_pane("audit", title, pane, Qt.DockWidgetArea.RightDockWidgetArea)
    if not ctx.can(Permission.INCIDENT_READ):
        for key in ("queue", "detail"):
            other = window.docks.get(key)
            if other is not None:
                other.hide()
    window.navigator.add_pane("audit", pane.focus_main, pane.select_entry, pane.model)
    commands = window.commands
    commands.bind("go.audit", lambda: window.navigator.go_to("audit"))
    commands.list_keys(
        "audit.verify",
        "audit.export",
        "audit.copy_head",
        "audit.apply",
        "audit.clear",
        "audit.filter",
        "audit.reload",
    )
    window.when_started(pane.start)
    return pane
