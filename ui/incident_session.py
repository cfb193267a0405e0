"""Editing one incident against the database: load, live refresh, save, and the conflict loop.

Edits are saved with the version they started from; when someone else changed the incident in
the meantime the service refuses (``ConflictError``). If only things the user did not touch
moved on (units, status, notes, other fields) the session saves again on the newer version,
overwriting nothing; otherwise :class:`ConflictDialog` shows both sides. Saving fields, closing
and reopening all go through this one loop. Live changes from other workstations refresh the
pane at once, but never overwrite what the user is typing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.domain.changes import ChangeSet, Entity
from app.domain.codes import IncidentStatus
from app.domain.dto import IncidentDetail
from app.platform.errors import ConflictError, ValidationError
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.dialogs.confirm import ActionDialog
from ui.dialogs.incident_conflict import (
    CONTEXT_FIELDS,
    DETAIL_FIELDS,
    ConflictDialog,
    changed_fields,
)
from ui.views.detail_fields import ChangeNotice, IncidentFieldsForm

#: Milliseconds to collect live changes before the incident is read again.
REFRESH_DELAY_MS = 100


def retire(dialog: QWidget | None) -> None:
    """Delete a finished dialog once the next one of its kind replaces it."""
    if dialog is not None:
        with contextlib.suppress(RuntimeError):  # already gone with its parent
            dialog.deleteLater()


def freshness(detail: IncidentDetail) -> tuple[int, int]:
    """Order of two reads of one incident: the version, then the newest journal line."""
    return (detail.version, max((j.id for j in detail.journal), default=0))


@dataclass(frozen=True)
class Attempt:
    """What a versioned write came to: ``saved`` or, on a real conflict, None and both sides."""

    saved: IncidentDetail | None
    base: IncidentDetail
    current: IncidentDetail


class IncidentEditSession(QObject):
    """The state of one shown incident and every write to it (see the module docstring).

    ``form`` shows and collects the fields, ``notice`` names changes from elsewhere; dialogs
    open over ``host``.
    """

    #: A new state was applied (after load, live refresh, save or action).
    applied = Signal(object)  # IncidentDetail
    #: A newly selected incident has been loaded and shown (id).
    incidentShown = Signal(int)
    #: Field edits were saved.
    saved = Signal(object)  # IncidentDetail
    #: A conflict dialog was opened.
    conflictShown = Signal(object)  # ConflictDialog
    #: Saving or writing a note started or ended.
    busyChanged = Signal()
    #: A note was stored (its text).
    noteAdded = Signal(str)

    def __init__(
        self,
        ctx: UiContext,
        form: IncidentFieldsForm,
        notice: ChangeNotice,
        host: QWidget,
    ) -> None:
        super().__init__(host)
        self._ctx = ctx
        self._form = form
        self._notice = notice
        self._host = host
        self.incident_id: int | None = None
        #: The newest state read.
        self.detail: IncidentDetail | None = None
        #: The state the field edits started from (its version is sent on save).
        self.base: IncidentDetail | None = None
        self.saving = False
        self.note_busy = False
        self.conflict_dialog: ConflictDialog | None = None
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        ctx.bridge.changes.connect(self.on_changes)

    # -- state --------------------------------------------------------------------------------

    def is_shown(self) -> bool:
        """True when an incident is loaded and shown."""
        return self.detail is not None and self.detail.id == self.incident_id

    def is_closed(self) -> bool:
        """True when the shown incident is closed."""
        return self.detail is not None and self.detail.status == IncidentStatus.CLOSED

    def edited_changes(self) -> dict[str, Any]:
        """The fields the user changed since :attr:`base`, with their new values."""
        return self._form.edited_changes(self.base)

    def has_unsaved_changes(self) -> bool:
        """True while the form holds edits that are not saved."""
        return bool(self.edited_changes())

    # -- loading ------------------------------------------------------------------------------

    def load(self, incident_id: int) -> None:
        """Start showing ``incident_id`` (its state arrives with :attr:`applied`)."""
        self.incident_id = incident_id
        self.detail = None
        self.base = None
        self._notice.hide()
        self.refresh()

    def refresh(self) -> None:
        """Read the shown incident again (live updates call this in batches)."""
        if self.incident_id is None:
            return
        spawn(
            self._ctx.services.incidents.get(self._ctx.actor, self.incident_id),
            on_done=self._fetched,
        )

    def _fetched(self, detail: IncidentDetail) -> None:
        if detail.id != self.incident_id:
            return  # another incident was selected meanwhile
        first = self.detail is None
        self.apply_detail(detail)
        if first:
            self.incidentShown.emit(detail.id)

    def on_changes(self, changes: ChangeSet) -> None:
        """Changes from any workstation: refresh soon if the shown incident is among them."""
        if self.incident_id is None:
            return
        if (
            changes.touches(Entity.INCIDENT, self.incident_id)
            and not self._refresh_timer.isActive()
        ):
            self._refresh_timer.start()

    def apply_detail(self, detail: IncidentDetail, *, replace_fields: bool = False) -> None:
        """Show ``detail``; the user's unsaved field edits are kept (see module docstring)."""
        if detail.id != self.incident_id:
            return
        if (
            self.detail is not None
            and self.detail.id == detail.id
            and freshness(detail) < freshness(self.detail)
        ):
            detail = self.detail  # an older read finished late: keep the newer state
        self.detail = detail
        if self.saving:
            pass  # the save decides about the fields when it returns
        elif replace_fields or self.base is None or not self.has_unsaved_changes():
            self.base = detail
            self._fill(detail)
            self._notice.hide()
        else:
            theirs = changed_fields(self.base, detail)
            if set(theirs) & set(self.edited_changes()):
                # Both changed the same field: keep the old base so that saving shows both.
                self._notice.show_fields(theirs)
            else:
                # Nothing the user is editing was touched (only other fields, units, status or
                # notes): take the new version and show the other fields' new values; the
                # user's edits stay and saving on top of it overwrites nothing of anyone else.
                self.base = detail
                if theirs:
                    self._fill(detail, theirs)
                    self._notice.show_fields(theirs, taken_over=True)
        self.applied.emit(detail)

    def _fill(self, detail: IncidentDetail, fields: list[str] | None = None) -> None:
        self._form.fill(detail, fields)
        self._form.mark_modified(self.edited_changes())

    def revert(self) -> None:
        """Discard the user's field edits and show the newest data."""
        if self.detail is None:
            return
        self._notice.hide()
        self.apply_detail(self.detail, replace_fields=True)
        self.refresh()

    # -- the conflict loop --------------------------------------------------------------------

    async def attempt(
        self,
        base: IncidentDetail,
        call: Callable[[IncidentDetail], Awaitable[IncidentDetail]],
        fields: tuple[str, ...],
    ) -> Attempt:
        """Run ``call(base)``; if the version is stale but none of ``fields`` differ, run it
        again on the newer version (nothing of anyone else is overwritten)."""
        svc = self._ctx.services.incidents
        while True:
            try:
                saved = await call(base)
            except ConflictError as exc:
                current = exc.current
                if not isinstance(current, IncidentDetail):
                    current = await svc.get(self._ctx.actor, base.id)
                if changed_fields(base, current, fields):
                    return Attempt(None, base, current)
                base = current
                continue
            return Attempt(saved, base, saved)

    def _set_saving(self, saving: bool) -> None:
        self.saving = saving
        self.busyChanged.emit()

    # -- saving fields ------------------------------------------------------------------------

    def save(self) -> None:
        """Save the changed fields; a stale version opens the conflict dialog."""
        if self.is_shown() and not self.saving:
            spawn(self.save_async())

    async def save_async(self) -> bool:
        """Save; True if nothing is left unsaved (False on a conflict or refusal)."""
        changes = self.edited_changes()
        if not changes or self.base is None:
            return True
        self._set_saving(True)
        try:
            return await self._send(self.base, changes)
        finally:
            self._set_saving(False)

    async def _send(
        self, base: IncidentDetail, changes: dict[str, Any], replace_fields: bool = False
    ) -> bool:
        svc, actor = self._ctx.services.incidents, self._ctx.actor
        try:
            result = await self.attempt(
                base, lambda b: svc.update(actor, b.id, b.version, changes), DETAIL_FIELDS
            )
        except ValidationError as exc:
            self._form.focus_field(exc.field)
            raise
        if result.saved is None:
            self.open_conflict(result.base, result.current, changes)
            return False
        self.saving = False
        self.base = result.saved
        self.apply_detail(result.saved, replace_fields=replace_fields)
        self._form.mark_modified(self.edited_changes())
        self.saved.emit(result.saved)
        return True

    async def _reapply(self, current: IncidentDetail, mine: dict[str, Any]) -> None:
        self._set_saving(True)
        try:
            # The fields the user did not touch take the current values (someone else's).
            await self._send(current, mine, replace_fields=True)
        finally:
            self._set_saving(False)

    def open_conflict(
        self,
        base: IncidentDetail,
        current: IncidentDetail,
        mine: dict[str, Any],
        action: str | None = None,
        reapply_text: str | None = None,
        reapply: Callable[[IncidentDetail], Coroutine[Any, Any, None]] | None = None,
    ) -> ConflictDialog:
        """Show both sides; ``reapply`` (a coroutine factory) replaces the field re-apply."""
        self.apply_detail(current)
        dialog = ConflictDialog(base, current, mine, action, reapply_text, self._host)
        retire(self.conflict_dialog)
        self.conflict_dialog = dialog

        def reload() -> None:
            latest = self.detail if self.detail is not None else current
            if freshness(current) > freshness(latest):
                latest = current
            self._notice.hide()
            self.apply_detail(latest, replace_fields=True)
            self.refresh()

        def again() -> None:
            if reapply is not None:
                spawn(reapply(current))
            else:
                spawn(self._reapply(current, mine))

        dialog.reloadRequested.connect(reload)
        dialog.reapplyRequested.connect(again)
        dialog.open()
        self.conflictShown.emit(dialog)
        return dialog

    # -- closing and reopening ----------------------------------------------------------------

    async def run_action(
        self,
        dialog: ActionDialog | None,
        base: IncidentDetail,
        call: Callable[[IncidentDetail], Awaitable[IncidentDetail]],
        action: str,
        reapply_text: str,
        again: Callable[[IncidentDetail], Coroutine[Any, Any, None]],
    ) -> None:
        """Close or reopen through the conflict loop; ``dialog`` shows a refusal."""
        try:
            result = await self.attempt(base, call, DETAIL_FIELDS + CONTEXT_FIELDS)
        except ValidationError as exc:
            if dialog is not None and dialog.isVisible():
                dialog.show_error(str(exc))
                return
            raise
        if dialog is not None:
            dialog.accept()
        if result.saved is None:
            self.open_conflict(result.base, result.current, {}, action, reapply_text, again)
            return
        self.apply_detail(result.saved)

    # -- notes and units ----------------------------------------------------------------------

    def add_note(self, text: str) -> None:
        """Append ``text`` to the journal (notes never conflict); :attr:`noteAdded` follows."""
        if not self.is_shown() or self.note_busy or self.incident_id is None:
            return
        self.note_busy = True
        self.busyChanged.emit()
        spawn(self._add_note(self.incident_id, text))

    async def _add_note(self, incident_id: int, text: str) -> None:
        try:
            detail = await self._ctx.services.incidents.add_note(self._ctx.actor, incident_id, text)
        finally:
            self.note_busy = False
            self.busyChanged.emit()
        self.noteAdded.emit(text)
        self.apply_detail(detail)

    def confirm_unit(self, unit_id: int) -> None:
        """The alarmed unit confirmed by radio (status 3)."""
        if self.incident_id is not None:
            spawn(
                self._ctx.services.incidents.confirm_unit(
                    self._ctx.actor, self.incident_id, unit_id
                ),
                on_done=self.apply_detail,
            )

    def unit_arrived(self, unit_id: int) -> None:
        """The unit reports on scene (status 4)."""
        if self.incident_id is not None:
            spawn(
                self._ctx.services.incidents.unit_arrived(
                    self._ctx.actor, self.incident_id, unit_id
                ),
                on_done=self.apply_detail,
            )

    def release_unit(self, unit_id: int, new_status: str) -> None:
        """Release a unit from the incident to status 1 or 2."""
        if self.incident_id is not None:
            spawn(
                self._ctx.services.incidents.release_unit(
                    self._ctx.actor, self.incident_id, unit_id, new_status
                ),
                on_done=self.apply_detail,
            )
