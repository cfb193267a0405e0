"""Unit management for the shift lead (and administration): units, call signs, crews.

The list shows every unit, those out of service greyed at the end; the form beside it edits the
selected one: call sign and kind, who is on it (field staff; a person on another unit moves
here), in service or not. Units are never deleted. The current BOS status is shown, read-only:
dispatchers and the units set it. Everything is written through the services (checked, audited,
on PostgreSQL refused by the server for other roles); a wrong input gets the service's German
message next to the form, with the cursor in the field concerned. Keyboard: Ctrl+Shift+U new
unit, Ctrl+Enter saves, Ctrl+Shift+D takes the unit out of service or back, Ctrl+7 comes here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.domain.changes import ChangeSet, Entity
from app.domain.codes import unit_status_display
from app.platform.errors import ConflictError, KodError, ValidationError
from app.platform.i18n import count_text
from app.platform.permissions import Permission
from app.platform.timeutil import utcnow
from app.services.unit_admin import (
    CALL_SIGN_MAX,
    CREW_MAX,
    KIND_MAX,
    CrewMember,
    ManagedUnit,
    StaffMember,
)
from ui import theme
from ui.asyncutil import spawn
from ui.commands import pane_action
from ui.context import UiContext
from ui.models.unit_admin import COL_CALL_SIGN, COL_CREW, UnitAdminTableModel, UnitRole, crew_text
from ui.models.work_table import alive
from ui.views.work_table_view import WorkTableView, current_item, keep_selection, select_row
from ui.widgets.readonly import show_read_only

if TYPE_CHECKING:
    from ui.main_window import MainWindow

#: Kinds offered (any other can be typed).
KINDS = ("Streife", "Fußstreife", "Fahrradstreife", "Diensthundestreife", "Sonderstreife")
#: A burst of changes from elsewhere reloads once.
RELOAD_DELAY_MS = 150


class UnitAdminPane(QWidget):
    """List and form of the unit management."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("UnitAdminPane")
        self.ctx = ctx
        self.service = ctx.services.unit_admin
        #: The unit in the form (None: a new one is being entered).
        self.editing: ManagedUnit | None = None
        self._staff: list[StaffMember] = []
        self._busy = False
        self._first_load = True
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)

        self.model = UnitAdminTableModel(self)
        self.table = WorkTableView(COL_CREW, 220, self)
        self.table.setObjectName("unitAdminTable")
        self.table.setModel(self.model)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("unitAdminCount")
        self.new_button = QPushButton(self.tr("New unit"), self)
        self.new_button.setObjectName("unitAdminNew")

        self.heading = QLabel(self)
        self.heading.setObjectName("unitAdminHeading")
        self.heading.setStyleSheet(theme.heading_style())
        self.call_sign = QLineEdit(self)
        self.call_sign.setObjectName("unitAdminCallSign")
        self.call_sign.setMaxLength(CALL_SIGN_MAX)
        self.call_sign.setPlaceholderText(self.tr("e.g. KOD 35"))
        self.kind = QComboBox(self)
        self.kind.setObjectName("unitAdminKind")
        self.kind.setEditable(True)
        self.kind.addItems(KINDS)
        line_edit = self.kind.lineEdit()
        if line_edit is not None:
            line_edit.setMaxLength(KIND_MAX)
        self.status = QLineEdit(self)
        self.status.setObjectName("unitAdminStatus")
        show_read_only(
            self.status,
            True,
            self.tr("The status is set by the dispatchers and the units themselves."),
        )
        self.service_label = QLabel(self)
        self.service_label.setObjectName("unitAdminService")
        self.crew = QListWidget(self)
        self.crew.setObjectName("unitAdminCrew")
        self.crew_summary = QLabel(self)
        self.crew_summary.setObjectName("unitAdminCrewSummary")
        self.crew_summary.setWordWrap(True)
        self.message = QLabel(self)
        self.message.setObjectName("unitAdminMessage")
        self.message.setWordWrap(True)
        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.setObjectName("unitAdminSave")
        self.save_button.setDefault(True)
        self.service_button = QPushButton(self)
        self.service_button.setObjectName("unitAdminToggle")
        self.hint = QLabel(
            self.tr(
                "Ctrl+Shift+U new unit · Ctrl+Enter saves · Ctrl+Shift+D out of service / back "
                "· units are never deleted: their history keeps them"
            ),
            self,
        )
        self.hint.setObjectName("unitAdminHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(theme.hint_style())

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.new_button)
        top.addStretch(1)
        top.addWidget(self.count_label)
        left_layout.addLayout(top)
        left_layout.addWidget(self.table, 1)

        form_box = QGroupBox(self.tr("Unit"), self)
        form = QFormLayout(form_box)
        form.addRow(self.tr("&Call sign"), self.call_sign)
        form.addRow(self.tr("&Kind"), self.kind)
        form.addRow(self.tr("Status"), self.status)
        form.addRow(self.tr("Service"), self.service_label)
        crew_box = QGroupBox(self.tr("Crew (tick who is on this unit)"), self)
        crew_layout = QVBoxLayout(crew_box)
        crew_layout.addWidget(self.crew, 1)
        crew_layout.addWidget(self.crew_summary)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.service_button)
        buttons.addStretch(1)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.heading)
        right_layout.addWidget(form_box)
        right_layout.addWidget(crew_box, 1)
        right_layout.addWidget(self.message)
        right_layout.addLayout(buttons)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setObjectName("unitAdminSplit")
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split, 1)
        layout.addWidget(self.hint)

        self.new_action = pane_action("unit_admin.new", self, self.new_unit)
        self.save_action = pane_action("unit_admin.save", self, self.save)
        self.service_action = pane_action("unit_admin.service", self, self.toggle_service)
        self.new_button.setToolTip(self.tr("Enter a new unit (Ctrl+Shift+U)"))
        self.save_button.setToolTip(self.tr("Save call sign, kind and crew (Ctrl+Enter)"))
        self.new_button.clicked.connect(self.new_unit)
        self.save_button.clicked.connect(self.save)
        self.service_button.clicked.connect(self.toggle_service)
        self.crew.itemChanged.connect(lambda _item: self._update_crew_summary())
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        keep_selection(self.model, self.selected_id, self.select_unit)
        ctx.bridge.changes.connect(self._on_changes)
        self._show(None)

    # -- loading ------------------------------------------------------------------------------

    def start(self) -> None:
        """First load (after the pane is in place)."""
        self.reload()

    def reload(self) -> None:
        """Read the units and the field staff again."""
        spawn(self._load())

    async def _load(self) -> None:
        try:
            units = await self.service.units(self.ctx.actor)
            staff = await self.service.staff(self.ctx.actor)
        except KodError as exc:
            if alive(self):
                self._say(str(exc), error=True)
            return
        if not alive(self):
            return
        self._staff = staff
        self.model.set_units(units)  # the selected unit is selected again (keep_selection)
        in_service = sum(1 for u in units if u.active)
        self.count_label.setText(
            count_text(in_service, self.tr("1 unit in service"), self.tr("%1 units in service"))
            + self.tr(", %1 out of service").replace("%1", str(len(units) - in_service))
        )
        if self.editing is None and not self._dirty():
            self._fill_crew(None)  # a new unit's form: the staff list as it is now
        if self._first_load:
            self._first_load = False
            if units and not self.table.currentIndex().isValid():
                select_row(self.table, 0, COL_CALL_SIGN)

    def idle(self) -> bool:
        """True when no reload is due and nothing is being saved."""
        return not self._reload_timer.isActive() and not self._busy

    def _on_changes(self, changes: ChangeSet) -> None:
        if changes.touches(Entity.UNIT):
            self._reload_timer.start()

    # -- selection and the form ---------------------------------------------------------------

    def selected(self) -> ManagedUnit | None:
        """The unit selected in the list."""
        return current_item(self.table, UnitRole, ManagedUnit)

    def selected_id(self) -> int | None:
        """Id of the selected unit."""
        unit = self.selected()
        return unit.id if unit else None

    def select_unit(self, unit_id: int) -> bool:
        """Select a listed unit (and show it in the form)."""
        return select_row(self.table, self.model.row_of(unit_id), COL_CALL_SIGN)

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        value = self.model.data(current, UnitRole) if current.isValid() else None
        if not isinstance(value, ManagedUnit):
            return
        if self.editing is not None and value.id == self.editing.id and self._dirty():
            return  # reloaded while being edited: keep the edits (saving checks the version)
        self._show(value)

    def _show(self, unit: ManagedUnit | None) -> None:
        self.editing = unit
        self._say("", error=False)
        if unit is None:
            self.heading.setText(self.tr("New unit"))
            self.call_sign.clear()
            self.kind.setCurrentText(KINDS[0])
            self.status.setText(self.tr("2 – at the station (when created)"))
            self.service_label.setText(self.tr("in service once saved"))
            self.service_button.setText(self.tr("Take out of service"))
            self.service_button.setEnabled(False)
        else:
            self.heading.setText(unit.call_sign)
            self.call_sign.setText(unit.call_sign)
            self.kind.setCurrentText(unit.kind)
            self.status.setText(unit_status_display(unit.status) if unit.active else "–")
            self.service_label.setText(
                self.tr("in service") if unit.active else self.tr("out of service (kept)")
            )
            self.service_button.setText(
                self.tr("Take out of service") if unit.active else self.tr("Back into service")
            )
            self.service_button.setEnabled(True)
        self._fill_crew(unit)

    def _fill_crew(self, unit: ManagedUnit | None) -> None:
        on_unit = {m.user_id for m in unit.crew} if unit else set()
        self.crew.blockSignals(True)
        self.crew.clear()
        # This unit's crew first, then who is free, then who is on another unit.
        order = sorted(
            self._staff,
            key=lambda p: (p.user_id not in on_unit, p.unit_id is not None, p.display_name),
        )
        for person in order:
            text = f"{person.display_name or person.username} ({person.username})"
            if person.unit_id is not None and (unit is None or person.unit_id != unit.id):
                text += "  – " + self.tr("now on %1").replace("%1", person.unit_call_sign or "")
            item = QListWidgetItem(text, self.crew)
            item.setData(Qt.ItemDataRole.UserRole, person.user_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = person.user_id in on_unit
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.crew.blockSignals(False)
        self._update_crew_summary()

    def crew_ids(self) -> list[int]:
        """The people ticked in the crew list."""
        return [
            int(self.crew.item(r).data(Qt.ItemDataRole.UserRole))
            for r in range(self.crew.count())
            if self.crew.item(r).checkState() == Qt.CheckState.Checked
        ]

    def _update_crew_summary(self) -> None:
        ticked = set(self.crew_ids())
        staff = [p for p in self._staff if p.user_id in ticked]
        preview = ManagedUnit(0, "", "", True, "2", tuple(_as_crew(p) for p in staff), 1)
        text = crew_text(preview)
        if len(staff) > CREW_MAX:
            self.crew_summary.setStyleSheet(theme.error_style())
            text += " – " + self.tr("at most %1 people").replace("%1", str(CREW_MAX))
        else:
            self.crew_summary.setStyleSheet("")
        self.crew_summary.setText(text)

    def _dirty(self) -> bool:
        unit = self.editing
        if unit is None:
            return bool(self.call_sign.text().strip()) or bool(self.crew_ids())
        return (
            self.call_sign.text() != unit.call_sign
            or self.kind.currentText() != unit.kind
            or set(self.crew_ids()) != {m.user_id for m in unit.crew}
        )

    def _say(self, text: str, error: bool) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(theme.error_style() if error else theme.ok_style())
        self.message.setProperty("error", error)

    # -- actions ------------------------------------------------------------------------------

    def new_unit(self) -> None:
        """Empty the form for a new unit (Ctrl+Shift+U)."""
        self.table.clearSelection()
        self.table.setCurrentIndex(QModelIndex())
        self._show(None)
        self.call_sign.setFocus()

    def save(self) -> None:
        """Create the unit, or save its call sign, kind and crew (Ctrl+Enter)."""
        if not self._busy:
            spawn(self._save(self.editing, self.call_sign.text(), self.kind.currentText()))

    async def _save(self, unit: ManagedUnit | None, call_sign: str, kind: str) -> None:
        actor, crew = self.ctx.actor, self.crew_ids()
        self._set_busy(True)
        try:
            if unit is None:
                unit = await self.service.create(actor, call_sign, kind)
                if crew:
                    unit = await self.service.set_crew(actor, unit.id, crew, unit.version)
                done = self.tr("%1 created.").replace("%1", unit.call_sign)
            else:
                unit = await self.service.rename(actor, unit.id, call_sign, kind, unit.version)
                if set(crew) != {m.user_id for m in unit.crew}:
                    unit = await self.service.set_crew(actor, unit.id, crew, unit.version)
                done = self.tr("%1 saved.").replace("%1", unit.call_sign)
        except ValidationError as exc:
            if alive(self):
                self._fail(str(exc), exc.field)
            return
        except ConflictError:
            if alive(self):
                self._fail(
                    self.tr(
                        "Someone else changed this unit in the meantime; it is shown as it is "
                        "now. Enter your change again."
                    ),
                    None,
                )
                self.editing = None
                self.reload()
            return
        except KodError as exc:
            if alive(self):
                self._fail(str(exc), None)
            return
        finally:
            if alive(self):
                self._set_busy(False)
        if alive(self):
            self.editing = unit
            await self._load()
            self.select_unit(unit.id)
            self._say(done, error=False)

    def toggle_service(self) -> None:
        """Take the selected unit out of service, or put it back (Ctrl+Shift+D)."""
        unit = self.editing
        if unit is None or self._busy:
            return
        spawn(self._toggle(unit))

    async def _toggle(self, unit: ManagedUnit) -> None:
        self._set_busy(True)
        try:
            changed = await self.service.set_active(
                self.ctx.actor, unit.id, not unit.active, unit.version
            )
        except KodError as exc:
            if alive(self):
                self._fail(str(exc), None)
            return
        finally:
            if alive(self):
                self._set_busy(False)
        if alive(self):
            text = (
                self.tr("%1 is in service again.")
                if changed.active
                else self.tr("%1 is out of service; its history is kept.")
            ).replace("%1", changed.call_sign)
            self.editing = changed
            await self._load()
            self.select_unit(changed.id)
            self._say(text, error=False)

    def _fail(self, text: str, field: str | None) -> None:
        self._say(text, error=True)
        target = {"call_sign": self.call_sign, "kind": self.kind, "crew": self.crew}.get(
            field or ""
        )
        if target is not None:
            target.setFocus()
            if isinstance(target, QLineEdit):
                target.selectAll()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.save_button.setEnabled(not busy)
        self.service_button.setEnabled(not busy and self.editing is not None)

    def focus_main(self) -> None:
        """Keyboard focus where work starts: the list (first row selected)."""
        self.table.setFocus()
        if not self.table.currentIndex().isValid() and self.model.rowCount() > 0:
            select_row(self.table, 0, COL_CALL_SIGN)


def _as_crew(person: StaffMember) -> CrewMember:
    return CrewMember(person.user_id, person.username, person.display_name, utcnow())


def install(window: MainWindow) -> UnitAdminPane | None:
    """Add the unit management for roles that may manage units (shift lead, administration).

    With the unit status board present (shift lead) it is a tab behind the queue; otherwise
    (administration) it takes the upper part of the window, the audit chain check below.
    """
    ctx = window.ctx
    if not ctx.can(Permission.UNIT_MANAGE):
        return None
    pane = UnitAdminPane(ctx, window)
    title = QCoreApplication.translate("UnitAdminPane", "Unit management")
    dock = window.add_pane("unit_admin", title, pane, Qt.DockWidgetArea.LeftDockWidgetArea)
    queue, units, audit = (window.docks.get(k) for k in ("queue", "units", "audit"))
    if units is not None and queue is not None and not queue.isHidden():
        # Shift lead: a tab behind the queue (wide enough for list and form), so the unit
        # board stays in sight and shows every change made here.
        window.tabifyDockWidget(queue, dock)
        queue.raise_()
    elif audit is not None:
        # Administration: the units over the whole width, the audit chain check under them.
        window.splitDockWidget(dock, audit, Qt.Orientation.Vertical)
        earlier = window.apply_default_sizes

        def sizes() -> None:
            if earlier is not None:
                earlier()
            height = window.height()
            window.resizeDocks(
                [dock, audit], [height * 7 // 10, height * 3 // 10], Qt.Orientation.Vertical
            )

        window.apply_default_sizes = sizes
    window.navigator.add_pane("unit_admin", pane.focus_main, pane.select_unit, pane.model)
    window.commands.bind("go.unit_admin", lambda: window.navigator.go_to("unit_admin"))
    window.commands.list_keys("unit_admin.new", "unit_admin.save", "unit_admin.service")
    window.when_started(pane.start)
    return pane
