"""The list of bodycam recordings: of the incident shown in the incident detail, of one
officer, or all; each with its deletion date. Enter (or a double click) opens one in the clip
viewer, after asking for the reason."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QModelIndex, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.changes import ChangeSet, Entity
from app.platform.errors import KodError
from app.platform.i18n import count_text
from app.platform.permissions import Permission
from app.services.recording_list import RecordingRow
from ui import theme
from ui.asyncutil import spawn
from ui.commands import pane_action
from ui.context import UiContext
from ui.models.recordings import COL_START, ID_ROLE, RecordingTableModel
from ui.views.work_table_view import select_row

RELOAD_DELAY_MS = 200
MODE_INCIDENT, MODE_OFFICER, MODE_ALL = range(3)


class RecordingListPane(QWidget):
    """Recordings per incident or per officer, with their deletion date."""

    #: Open this recording (its id) in the clip viewer.
    openRequested = Signal(int)
    #: The import dialog was asked for.
    importRequested = Signal()
    #: A reload finished (tests wait for it).
    loaded = Signal()

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RecordingListPane")
        self.ctx = ctx
        self.mode = QComboBox(self)
        self.mode.setObjectName("recordingMode")
        self.mode.addItems(
            [
                QCoreApplication.translate("RecordingListPane", "Incident in the incident detail"),
                QCoreApplication.translate("RecordingListPane", "One officer"),
                QCoreApplication.translate("RecordingListPane", "All recordings"),
            ]
        )
        self.officer = QComboBox(self)
        self.officer.setObjectName("recordingOfficer")
        self.officer.setMinimumContentsLength(18)
        self.title = QLabel(self)
        self.title.setObjectName("recordingListTitle")
        self.title.setStyleSheet(theme.heading_style())
        self.model = RecordingTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("recordingTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self._activated)
        self.open_button = QPushButton(
            QCoreApplication.translate("RecordingListPane", "Open …"), self
        )
        self.open_button.setObjectName("recordingOpen")
        self.open_button.clicked.connect(self.open_current)
        self.import_button = QPushButton(
            QCoreApplication.translate("RecordingListPane", "Import …"), self
        )
        self.import_button.setObjectName("recordingImport")
        self.import_button.clicked.connect(self.importRequested.emit)
        self.import_button.setVisible(ctx.can(Permission.RECORDING_IMPORT))
        self.message = QLabel(self)
        self.message.setObjectName("recordingListMessage")
        self.message.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.mode)
        top.addWidget(self.officer)
        top.addStretch(1)
        top.addWidget(self.import_button)
        top.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        pane_action("recording.open", self.table, self.open_current)
        self._incident_id: int | None = None
        self._incident_number = ""
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(RELOAD_DELAY_MS)
        self._reload.timeout.connect(lambda: spawn(self.reload()))
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.officer.currentIndexChanged.connect(lambda _i: self.schedule_reload())
        ctx.bridge.changes.connect(self._on_changes)
        self._mode_changed(MODE_INCIDENT)

    def focus_table(self) -> None:
        """Put the keyboard into the list."""
        self.table.setFocus()
        if self.table.currentIndex().row() < 0:
            select_row(self.table, 0, COL_START)

    def show_incident(self, incident_id: int, number: str = "") -> None:
        """Follow the incident shown in the incident detail."""
        self._incident_id = incident_id
        self._incident_number = number
        if self.mode.currentIndex() == MODE_INCIDENT:
            self.schedule_reload()

    def show_all(self) -> None:
        """List every recording kept."""
        self.mode.setCurrentIndex(MODE_ALL)

    def schedule_reload(self) -> None:
        """Reload soon (changes come in bursts)."""
        self._reload.start()

    def _mode_changed(self, mode: int) -> None:
        self.officer.setVisible(mode == MODE_OFFICER)
        if mode == MODE_OFFICER and self.officer.count() == 0:
            spawn(self._load_officers())
        self.schedule_reload()

    async def _load_officers(self) -> None:
        try:
            officers = await self.ctx.services.recordings.lists.officers(self.ctx.actor)
        except KodError as exc:
            self._say(str(exc), error=True)
            return
        self.officer.blockSignals(True)
        self.officer.clear()
        for o in officers:
            self.officer.addItem(f"{o.name} ({o.recordings})", o.id)
        self.officer.blockSignals(False)
        self.schedule_reload()

    def _on_changes(self, changes: ChangeSet) -> None:
        if changes.touches(Entity.RECORDING):
            self.schedule_reload()

    async def reload(self) -> None:
        """Read the list for the chosen mode again."""
        lists, actor = self.ctx.services.recordings.lists, self.ctx.actor
        mode = self.mode.currentIndex()
        rows: list[RecordingRow] = []
        try:
            if mode == MODE_INCIDENT:
                if self._incident_id is not None:
                    rows = await lists.for_incident(actor, self._incident_id)
                title = (
                    QCoreApplication.translate(
                        "RecordingListPane", "Recordings of incident %1"
                    ).replace("%1", self._incident_number)
                    if self._incident_id is not None
                    else QCoreApplication.translate(
                        "RecordingListPane", "No incident shown in the incident detail"
                    )
                )
            elif mode == MODE_OFFICER:
                officer_id = self.officer.currentData()
                if isinstance(officer_id, int):
                    rows = await lists.for_officer(actor, officer_id)
                title = QCoreApplication.translate("RecordingListPane", "Recordings of %1").replace(
                    "%1", self.officer.currentText()
                )
            else:
                rows = await lists.recent(actor)
                title = QCoreApplication.translate("RecordingListPane", "All recordings kept")
        except KodError as exc:
            self._say(str(exc), error=True)
            return
        selected = self.selected_id()
        self.model.set_rows(rows)
        if selected is not None:
            select_row(self.table, self.model.row_of(selected), COL_START)
        self.title.setText(title)
        self._say(
            count_text(
                len(rows),
                QCoreApplication.translate("RecordingListPane", "1 recording"),
                QCoreApplication.translate("RecordingListPane", "%1 recordings"),
            )
            + " · "
            + QCoreApplication.translate(
                "RecordingListPane",
                "deleted automatically on the date shown unless a hold keeps them",
            )
        )
        self.loaded.emit()

    def selected_id(self) -> int | None:
        """The recording of the current row."""
        value = self.model.data(self.table.currentIndex(), ID_ROLE)
        return value if isinstance(value, int) else None

    def open_current(self) -> None:
        """Open the current row's recording in the clip viewer."""
        recording_id = self.selected_id()
        if recording_id is not None:
            self.openRequested.emit(recording_id)

    def _activated(self, index: QModelIndex) -> None:
        value = self.model.data(index, ID_ROLE)
        if isinstance(value, int):
            self.openRequested.emit(value)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(theme.error_style() if error else theme.hint_style())
