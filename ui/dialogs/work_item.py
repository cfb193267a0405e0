"""The edit form of one work item (Auftrag, Meldung): create it, or save the fields the user
changed; when someone else saved first, say what they changed and offer their version.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

from PySide6.QtWidgets import QWidget

from app.platform.errors import ConflictError
from ui.context import UiContext
from ui.dialogs.work_common import WorkFormDialog


class Versioned(Protocol):
    """A work item row: id and the version a save expects."""

    @property
    def id(self) -> int: ...

    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=Versioned)


class WorkItemDialog(WorkFormDialog, Generic[R]):
    """New (``item`` None) or edit one work item.

    Subclasses set :attr:`row_type` and :attr:`compared_fields`, build the form, call
    :meth:`add_reload_button` where the button belongs in the tab order, and implement
    :meth:`fill`, :meth:`values`, :meth:`field_labels`, :meth:`create_item` and
    :meth:`update_item`.
    """

    #: The row dataclass the service returns (a conflict carries the current one).
    row_type: type[R]
    #: Fields compared to tell the user what someone else changed.
    compared_fields: tuple[str, ...] = ()

    def __init__(self, ctx: UiContext, item: R | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        #: The state the user started editing from (their edits are the differences to it).
        self.base = item
        #: The version a save expects (moves to the newer one after a conflict).
        self.expected_version = item.version if item is not None else 0
        self._current: R | None = None

    def add_reload_button(self) -> None:
        """The hidden "Load their version" button a conflict shows."""
        self.reload_button = self.add_extra_button(self.tr("&Load their version"), "reloadButton")
        self.reload_button.hide()
        self.reload_button.clicked.connect(self._load_current)

    # -- to be provided by subclasses ----------------------------------------------------------

    def fill(self, item: R) -> None:
        """Show the values of ``item``."""
        raise NotImplementedError

    def values(self) -> dict[str, Any]:
        """The form as the item's fields."""
        raise NotImplementedError

    def field_labels(self) -> dict[str, str]:
        """Field name -> label, to name what someone else changed."""
        raise NotImplementedError

    async def create_item(self, values: dict[str, Any]) -> Any:
        """Create the item from the form's ``values``; return the saved row."""
        raise NotImplementedError

    async def update_item(self, item_id: int, version: int, changes: dict[str, Any]) -> Any:
        """Save ``changes`` to the item expecting ``version``; return the saved row."""
        raise NotImplementedError

    # -- saving --------------------------------------------------------------------------------

    def unchanged(self, field: str, old: Any, new: Any) -> bool:
        """True if the form's ``new`` value keeps the stored ``old`` one."""
        return bool(old == new)

    def changes(self) -> dict[str, Any]:
        """Fields that differ from the version being edited."""
        assert self.base is not None
        base = self.base
        return {
            key: value
            for key, value in self.values().items()
            if not self.unchanged(key, getattr(base, key), value)
        }

    async def submit(self) -> Any:
        if self.base is None:
            return await self.create_item(self.values())
        changes = self.changes()
        if not changes:
            return self.base
        return await self.update_item(self.base.id, self.expected_version, changes)

    def unnamed_change(self) -> str:
        """What to name when none of :attr:`compared_fields` changed."""
        return "–"

    def on_conflict(self, exc: ConflictError) -> None:
        current = exc.current
        if not isinstance(current, self.row_type) or self.base is None:
            self.show_error(str(exc))
            return
        changed = [f for f in self.compared_fields if getattr(self.base, f) != getattr(current, f)]
        labels = self.field_labels()
        names = ", ".join(labels.get(f, f) for f in changed) or self.unnamed_change()
        self.show_error(
            str(exc)
            + "\n"
            + self.tr(
                "Changed meanwhile: %1. Save again to put your entries over them, or load "
                "their version."
            ).replace("%1", names)
        )
        # Saving again now re-applies the user's own edits deliberately over the newer version.
        self.expected_version = current.version
        self._current = current
        self.reload_button.show()

    def _load_current(self) -> None:
        if self._current is not None:
            self.fill(self._current)
            self.base = self._current
            self.expected_version = self._current.version
            self.message.hide()
            self.reload_button.hide()
