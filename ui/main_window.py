"""The workstation's main window: dockable panes, saved layout per user, status bar, banners."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenuBar,
    QVBoxLayout,
    QWidget,
)

from app.platform.changefeed import LinkState, LinkStatus
from app.platform.permissions import role_label
from app.platform.timeutil import format_local, utcnow
from ui import theme
from ui.commands import CommandRegistry
from ui.context import UiContext
from ui.navigator import Navigator
from ui.session_end import SessionEnd, SessionEndQuestion
from ui.views.incident_queue import IncidentQueueView

LAYOUT_VERSION = 3


class BannerArea(QWidget):
    """Full-width banners above the panes (connection lost, emergencies)."""

    def __init__(self, menu_bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._layout.addWidget(menu_bar)
        self.connection = QLabel(self)
        self.connection.setObjectName("connectionBanner")
        self.connection.setWordWrap(True)
        self.connection.setStyleSheet(theme.banner_style("connection_lost"))
        self.connection.hide()
        self._layout.addWidget(self.connection)

    def add_banner(self, widget: QWidget) -> None:
        """Add another banner below the existing ones."""
        self._layout.addWidget(widget)


class MainWindow(QMainWindow):
    """Docked panes around the incident queue; layout saved per user."""

    closing = Signal()

    def __init__(
        self, ctx: UiContext, database_label: str, settings: QSettings | None = None
    ) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.ctx = ctx
        self._settings = settings or QSettings()
        self.setWindowTitle(
            self.tr("KOD-Leitstelle – %1").replace(
                "%1", ctx.actor.display_name or ctx.actor.username
            )
        )
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        self.docks: dict[str, QDockWidget] = {}

        menu_bar = QMenuBar()
        self.banners = BannerArea(menu_bar, self)
        self.setMenuWidget(self.banners)
        #: Every command of the window (ui.commands): panes bind their handlers here.
        self.commands = CommandRegistry(self, ctx.can)
        self.commands.build_menus(menu_bar)
        self.file_menu = self.commands.menu("file")
        self.view_menu = self.commands.menu("view")
        self.help_menu = self.commands.menu("help")
        #: Goes to panes and to the items in them.
        self.navigator = Navigator(self)

        self.queue = IncidentQueueView(ctx, self)
        self.add_pane(
            "queue", self.tr("Incident queue"), self.queue, Qt.DockWidgetArea.TopDockWidgetArea
        )
        self.navigator.add_pane(
            "queue",
            self.queue.focus_table,
            self.queue.select_incident,
            self.queue.model,
            missing=self.tr("The incident is not in the current queue view (check the filter)."),
        )
        #: How the session ended (set when the window closes).
        self.outcome: SessionEnd | None = None
        #: Why the session ended without being asked (shown in the next login), else "".
        self.end_message = ""
        #: Things to warn about before quitting or logging out (each returns warning lines).
        self.end_warnings: list[Callable[[], list[str]]] = []
        self._end_question: SessionEndQuestion | None = None
        self._closed = False
        commands = self.commands
        commands.bind("view.reload", self.queue.model.reload)
        commands.bind("go.queue", lambda: self.navigator.go_to("queue"))
        commands.bind("queue.search", self._focus_search)
        commands.list_keys("queue.clear_search")
        commands.bind("view.reset_layout", self.reset_layout)
        commands.bind("app.logout", lambda: self.request_end(SessionEnd.LOGOUT))
        commands.bind("app.quit", lambda: self.request_end(SessionEnd.QUIT))

        # Status bar: who, where, link state, clock.
        bar = self.statusBar()
        self.user_label = QLabel(
            f"{ctx.actor.display_name or ctx.actor.username} ({role_label(ctx.actor.role)})"
        )
        self.db_label = QLabel(database_label)
        self.link_label = QLabel(self.tr("Connecting …"))
        self.link_label.setObjectName("linkLabel")
        self.clock = QLabel()
        for w in (self.user_label, self.db_label, self.link_label, self.clock):
            bar.addPermanentWidget(w)
        self._clock_timer = QTimer(self)
        self._clock_timer.timeout.connect(self._tick_clock)
        self._clock_timer.start(1000)
        self._tick_clock()
        ctx.bridge.link.connect(self.on_link)

        self.resize(1500, 900)
        self._default_state: QByteArray | None = None
        #: Set by the layout arrangement: dock proportions, applied once the window is shown.
        self.apply_default_sizes: Callable[[], None] | None = None
        #: First reads of the panes held back until the queue shows its first page (None: none
        #: are held, see :meth:`hold_starts`).
        self._held_starts: list[Callable[[], None]] | None = None
        #: The offline outbox controller (ui.outbox_ui), set when the window is built.
        self.outbox: object | None = None
        #: The print preview opened last (Schicht-, Einsatzbericht), kept for tests and to stay
        #: alive; the shift choice and the statistics dialog opened last, likewise.
        self.print_preview: QWidget | None = None
        self.shift_choice: QWidget | None = None
        self.statistics_dialog: QWidget | None = None
        #: True once the panes have their first sizes (the default layout applies them late).
        self.layout_ready = False
        #: The strip reserved for the emergency banner (ui.views.emergency), if installed.
        self.alarm_strip: QWidget | None = None

    def _focus_search(self) -> None:
        self.navigator.reveal("queue")
        self.queue.search.setFocus()
        self.queue.search.selectAll()

    # -- ending the session -------------------------------------------------------------------

    def request_end(self, end: SessionEnd) -> SessionEndQuestion:
        """Ask before quitting or logging out (warning loudly about an open Notruf)."""
        if self._end_question is not None:
            self._end_question.raise_()
            self._end_question.activateWindow()
            return self._end_question
        warnings = [line for provider in self.end_warnings for line in provider()]
        question = SessionEndQuestion(end, self.ctx.actor, warnings, self)
        self._end_question = question

        def done(_result: int) -> None:
            self._end_question = None
            question.deleteLater()
            if question.confirmed:
                self.end_session(end)

        question.finished.connect(done)
        question.open()
        return question

    def end_session(self, end: SessionEnd) -> None:
        """Close the window without asking: ``end`` tells the program what comes next."""
        self.outcome = end
        self.close()

    # -- panes and layout ---------------------------------------------------------------------

    def add_pane(
        self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea
    ) -> QDockWidget:
        """Add ``widget`` as a dockable pane (listed in the View menu)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def hold_starts(self, fallback_ms: int = 1000) -> None:
        """Let the panes' first reads (:meth:`when_started`) wait for the queue's first page.

        At the start the queue's page then has the database and the event loop to itself. They
        run when the page is shown, or after ``fallback_ms`` whatever the queue does; for a role
        whose queue stays empty nothing is held.
        """
        if self._held_starts is not None or not self.queue.model.readable():
            return
        self._held_starts = []
        self.queue.model.loaded.connect(self.release_starts)
        QTimer.singleShot(fallback_ms, self, self.release_starts)

    def when_started(self, start: Callable[[], None]) -> None:
        """Run a pane's first read: on the next loop turn, or when held, after the first page."""
        if self._held_starts is None:
            QTimer.singleShot(0, self, start)
        else:
            self._held_starts.append(start)

    def release_starts(self) -> None:
        """Run the held first reads now (once)."""
        starts, self._held_starts = self._held_starts, None
        if starts is None:
            return
        with contextlib.suppress(RuntimeError, TypeError):
            self.queue.model.loaded.disconnect(self.release_starts)
        for start in starts:
            # Each on a loop turn of its own, as without holding (never inside the queue's
            # read that emitted ``loaded``).
            QTimer.singleShot(0, self, start)

    def _layout_key(self) -> str:
        return f"layout/{self.ctx.actor.username}"

    def finish_layout(self) -> None:
        """Remember the default layout, then restore the user's saved one."""
        self._default_state = self.saveState(LAYOUT_VERSION)
        saved = self._settings.value(self._layout_key() + "/state")
        geometry = self._settings.value(self._layout_key() + "/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(saved, QByteArray) and self.restoreState(saved, LAYOUT_VERSION):
            self.layout_ready = True
            return
        QTimer.singleShot(0, self._first_sizes)

    def _first_sizes(self) -> None:
        if self.apply_default_sizes is not None:
            self.apply_default_sizes()
        self.layout_ready = True

    def has_saved_geometry(self) -> bool:
        """True if this user's window size and place were stored before."""
        return self._settings.value(self._layout_key() + "/geometry") is not None

    def save_layout(self) -> None:
        """Store the current layout for this user."""
        self._settings.setValue(self._layout_key() + "/state", self.saveState(LAYOUT_VERSION))
        self._settings.setValue(self._layout_key() + "/geometry", self.saveGeometry())
        self._settings.sync()

    def reset_layout(self) -> None:
        """Back to the default arrangement (and forget the saved one)."""
        if self._default_state is not None:
            for dock in self.docks.values():
                dock.setFloating(False)
                dock.show()
            self.restoreState(self._default_state, LAYOUT_VERSION)
            if self.apply_default_sizes is not None:
                self.apply_default_sizes()
        self._settings.remove(self._layout_key())

    # -- status -------------------------------------------------------------------------------

    def _tick_clock(self) -> None:
        self.clock.setText(format_local(utcnow(), with_seconds=True))

    def on_link(self, status: LinkStatus) -> None:
        """Show the database link state in the status bar and a banner; mark data stale.

        If the server refuses this person's login (account disabled, password changed), the
        session is over: the window closes and the login appears again, saying why.
        """
        if status.login_refused and self.outcome is None:
            self.end_message = self.tr(
                "The database server no longer accepts your login (account disabled or "
                "password changed). Please log in again or ask the administration."
            )
            self.end_session(SessionEnd.LOGOUT)
            return
        if status.state == LinkState.ONLINE:
            self.link_label.setText(self.tr("● connected"))
            self.link_label.setStyleSheet(theme.text_style("connected"))
            self.banners.connection.hide()
            self.queue.set_stale(None)
        elif status.state == LinkState.OFFLINE:
            since = format_local(status.since, with_seconds=True) if status.since else ""
            self.link_label.setText(self.tr("● NO DATABASE CONNECTION"))
            self.link_label.setStyleSheet(theme.error_style(bold=True))
            text = self.tr(
                "No connection to the database since %1 – the data shown is from that time. "
                "New incidents and notes are kept on this workstation and sent automatically. "
                "Reconnecting …"
            ).replace("%1", since)
            if status.retry_in:
                text += " " + self.tr("(next attempt in %1 s)").replace(
                    "%1", f"{status.retry_in:.0f}"
                )
            if status.message:
                text += "\n" + status.message
            self.banners.connection.setText(text)
            self.banners.connection.show()
            self.queue.set_stale(since)
        else:
            self.link_label.setText(self.tr("Connecting …"))

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closed:
            super().closeEvent(event)
            return
        if self.outcome is None and event.spontaneous():
            # The window's close button: ask as Ctrl+Q does.
            event.ignore()
            self.request_end(SessionEnd.QUIT)
            return
        if self.outcome is None:
            self.outcome = SessionEnd.QUIT
        self._closed = True
        self.save_layout()
        self.closing.emit()
        super().closeEvent(event)
