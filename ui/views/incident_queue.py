"""The incident queue pane: filter bar and the lazily loaded table."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.codes import CATEGORIES, STATUS_LABELS_SOURCE, priority_label, status_label
from app.domain.dto import IncidentQuery
from app.domain.geo import load_stadtteile
from app.platform.i18n import count_text, format_count
from ui import theme
from ui.commands import pane_action
from ui.context import UiContext
from ui.models.incident_queue import (
    COL_ADDRESS,
    COL_CATEGORY,
    COL_CREATED,
    COL_NUMBER,
    COL_PRIORITY,
    COL_SINCE_CREATED,
    COL_SINCE_DISPATCH,
    COL_STADTTEIL,
    COL_STATUS,
    COL_UNITS,
    SORT_FIELDS,
    IncidentIdRole,
    IncidentQueueTableModel,
)
from ui.models.live_table import SortSpec
from ui.views.work_table_view import select_row
from ui.widgets.elide import fit_popup, share_spare, tooltip_when_cut, widest_text

ALL = ""
#: Start widths (px) chosen for German labels; the address column takes the rest.
COLUMN_WIDTHS = {
    COL_NUMBER: 112,
    COL_PRIORITY: 38,
    COL_CATEGORY: 150,
    COL_STATUS: 104,
    COL_STADTTEIL: 104,
    COL_UNITS: 72,
    COL_CREATED: 92,
    COL_SINCE_CREATED: 76,
    COL_SINCE_DISPATCH: 86,
}
#: Free-text search starts at this many characters (shorter input would scan the whole history).
MIN_SEARCH = 3


class IncidentQueueView(QWidget):
    """Filterable incident queue; emits the selected incident's id."""

    incidentSelected = Signal(int)
    incidentActivated = Signal(int)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("IncidentQueueView")
        self.model = IncidentQueueTableModel(ctx, self)

        self.search = QLineEdit(self)
        self.search.setObjectName("queueSearch")
        self.search.setPlaceholderText(
            self.tr("Search number, address, description, caller … (3 characters or more)")
        )
        self.search.setClearButtonEnabled(True)
        self.status = QComboBox(self)
        self.status.setObjectName("queueStatus")
        self.status.addItem(self.tr("All statuses"), ALL)
        for code in STATUS_LABELS_SOURCE:
            self.status.addItem(status_label(code), code)
        self.category = QComboBox(self)
        self.category.setObjectName("queueCategory")
        self.category.addItem(self.tr("All categories"), ALL)
        for cat in sorted(CATEGORIES, key=lambda c: c.label):
            self.category.addItem(cat.label, cat.code)
        self.priority = QComboBox(self)
        self.priority.setObjectName("queuePriority")
        self.priority.addItem(self.tr("All priorities"), 0)
        for p in (1, 2, 3):
            self.priority.addItem(priority_label(p), p)
        self.stadtteil = QComboBox(self)
        self.stadtteil.setObjectName("queueStadtteil")
        self.stadtteil.addItem(self.tr("All districts"), ALL)
        for st in sorted(load_stadtteile(), key=lambda s: s.name):
            self.stadtteil.addItem(st.name, st.name)
        self.open_only = QCheckBox(self.tr("Open only"), self)
        self.open_only.setObjectName("queueOpenOnly")
        self.count_label = QLabel(self)
        self.count_label.setObjectName("queueCount")
        self.stale_label = QLabel(self)
        self.stale_label.setObjectName("queueStale")
        self.stale_label.setStyleSheet(theme.banner_style("connection_lost", padding="2px 6px"))
        self.stale_label.hide()

        # Two rows: the search gets the full width, the filters share the second row.
        self.search.setMinimumWidth(260)
        for combo in (self.status, self.category, self.priority, self.stadtteil):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(10)
            # The closed box may cut a long German label; its list and tooltip never do.
            fit_popup(combo)
            tooltip_when_cut(combo)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search, 1)
        top.addWidget(self.stale_label)
        top.addWidget(self.count_label)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for w in (self.status, self.category, self.priority, self.stadtteil):
            bar.addWidget(w, 1)
        bar.addWidget(self.open_only)

        self.table = QTableView(self)
        self.table.setObjectName("incidentQueueTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(False)
        self.table.setAlternatingRowColors(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_ADDRESS, QHeaderView.ResizeMode.Stretch)
        header.sectionClicked.connect(self._on_header_clicked)
        metrics = header.fontMetrics()
        for column, width in COLUMN_WIDTHS.items():
            # Never narrower than the header text (plus the sort arrow and padding).
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal) or "")
            self.table.setColumnWidth(column, max(width, metrics.horizontalAdvance(title) + 20))
        header.setMinimumSectionSize(36)
        # Long German category names take what they need from the address when there is room.
        labels = [c.label for c in CATEGORIES]
        share_spare(self.table, COL_CATEGORY, widest_text(self.table, labels), COL_ADDRESS, 260)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.table)

        # Typing waits a moment before querying so every key press does not hit the database.
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        for combo in (self.status, self.category, self.priority, self.stadtteil):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.open_only.toggled.connect(lambda _c: self.apply_filter())
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.table.activated.connect(self._on_activated)
        self.model.loaded.connect(self._on_loaded)
        self.model.updated.connect(self._update_count)
        self._selected_id: int | None = None
        # Filter widgets in use get the selection colour, lightened (no colour of our own).
        self._marked_palette = QPalette(self.palette())
        marked = self.palette().color(QPalette.ColorRole.Highlight).lighter(185)
        for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Button, QPalette.ColorRole.Window):
            self._marked_palette.setColor(role, marked)
        clear = pane_action("queue.clear_search", self.search, self.clear_search)
        clear.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.modelReset.connect(self._restore_selection)

    def build_query(self) -> IncidentQuery:
        """The query from the filter widgets (keeping the current order)."""
        q = self.model.query
        status = self.status.currentData()
        category = self.category.currentData()
        priority = self.priority.currentData()
        stadtteil = self.stadtteil.currentData()
        text = self.search.text().strip()
        return replace(
            q,
            text=text if len(text) >= MIN_SEARCH else "",
            statuses=frozenset({status}) if status else frozenset(),
            categories=frozenset({category}) if category else frozenset(),
            priorities=frozenset({priority}) if priority else frozenset(),
            stadtteile=frozenset({stadtteil}) if stadtteil else frozenset(),
            open_only=self.open_only.isChecked(),
        )

    def apply_filter(self) -> None:
        """Reload the table with the filter widgets' query."""
        self._debounce.stop()
        self.model.set_query(self.build_query())

    def _on_header_clicked(self, column: int) -> None:
        current = self.model.sort_spec
        if column not in SORT_FIELDS:
            spec = current  # not sortable: keep the order (and its arrow)
        elif column != current.column:
            spec = SortSpec(column)
        elif not current.descending:
            spec = SortSpec(column, descending=True)
        else:
            spec = SortSpec()  # third click: back to the queue order
        self.model.set_sort(spec)
        self._show_sort()

    def _show_sort(self) -> None:
        """The header's arrow shows the model's sort (none for the queue order)."""
        spec = self.model.sort_spec
        order = Qt.SortOrder.DescendingOrder if spec.descending else Qt.SortOrder.AscendingOrder
        self.table.horizontalHeader().setSortIndicator(spec.column, order)

    def _on_loaded(self, _total: int) -> None:
        self._show_sort()
        self._update_count()

    def filter_active(self) -> bool:
        """True if the shown incidents are narrowed by a filter (the order does not count)."""
        q = self.model.query
        return bool(
            q.text or q.statuses or q.categories or q.priorities or q.stadtteile or q.open_only
        )

    def _update_count(self) -> None:
        if self.model.exact:
            text = count_text(self.model.total, self.tr("1 incident"), self.tr("%1 incidents"))
        else:
            number = format_count(self.model.count_cap)
            text = self.tr("more than %1 incidents").replace("%1", number)
        filtered = self.filter_active()
        if filtered:
            text = self.tr("%1, filtered").replace("%1", text)
        self.count_label.setText(text)
        self._mark_filters(filtered)

    def _mark_filters(self, filtered: bool) -> None:
        """Highlight the filter widgets in use, so a narrowed list is never taken for all."""
        q = self.model.query
        in_use = {
            self.search: bool(q.text),
            self.status: bool(q.statuses),
            self.category: bool(q.categories),
            self.priority: bool(q.priorities),
            self.stadtteil: bool(q.stadtteile),
            self.open_only: q.open_only,
        }
        for widget, used in in_use.items():
            if widget.property("filterActive") != used:
                widget.setProperty("filterActive", used)
                widget.setAutoFillBackground(used)
                widget.setPalette(self._marked_palette if used else QPalette())
        font = self.count_label.font()
        font.setBold(filtered)
        self.count_label.setFont(font)

    def clear_search(self) -> None:
        """Esc in the search field: empty it and show the list without the text filter."""
        if self.search.text():
            self.search.clear()
            self.apply_filter()

    def _remember_selection(self) -> None:
        self._selected_id = self.selected_id()

    def _restore_selection(self) -> None:
        if self._selected_id is not None:
            self.select_incident(self._selected_id)

    def set_stale(self, since: str | None) -> None:
        """Mark the list as out of date (no database connection) or current again."""
        if since is None:
            self.stale_label.hide()
            self.table.setStyleSheet("")
            return
        self.stale_label.setText(self.tr("As of %1 – not updated").replace("%1", since))
        self.stale_label.show()
        self.table.setStyleSheet(theme.table_background_style("stale_view"))

    def selected_id(self) -> int | None:
        """The selected incident's id."""
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        value = self.model.data(index, IncidentIdRole)
        return int(value) if value is not None else None

    def select_incident(self, incident_id: int) -> bool:
        """Select an incident if it is loaded."""
        return select_row(self.table, self.model.row_of(incident_id), COL_NUMBER)

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            value = self.model.data(current, IncidentIdRole)
            if value is not None:
                self.incidentSelected.emit(int(value))

    def _on_activated(self, index: QModelIndex) -> None:
        value = self.model.data(index, IncidentIdRole)
        if value is not None:
            self.incidentActivated.emit(int(value))

    def focus_table(self) -> None:
        """Put the keyboard focus on the table (first row if nothing is selected)."""
        self.table.setFocus()
        if not self.table.currentIndex().isValid() and self.model.rowCount() > 0:
            self.table.setCurrentIndex(self.model.index(0, COL_CATEGORY))
