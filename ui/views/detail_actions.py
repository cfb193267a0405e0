"""The questions the incident detail asks: close (outcome), reopen (reason), and what to do
with unsaved edits before another incident is shown. The writes go through the session's
conflict loop."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.domain.codes import outcome_label
from app.domain.dto import IncidentDetail
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.dialogs.incident_actions import CloseIncidentDialog, ReopenIncidentDialog
from ui.incident_session import IncidentEditSession, retire


class IncidentActionFlows(QObject):
    """Opens the dialogs over ``host`` and carries out what the user chose."""

    #: Switch to this incident (the user saved or discarded the edits of the shown one).
    switchConfirmed = Signal(int)
    #: The user kept editing instead of switching to another incident (id still shown).
    switchCancelled = Signal(int)

    def __init__(self, ctx: UiContext, session: IncidentEditSession, host: QWidget) -> None:
        super().__init__(host)
        self._ctx = ctx
        self._session = session
        self._host = host
        self._pending_switch: int | None = None
        self.switch_box: QMessageBox | None = None
        self.close_dialog: CloseIncidentDialog | None = None
        self.reopen_dialog: ReopenIncidentDialog | None = None

    # -- closing and reopening ----------------------------------------------------------------

    async def close_flow(self) -> None:
        """Save unsaved field edits, then ask for the outcome and close."""
        session = self._session
        if session.has_unsaved_changes() and not await session.save_async():
            return
        if session.detail is None or session.is_closed():
            return
        dialog = CloseIncidentDialog(session.detail, self._host)
        retire(self.close_dialog)
        self.close_dialog = dialog
        base = session.detail
        dialog.submitted.connect(
            lambda outcome, note: spawn(self._do_close(dialog, base, outcome, note))
        )
        dialog.open()

    async def _do_close(
        self, dialog: CloseIncidentDialog | None, base: IncidentDetail, outcome: str, note: str
    ) -> None:
        svc, actor = self._ctx.services.incidents, self._ctx.actor
        await self._session.run_action(
            dialog,
            base,
            lambda b: svc.close(actor, b.id, b.version, outcome, note),
            self.tr("close the incident with the outcome “%1”").replace(
                "%1", outcome_label(outcome)
            ),
            self.tr("Close anyway"),
            lambda cur: self._do_close(None, cur, outcome, note),
        )

    def reopen_flow(self) -> None:
        """Ask for the reason and reopen."""
        detail = self._session.detail
        if detail is None:
            return
        dialog = ReopenIncidentDialog(detail, self._host)
        retire(self.reopen_dialog)
        self.reopen_dialog = dialog
        dialog.submitted.connect(lambda reason: spawn(self._do_reopen(dialog, detail, reason)))
        dialog.open()

    async def _do_reopen(
        self, dialog: ReopenIncidentDialog | None, base: IncidentDetail, reason: str
    ) -> None:
        svc, actor = self._ctx.services.incidents, self._ctx.actor
        await self._session.run_action(
            dialog,
            base,
            lambda b: svc.reopen(actor, b.id, b.version, reason),
            self.tr("reopen the incident (reason: %1)").replace("%1", reason),
            self.tr("Reopen anyway"),
            lambda cur: self._do_reopen(None, cur, reason),
        )

    # -- switching with unsaved edits ---------------------------------------------------------

    def ask_before_switch(self, incident_id: int) -> None:
        """The user edited the shown incident: save, discard or keep editing?"""
        self._pending_switch = incident_id
        if self.switch_box is not None and self.switch_box.isVisible():
            return
        detail = self._session.detail
        assert detail is not None
        box = QMessageBox(self._host)
        box.setObjectName("UnsavedChangesDialog")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Unsaved changes"))
        box.setText(
            self.tr("You changed incident %1 without saving. Save the changes?").replace(
                "%1", detail.number
            )
        )
        save = box.addButton(self.tr("Save"), QMessageBox.ButtonRole.AcceptRole)
        save.setObjectName("switchSave")
        discard = box.addButton(self.tr("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        discard.setObjectName("switchDiscard")
        keep = box.addButton(self.tr("Keep editing"), QMessageBox.ButtonRole.RejectRole)
        keep.setObjectName("switchKeep")
        box.setDefaultButton(save)
        box.setEscapeButton(keep)

        def chosen(button: object) -> None:
            target = self._pending_switch
            self._pending_switch = None
            if target is None:
                return
            if button is save:
                spawn(self._save_then_switch(target))
            elif button is discard:
                self.switchConfirmed.emit(target)
            elif self._session.incident_id is not None:
                self.switchCancelled.emit(self._session.incident_id)

        box.buttonClicked.connect(chosen)
        self.switch_box = box
        box.open()

    async def _save_then_switch(self, target: int) -> None:
        if await self._session.save_async():
            self.switchConfirmed.emit(target)
        elif self._session.incident_id is not None:
            self.switchCancelled.emit(self._session.incident_id)
