"""What every pane needs: the services, the logged-in user and the live change signals."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from app.domain.dto import ChangeBatch
from app.platform.changefeed import ChangeFollower, LinkStatus
from app.platform.permissions import Permission, allowed
from app.platform.uow import Actor
from app.services import Services


class ChangeBridge(QObject):
    """Turns the Qt-free change-feed signals into Qt signals."""

    changes = Signal(object)  # ChangeBatch
    link = Signal(object)  # LinkStatus

    def __init__(self, follower: ChangeFollower | None = None) -> None:
        super().__init__()
        self.follower = follower
        if follower is not None:
            follower.changes.connect(self._on_changes)
            follower.link.connect(self._on_link)

    def _on_changes(self, batch: ChangeBatch) -> None:
        self.changes.emit(batch)

    def _on_link(self, status: LinkStatus) -> None:
        self.link.emit(status)


@dataclass
class UiContext:
    """Shared by all panes of one workstation window."""

    services: Services
    actor: Actor
    bridge: ChangeBridge

    def can(self, permission: Permission) -> bool:
        """True if the logged-in role holds ``permission`` (for enabling actions only)."""
        return allowed(self.actor.role, permission)
