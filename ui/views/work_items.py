"""What the Aufträge and Meldungen panes share: filter and debounced search, the count, the
table whose selection survives reloads, the button row with "More", the context menu, one
dialog at a time whose saved row gets selected, and actions that ask first.

After an action (done, cancelled, closed) the selection stays on the item; if the item leaves
the list (the filter shows open items only) nothing is selected afterwards – the selection never
jumps silently onto the next row, where a second click would act on another item.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.platform.errors import KodError
from app.platform.i18n import count_text
from ui import theme
from ui.asyncutil import spawn
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
from ui.widgets.readonly import read_only_reason

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
        #: What the last action did (or why it was refused).
        self.note_label = QLabel(self)
        self.note_label.setObjectName(f"{prefix}Note")
        self.note_label.setWordWrap(True)
        self.note_label.hide()
        #: Why the role cannot change items here ("change tasks"; set by the subclass).
        self.read_only_what = ""
        #: The question open before an action (tests reach it here).
        self.confirm_box: QMessageBox | None = None
        #: Id of the selected item while an update moves or removes its row.
        self._leaving: int | None = None

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
        if not self.can_write:
            # Everything but "Edit …" (which opens the item read-only) changes items.
            reason = read_only_reason(self.ctx.actor, self.read_only_what)
            for button in self._actions:
                if button is not getattr(self, "edit_button", None):
                    button.setToolTip(reason)
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
        # Connected before the view: the view moves the selection to the next row when the
        # selected one is removed, and this must see the row that leaves.
        self.model.rowsAboutToBeRemoved.connect(self._rows_leaving)
        self.table.setModel(self.model)
        self.model.rowsRemoved.connect(self._rows_left)
        self.model.rowsInserted.connect(self._rows_came)
        self.model.updated.connect(self._update_applied)
        for col, width in widths:
            self.table.setColumnWidth(col, width)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.activated.connect(self._on_activated)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note_label)
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

    def _rows_leaving(self, _parent: QModelIndex, first: int, last: int) -> None:
        current = self.table.currentIndex()
        if current.isValid() and first <= current.row() <= last:
            self._leaving = self._selected_id()

    def _rows_left(self, *_args: object) -> None:
        # The selected item left its place: select nothing rather than the next row (the view
        # would); if the same update puts it back elsewhere, it is selected there again.
        if self._leaving is None:
            return
        self.table.selectionModel().setCurrentIndex(
            QModelIndex(), QItemSelectionModel.SelectionFlag.Clear
        )
        self._update_buttons()

    def _rows_came(self, *_args: object) -> None:
        if self._leaving is not None and self.select_item(self._leaving):
            self._leaving = None

    def _update_applied(self) -> None:
        self._leaving = None

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

    def _dialog_open(self) -> bool:
        """True (and the open dialog comes to the front) while a dialog is open."""
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            self.dialog.activateWindow()
            return True
        return False

    def _show_edit_dialog(self, dialog: WorkFormDialog) -> None:
        """Show an item's dialog; for a role that may only look, read-only and saying why."""
        if not self.can_write:
            dialog.set_read_only(read_only_reason(self.ctx.actor, self.read_only_what))
        self._show_dialog(dialog)

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

    # -- actions that ask first ----------------------------------------------------------------

    def confirm(self, open_question: Callable[[], QMessageBox]) -> None:
        """Ask before an action (unless a dialog or question is open already)."""
        if self._busy():
            return
        self.confirm_box = open_question()
        self.confirm_box.finished.connect(lambda _r: self._confirm_closed())

    def _confirm_closed(self) -> None:
        self.confirm_box = None
        self.table.setFocus()

    def _busy(self) -> bool:
        """True (and the open dialog comes to the front) while a dialog or question is open."""
        if self.confirm_box is not None and self.confirm_box.isVisible():
            self.confirm_box.raise_()
            return True
        return self._dialog_open()

    def act(self, write: Awaitable[Any], done: str) -> None:
        """Run a service write for the selected item; ``done`` (translated) says what it did.

        A refusal (someone else changed the item first, it is no longer open) is said in the
        pane, not in an error dialog.
        """

        async def run() -> None:
            try:
                await write
            except KodError as exc:
                self.say(str(exc), error=True)
                return
            self.say(done)

        spawn(run())

    def say(self, text: str, error: bool = False) -> None:
        """Show what the last action did below the list."""
        self.note_label.setStyleSheet(theme.text_style("error" if error else "text_soft"))
        self.note_label.setText(text)
        self.note_label.show()

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
