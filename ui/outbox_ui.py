"""The offline outbox in the workstation: status-bar count, replay on reconnect, conflicts.

The workstation's services are composed with an outbox (:meth:`app.services.Services.
for_workstation`): their incident service is :class:`app.services.resilient.ResilientIncidents`,
so call-taking and journal notes keep working while the database is unreachable (offline
incidents get a negative id and the number ``OFFLINE-<n>``). ``install(window)`` adds what the
user sees of it: the number of operations not yet transferred in the status bar,
replays them when the link is ONLINE again (and retries every few seconds while some wait),
keeps offline incidents visible in the incident queue and reports replay conflicts in a
non-modal dialog.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.platform.changefeed import LinkState, LinkStatus
from app.platform.timeutil import format_local
from app.services.resilient import ReplayConflict, ReplayReport, ResilientIncidents, is_pending_id
from ui import theme
from ui.asyncutil import spawn
from ui.navigator import when_row

if TYPE_CHECKING:
    from ui.main_window import MainWindow

log = logging.getLogger(__name__)

#: While operations wait and the link is up, replay is retried this often (ms).
RETRY_MS = 10_000
#: How long the selection waits on an offline row for its transferred incident (ms).
SWAP_WAIT_MS = 3_000


class OutboxDialog(QDialog):
    """Non-modal: what waits in the outbox, and what the last replays reported."""

    def __init__(self, controller: OutboxController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OutboxDialog")
        self.setModal(False)
        self.setWindowTitle(self.tr("Offline outbox"))
        self._controller = controller
        layout = QVBoxLayout(self)
        self.conflict_title = QLabel(self.tr("Please check after the transfer:"), self)
        self.conflict_title.setObjectName("outboxConflictTitle")
        self.conflicts = QListWidget(self)
        self.conflicts.setObjectName("outboxConflicts")
        self.conflicts.setWordWrap(True)
        self.pending_title = QLabel(self)
        self.pending_title.setObjectName("outboxPendingTitle")
        self.pending = QListWidget(self)
        self.pending.setObjectName("outboxPending")
        self.pending.setWordWrap(True)
        for w in (self.conflict_title, self.conflicts, self.pending_title, self.pending):
            layout.addWidget(w)
        buttons = QDialogButtonBox(self)
        self.replay_button = QPushButton(self.tr("Transfer now"), self)
        self.replay_button.setObjectName("outboxReplayNow")
        self.replay_button.clicked.connect(controller.replay_now)
        self.discard_button = QPushButton(self.tr("Discard failed entries"), self)
        self.discard_button.setObjectName("outboxDiscardFailed")
        self.discard_button.setToolTip(
            self.tr(
                "Removes the entries the server refused. Copy their text first if you still "
                "need it."
            )
        )
        self.discard_button.clicked.connect(controller.discard_failed)
        buttons.addButton(self.replay_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.discard_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.resize(720, 480)
        self.refresh()

    def add_conflict(self, conflict: ReplayConflict) -> None:
        """Append a conflict message (newest last)."""
        item = QListWidgetItem(conflict.message)
        item.setData(Qt.ItemDataRole.UserRole, conflict.incident_id)
        self.conflicts.addItem(item)
        self.conflicts.scrollToBottom()

    def refresh(self) -> None:
        """Re-list the operations waiting in the outbox."""
        ops = self._controller.facade.pending()
        self.pending.clear()
        failed = 0
        for op in ops:
            text = f"{format_local(op.queued_at, with_seconds=True)}  {op.summary}"
            if op.failed:
                failed += 1
                text = self.tr("NOT TRANSFERRED: %1 – %2").replace("%1", text)
                text = text.replace("%2", op.error or "")
            self.pending.addItem(QListWidgetItem(text))
        self.pending_title.setText(
            self.tr("Waiting to be transferred: %1").replace("%1", str(len(ops) - failed))
        )
        self.discard_button.setEnabled(failed > 0)
        self.replay_button.setEnabled(len(ops) > failed)


class OutboxController(QObject):
    """Keeps the outbox, the facade, the status bar and the queue in step."""

    def __init__(self, window: MainWindow, facade: ResilientIncidents) -> None:
        super().__init__(window)
        self.setObjectName("OutboxController")
        self.window = window
        ctx = window.ctx
        follower = ctx.bridge.follower
        self.facade = facade
        self.dialog: OutboxDialog | None = None
        self._replaying = False

        self.button = QToolButton(window)
        self.button.setObjectName("outboxButton")
        self.button.setAutoRaise(True)
        self.button.clicked.connect(self.show_dialog)
        window.statusBar().addPermanentWidget(self.button)

        self._connect(True)
        ctx.bridge.link.connect(self._on_link)
        window.queue.model.loaded.connect(self._inject_pending)
        window.closing.connect(self._on_closing)

        self._retry = QTimer(self)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self._maybe_replay)
        self._retry.start()
        self._update_button()
        if follower is not None and follower.state == LinkState.ONLINE:
            self._maybe_replay()

    def _connect(self, on: bool) -> None:
        facade = self.facade
        for signal, slot in (
            (facade.outbox.changed, self._on_count),
            (facade.conflicts, self._on_conflict),
            (facade.pending_changed, self._on_pending_changed),
            (facade.resolved, self._on_resolved),
            (facade.replayed, self._on_replayed),
        ):
            if on:
                signal.connect(slot)  # type: ignore[arg-type]
            else:
                signal.disconnect(slot)  # type: ignore[arg-type]

    def _on_closing(self) -> None:
        # The outbox stays open: it belongs to the services, which outlive a log-out and serve
        # the next window.
        self._retry.stop()
        self._connect(False)

    # -- status bar ---------------------------------------------------------------------------

    def _update_button(self) -> None:
        pending = self.facade.outbox.pending_count
        failed = len(self.facade.outbox.failed())
        if pending == 0 and failed == 0:
            self.button.hide()
            return
        if failed:
            text = self.tr("✉ %1 offline, %2 not transferred")
            text = text.replace("%1", str(pending)).replace("%2", str(failed))
        else:
            text = self.tr("✉ %1 stored offline").replace("%1", str(pending))
        self.button.setText(text)
        self.button.setToolTip(
            self.tr(
                "Incidents and notes recorded without a database connection. They are "
                "transferred automatically when the connection is back. Click for details."
            )
        )
        self.button.setStyleSheet(theme.text_style("pending", bold=True))
        self.button.show()

    def _on_count(self, _pending: int) -> None:
        self._update_button()
        if self.dialog is not None:
            self.dialog.refresh()

    # -- replay -------------------------------------------------------------------------------

    def _on_link(self, status: LinkStatus) -> None:
        if status.state == LinkState.ONLINE:
            self._maybe_replay()

    def _maybe_replay(self) -> None:
        if self._replaying or self.facade.outbox.pending_count == 0:
            return
        if not self.facade.is_online():
            return
        self.replay_now()

    def replay_now(self) -> None:
        """Transfer what waits now (if the link is up)."""
        if self._replaying:
            return
        self._replaying = True
        task = spawn(self.facade.replay())
        if task is None:
            self._replaying = False
            return
        task.add_done_callback(self._replay_done)

    def _replay_done(self, _task: object) -> None:
        self._replaying = False

    def _on_replayed(self, report: ReplayReport) -> None:
        log.info(
            "outbox replay: %s sent, %s conflicts, %s left",
            report.replayed,
            len(report.conflicts),
            report.remaining,
        )
        self._update_button()

    def discard_failed(self) -> None:
        """Remove the entries the server refused (the user has seen them)."""

        async def discard() -> None:
            for entry in self.facade.outbox.failed():
                await self.facade.outbox.discard(entry.uuid)

        spawn(discard())

    # -- conflicts ----------------------------------------------------------------------------

    def _on_conflict(self, conflict: ReplayConflict) -> None:
        dialog = self.show_dialog()
        dialog.add_conflict(conflict)

    def show_dialog(self) -> OutboxDialog:
        """Open (or raise) the non-modal outbox dialog."""
        if self.dialog is None:
            self.dialog = OutboxDialog(self, self.window)
        self.dialog.refresh()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    # -- the queue ----------------------------------------------------------------------------

    def _inject_pending(self, _total: int = 0) -> None:
        rows = self.facade.pending_rows()
        if rows:
            ids = {r.id for r in rows}
            self.window.queue.model.apply_rows(rows, ids, ids)

    def _on_pending_changed(self, incident_id: int) -> None:
        if not is_pending_id(incident_id):
            return
        rows = [r for r in self.facade.pending_rows() if r.id == incident_id]
        matching = {incident_id} if rows else set()
        self.window.queue.model.apply_rows(rows, matching, {incident_id})

    def _on_resolved(self, ids: tuple[int, int]) -> None:
        offline_id, server_id = ids
        queue = self.window.queue
        if queue.selected_id() != offline_id:
            queue.model.apply_rows([], set(), {offline_id})
            return

        # Keep the offline row selected until the server's row (from the change feed) is in
        # the queue, then move the selection over: no jump to a neighbour in between.
        def swap() -> bool:
            if queue.model.row_of(server_id) < 0:
                return False
            finish()
            return True

        def finish() -> None:
            if queue.selected_id() == offline_id:
                queue.select_incident(server_id)
            queue.model.apply_rows([], set(), {offline_id})

        when_row(queue.model, swap, SWAP_WAIT_MS, finish, self)


def install(window: MainWindow) -> OutboxController | None:
    """Show the offline outbox of the window's services (None if they were built without one)."""
    facade = window.ctx.services.offline
    if facade is None:
        return None
    return OutboxController(window, facade)
