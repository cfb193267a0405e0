"""What the Aufträge and Meldungen panes share: filter and debounced search, the count, the
table whose selection survives reloads, the button row with "More", the context menu, and one
dialog at a time whose saved row gets selected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.platform.i18n import count_text
from ui.context import UiContext
from ui.dialogs.work_common import WorkFormDialog
from ui.models.work_table import HasId, RowRole, WorkTableModel
from ui.navigator import when_row
from ui.views.flow_layout import FlowLayout
from ui.views.work_table_view import (
    WorkTableView,
    fill_menu,
    keep_selection,
    more_button,
    select_row,
)

if TYPE_CHECKING:
    from ui.main_window import MainWindow

#: Filter value (combo data) of "all items"; each pane names its other filters.
FILTER_ALL = "all"

R = TypeVar("R", bound=HasId)


class WorkItemPane(QWidget, Generic[R]):
    """A list of work items with filter, search, actions and an edit dialog.

    ``prefix`` starts the widgets' object names (``taskFilter``, ``reportTable``, …).
    Subclasses set :attr:`row_type`, create :attr:`model`, fill :attr:`filter`, the search
    placeholder and :attr:`count_text` (their own ``tr()``, so the strings keep their context),
    create their buttons in tab order and then call :meth:`_build`. They implement
    :meth:`build_query`, :meth:`edit_item` and :meth:`_enable_actions`.
    """

    #: The row dataclass the model holds.
    row_type: type[R]
    model: WorkTableModel[R, Any]
    #: The role may create and change items here.
    can_write: bool

    def __init__(self, ctx: UiContext, prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._prefix = prefix
        self.dialog: QDialog | None = None
        #: The count label's text; ``%1`` is the number of matching rows ...
        self.count_text = "%1"
        #: ... and its text for exactly one row.
        self.count_one = "1"

        self.filter = QComboBox(self)
        self.filter.setObjectName(f"{prefix}Filter")
        self.search = QLineEdit(self)
        self.search.setObjectName(f"{prefix}Search")
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel(self)
        self.count_label.setObjectName(f"{prefix}Count")

    def _button(self, text: str, name: str, slot: object) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    def _build(
        self,
        actions: Sequence[QPushButton],
        rare: Sequence[QPushButton],
        main_column: int,
        widths: Sequence[tuple[int, int]],
        top_extra: Sequence[QWidget] = (),
    ) -> None:
        """Lay out the pane and connect it (after the subclass made its widgets).

        ``actions`` in menu order; the ``rare`` ones among them go behind "More". The table
        stretches ``main_column``; ``top_extra`` stand between the search and the count.
        """
        self._actions = list(actions)
        self._rare = list(rare)
        self._main_column = main_column
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.filter)
        top.addWidget(self.search, 1)
        for widget in top_extra:
            top.addWidget(widget)
        top.addWidget(self.count_label)
        # Rarer actions sit behind "More" so the row fits a narrow dock with German labels.
        self.more_button = more_button(self, self._rare)
        self.more_button.setObjectName(f"{self._prefix}More")
        buttons = FlowLayout()
        for button in self._actions:
            if button not in self._rare:
                buttons.addWidget(button)
        buttons.addWidget(self.more_button)

        self.table = WorkTableView(main_column, 260, self)
        self.table.setObjectName(f"{self._prefix}Table")
        self.table.setModel(self.model)
        for col, width in widths:
            self.table.setColumnWidth(col, width)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.activated.connect(self._on_activated)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.model.loaded.connect(lambda _n: self._update_count())
        self.model.updated.connect(self._update_count)
        self.model.updated.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self.model.dataChanged.connect(lambda *_a: self._update_buttons())
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._update_buttons())
        keep_selection(self.model, self._selected_id, self.select_item)
        self._update_buttons()

    def action_buttons(self) -> list[QPushButton]:
        """The action buttons in their order."""
        return list(self._actions)

    # -- filter ------------------------------------------------------------------------------

    def build_query(self) -> Any:
        """The query of the filter widgets."""
        raise NotImplementedError

    def apply_filter(self) -> None:
        """Reload with the filter widgets' query."""
        self._debounce.stop()
        self.model.set_query(self.build_query())

    def show_all(self) -> None:
        """Switch to "all" without search text (to find any item)."""
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.filter.setCurrentIndex(self.filter.findData(FILTER_ALL))
        self.apply_filter()

    def _update_count(self) -> None:
        self.count_label.setText(count_text(self.model.total, self.count_one, self.count_text))

    # -- selection ---------------------------------------------------------------------------

    def selected(self) -> R | None:
        """The selected item."""
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        value = self.model.data(index, RowRole)
        return value if isinstance(value, self.row_type) else None

    def select_item(self, item_id: int) -> bool:
        """Select an item if it is loaded."""
        return select_row(self.table, self.model.row_of(item_id), self._main_column)

    def focus_table(self) -> None:
        """Keyboard focus on the list (first row if nothing is selected)."""
        self.table.setFocus()
        if not self.table.currentIndex().isValid() and self.model.rowCount() > 0:
            self.table.setCurrentIndex(self.model.index(0, self._main_column))

    def _selected_id(self) -> int | None:
        item = self.selected()
        return item.id if item else None

    def _update_buttons(self) -> None:
        self._enable_actions(self.selected())
        self.more_button.setEnabled(any(b.isEnabled() for b in self._rare))

    def _enable_actions(self, item: R | None) -> None:
        """Enable the buttons that apply to ``item`` (None: nothing selected)."""
        raise NotImplementedError

    def _on_activated(self, index: QModelIndex) -> None:
        value = self.model.data(index, RowRole)
        if isinstance(value, self.row_type):
            self.edit_item(value)

    def _context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        fill_menu(menu, self.action_buttons())
        self._extend_menu(menu)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _extend_menu(self, menu: QMenu) -> None:
        """Add entries after the actions (default: none)."""

    # -- dialogs -----------------------------------------------------------------------------

    def edit_selected(self) -> None:
        """Open the selected item."""
        item = self.selected()
        if item is not None:
            self.edit_item(item)

    def edit_item(self, item: R, /) -> None:
        """Open ``item`` in its dialog (Enter, double-click, "Edit …")."""
        raise NotImplementedError

    def _busy(self) -> bool:
        """True (and the open dialog comes to the front) while a dialog is open."""
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            self.dialog.activateWindow()
            return True
        return False

    def _show_dialog(self, dialog: WorkFormDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.saved.connect(self._on_saved)
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        self.table.setFocus()

    def _on_saved(self, row: object) -> None:
        if isinstance(row, self.row_type):
            self._announce_saved(row)
            # The change feed brings the row; select it as soon as it is there.
            self._select_when_loaded(row.id)

    def _announce_saved(self, row: R) -> None:
        """Tell the rest of the window about a row saved here (default: nothing)."""

    def _select_when_loaded(self, item_id: int) -> None:
        when_row(self.model, lambda: self.select_item(item_id), owner=self)


def install_pane(
    window: MainWindow,
    pane: WorkItemPane[Any],
    name: str,
    title: str,
    commands: tuple[str, str],
    new_item: Callable[[], None],
    open_item: Callable[[int], None] | None = None,
) -> QDockWidget:
    """Dock ``pane`` at the bottom; bind its two commands; register it with the navigator.

    ``commands`` are the ids of "new item" (brings the pane forward and calls ``new_item``;
    disabled for roles that may not write) and "go to the list". ``open_item`` opens an item
    the list does not show.
    """
    new_command, go_command = commands
    dock = window.add_pane(name, title, pane, Qt.DockWidgetArea.BottomDockWidgetArea)
    navigator = window.navigator
    navigator.add_pane(name, pane.focus_table, pane.select_item, pane.model, open_item)

    def open_new() -> None:
        navigator.reveal(name)
        new_item()

    window.commands.bind(new_command, open_new, lambda: pane.can_write)
    window.commands.bind(go_command, lambda: navigator.go_to(name))
    window.commands.list_keys("work.open", "work.menu", "form.submit")
    return dock
