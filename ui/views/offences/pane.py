"""The offence cases of the Sachbearbeitung: open cases by days left, one case in detail.

The list shows every open case, the one running out first on top; cases within the warning
period (setting ``offences.warn_days``) are marked, and the header says how many there are, so
nothing runs out unseen. The detail shows the case with its catalogue revision, the limitation
and the rule behind it, and its history. Alt+Enter offers the next steps the workflow allows
(numbered, so 1–6 picks one); the buttons do the same for the mouse. New case: Ctrl+Shift+O.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from app.domain.changes import ChangeSet, Entity
from app.domain.dto import IncidentDetail
from app.domain.offences.cases import NEXT, CaseEvent, CaseInfo, CaseStatus, status_label
from app.platform.errors import KodError
from app.platform.i18n import count_text
from app.platform.permissions import Permission
from app.platform.timeutil import local, utcnow
from app.services.offence_evidence import EvidenceItem
from ui import theme
from ui.asyncutil import spawn
from ui.commands import pane_action
from ui.context import UiContext
from ui.models.offence_cases import (
    COL_DAYS,
    COL_LAST_DAY,
    COL_NUMBER,
    COL_OFFENCE,
    COL_WHEN,
    CaseRole,
    OffenceCaseTableModel,
)
from ui.models.work_table import alive
from ui.views.flow_layout import FlowLayout
from ui.views.list_detail import ListDetailPane, header
from ui.views.offences.detail import OffenceCaseDetail
from ui.views.offences.dialogs import (
    CaptureCaseDialog,
    CautionDialog,
    DiscontinueDialog,
    HearingDialog,
)
from ui.views.offences.printing import print_menu
from ui.views.offences.recording import LinkRecordingDialog
from ui.views.offences.witness import WitnessDialog
from ui.views.work_table_view import WorkTableView, current_item, keep_selection, select_row

#: The selection rests this long before the full case is read (arrowing through the list
#: reads, and for other roles audits, only where the user stops).
DETAIL_DELAY_MS = 250
#: The steps in menu order (their number is the key in the step menu).
STEPS = (
    CaseStatus.CHECKED,
    CaseStatus.CAUTION,
    CaseStatus.PAID,
    CaseStatus.HEARING,
    CaseStatus.HANDED_OVER,
    CaseStatus.DISCONTINUED,
)


class OffenceCasePane(ListDetailPane):
    """List and detail of the open offence cases."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "OffenceCasePane", "offenceMessage", parent)
        self.can_write = ctx.can(Permission.OFFENCE_WRITE)
        self.can_export = ctx.can(Permission.OFFENCE_READ)
        #: Taking a recording as evidence proposes a hold on it: both rights are needed.
        self.can_link = self.can_write and ctx.can(Permission.RECORDING_HOLD)
        self.preview_dialog: QWidget | None = None
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(DETAIL_DELAY_MS)
        self._detail_timer.timeout.connect(self._load_detail)

        self.model = OffenceCaseTableModel(self)
        self.table = self.work_table("offenceTable", self.model, COL_OFFENCE, 220)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.warning = QLabel(self)
        self.warning.setObjectName("offenceWarning")
        self.warning.setWordWrap(True)
        self.count_label = QLabel(self)
        # Loaded counts never widen the pane (and with it the docks tabbed beside it).
        self.count_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.count_label.setObjectName("offenceCount")
        self.new_button = QPushButton(self.tr("New case …"), self)
        self.new_button.setObjectName("offenceNew")
        self.new_button.setVisible(self.can_write)
        self.new_button.clicked.connect(self.new_case)

        self.detail = OffenceCaseDetail(self.can_write, self, self.can_link)
        # The detail's parts, as the pane's (tests and the print menu reach them here).
        self.heading, self.fields = self.detail.heading, self.detail.fields
        self.history, self.evidence = self.detail.history, self.detail.evidence
        self.witness_button = self.detail.witness_button
        self.witness_button.clicked.connect(self.add_witness)
        self.detail.recording_button.clicked.connect(self.link_recording)
        self.step_buttons: dict[CaseStatus, QPushButton] = {}
        # The buttons wrap in a narrow pane: their row never widens the docks around it.
        steps = FlowLayout()
        for number, status in enumerate(STEPS, start=1):
            button = QPushButton(f"{number} " + self._step_text(status), self)
            button.setObjectName(f"offenceStep_{status.value}")
            button.clicked.connect(lambda _c=False, s=status: self.step(s))
            button.setVisible(self.can_write)
            steps.addWidget(button)
            self.step_buttons[status] = button
        self.print_button = QPushButton(self.tr("Print …"), self)
        self.print_button.setObjectName("offencePrint")
        self.print_button.clicked.connect(lambda: print_menu(self))
        steps.addWidget(self.print_button)
        hint = QLabel(
            self.tr(
                "Ctrl+Shift+O new case · Alt+Enter next step (1–6) · Ctrl+P print · "
                "the list follows every change"
            ),
            self,
        )
        hint.setStyleSheet(theme.hint_style())

        left = self.part(
            header(self.new_button, None, self.count_label), self.warning, (self.table, 1)
        )
        right = self.part((self.detail, 1), self.message, steps)
        # The list gets three fifths.
        self.arrange(Qt.Orientation.Horizontal, (left, right), (hint,), share=(3, 2))

        self.step_action = pane_action("offences.step", self, self.show_step_menu)
        self.print_action = pane_action("offences.print", self, lambda: print_menu(self))
        if self.can_link:
            pane_action("offences.link_recording", self, self.link_recording)
        self.follow_current(self.table, self._on_current)
        keep_selection(self.model, self.selected_id, self.select_case)
        ctx.bridge.changes.connect(self._on_changes)
        self._show(None)

    # -- loading ------------------------------------------------------------------------------

    async def _load(self) -> None:
        self._busy = True
        try:
            cases = await self.ctx.services.offences.by_days_left(self.ctx.actor)
            warn_days = int(await self.ctx.services.settings.get("offences.warn_days"))
        except KodError as exc:
            if alive(self):
                self.say(str(exc), error=True)
            return
        finally:
            self._busy = False
        if not alive(self):
            return
        today = local(utcnow()).date()
        first_load = self.model.rowCount() == 0
        self.model.set_cases(cases, today, warn_days)
        if first_load and cases:
            for column in (COL_NUMBER, COL_WHEN, COL_LAST_DAY, COL_DAYS):
                self.table.resizeColumnToContents(column)
        self.count_label.setText(
            count_text(len(cases), self.tr("1 open case"), self.tr("%1 open cases"))
        )
        running_out = self.model.running_out()
        if running_out:
            first = running_out[0]
            self.warning.setText(
                count_text(
                    len(running_out),
                    self.tr("1 case runs out within the warning period"),
                    self.tr("%1 cases run out within the warning period"),
                )
                + self.tr(" (%1 days)").replace("%1", str(warn_days))
                + " – "
                + self.tr("first: %1 on %2")
                .replace("%1", first.number)
                .replace("%2", first.limitation_date.strftime("%d.%m.%Y"))
            )
            self.warning.setStyleSheet(theme.notice_style())
            self.warning.show()
        else:
            self.warning.hide()
        if cases and not self.table.currentIndex().isValid():
            select_row(self.table, 0, COL_NUMBER)
        elif not cases:
            self._show(None)

    def idle(self) -> bool:
        """True when no reload is due or running."""
        return super().idle() and not self._detail_timer.isActive()

    def _on_changes(self, changes: ChangeSet) -> None:
        if changes.touches(Entity.OFFENCE) or changes.touches(Entity.CATALOGUE):
            self._reload_timer.start()

    # -- selection and detail -----------------------------------------------------------------

    def selected(self) -> CaseInfo | None:
        """The case selected in the list."""
        return current_item(self.table, CaseRole, CaseInfo)

    def selected_id(self) -> int | None:
        """Id of the selected case."""
        case = self.selected()
        return case.id if case else None

    def select_case(self, case_id: int) -> bool:
        """Select a listed case."""
        return select_row(self.table, self.model.row_of(case_id), COL_NUMBER)

    def focus_main(self) -> None:
        """Put the keyboard in the list."""
        self.table.setFocus()

    def _on_current(self, _table: WorkTableView, current: QModelIndex) -> None:
        value = self.model.data(current, CaseRole) if current.isValid() else None
        self._show(value if isinstance(value, CaseInfo) else None)
        # The full case (with the person, audited for other roles) once the selection rests.
        self._detail_timer.start()

    def _load_detail(self) -> None:
        case_id = self.selected_id()
        if case_id is not None:
            spawn(self._fetch_detail(case_id))

    async def _fetch_detail(self, case_id: int) -> None:
        offences = self.ctx.services.offences
        try:
            case = await offences.case(self.ctx.actor, case_id)
            events = await offences.history(self.ctx.actor, case_id)
            items = await offences.evidence(self.ctx.actor, case_id)
        except KodError as exc:
            if alive(self):
                self.say(str(exc), error=True)
            return
        if not alive(self) or self.selected_id() != case_id:
            return
        self._show(case, events, items)

    def add_witness(self) -> None:
        """Record a witness of the selected case."""
        case = self.selected()
        if case is not None and self.can_write and case.anonymised_at is None:
            self._open(WitnessDialog(self.ctx, case, self))

    def link_recording(self) -> None:
        """Take a bodycam recording as evidence of the selected case (proposes a hold)."""
        case = self.selected()
        if case is not None and self.can_link and case.anonymised_at is None:
            self._open(LinkRecordingDialog(self.ctx, case, self))

    def _show(
        self,
        case: CaseInfo | None,
        events: Sequence[CaseEvent] = (),
        evidence: Sequence[EvidenceItem] = (),
    ) -> None:
        self.detail.show_case(case, events, evidence)
        allowed = NEXT[case.status] if case is not None else frozenset()
        for status, button in self.step_buttons.items():
            button.setEnabled(status in allowed)
        self.print_button.setEnabled(case is not None)

    # -- steps --------------------------------------------------------------------------------

    def _step_text(self, status: CaseStatus) -> str:
        return {
            CaseStatus.CHECKED: self.tr("Checked"),
            CaseStatus.CAUTION: self.tr("Verwarnung …"),
            CaseStatus.PAID: self.tr("Payment received"),
            CaseStatus.HEARING: self.tr("Hearing notice sent …"),
            CaseStatus.HANDED_OVER: self.tr("Hand over to the Bußgeldstelle"),
            CaseStatus.DISCONTINUED: self.tr("Discontinue …"),
        }[status]

    def show_step_menu(self, at: QPoint | None = None) -> QMenu | None:
        """The steps the workflow allows for the selected case, numbered 1–6."""
        case = self.selected()
        if case is None or not self.can_write:
            return None
        menu = QMenu(self)
        menu.setObjectName("offenceStepMenu")
        for number, status in enumerate(STEPS, start=1):
            action = QAction(f"&{number} " + self._step_text(status), menu)
            action.setEnabled(status in NEXT[case.status])
            action.triggered.connect(lambda _c=False, s=status: self.step(s))
            menu.addAction(action)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        if at is None:
            rect = self.table.visualRect(self.table.currentIndex())
            at = self.table.viewport().mapToGlobal(rect.bottomLeft())
        menu.popup(at)
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        self.show_step_menu(self.table.viewport().mapToGlobal(pos))

    def step(self, status: CaseStatus) -> None:
        """Take the selected case to ``status`` (asking what the step needs)."""
        case = self.selected()
        if case is None or status not in NEXT[case.status] or not self.can_write:
            return
        if status is CaseStatus.CAUTION:
            self._open(CautionDialog(self.ctx, case, self))
        elif status is CaseStatus.HEARING:
            self._open(HearingDialog(self.ctx, case, self))
        elif status is CaseStatus.DISCONTINUED:
            self._open(DiscontinueDialog(self.ctx, case, self))
        else:
            spawn(self._plain_step(case, status))

    async def _plain_step(self, case: CaseInfo, status: CaseStatus) -> None:
        offences = self.ctx.services.offences
        try:
            if status is CaseStatus.CHECKED:
                done = await offences.mark_checked(self.ctx.actor, case.id, case.version)
            elif status is CaseStatus.PAID:
                done = await offences.record_payment(self.ctx.actor, case.id, case.version)
            else:
                done = await offences.hand_over(self.ctx.actor, case.id, case.version)
        except KodError as exc:
            if alive(self):
                self.say(str(exc), error=True)
            return
        if alive(self):
            self._after_save(done)

    def new_case(self, incident: IncidentDetail | None = None) -> None:
        """Open the capture dialog (for ``incident``: its place and time proposed, linked)."""
        if self.can_write:
            self._open(CaptureCaseDialog(self.ctx, self, incident=incident))

    def _after_save(self, case: object) -> None:
        if not isinstance(case, CaseInfo):
            return
        dialog = self.dialog
        if isinstance(dialog, CaptureCaseDialog) and dialog.then_caution:
            # Captured with a Verwarnung given on the spot: its dialog comes next.
            QTimer.singleShot(0, lambda: self._open(CautionDialog(self.ctx, case, self)))
        self.say(
            self.tr("%1: %2").replace("%1", case.number).replace("%2", status_label(case.status)),
            error=False,
        )
        spawn(self._reload_and_select(case.id))

    async def _reload_and_select(self, case_id: int) -> None:
        await self._load()
        if alive(self) and not self.select_case(case_id):
            self._show(None)
