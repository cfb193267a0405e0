"""What every pane needs: the services, the logged-in user and the live change signals."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from app.domain.changes import ChangeSet
from app.domain.dto import ChangeBatch
from app.platform.changefeed import ChangeFollower, LinkStatus
from app.platform.permissions import Permission, allowed
from app.platform.uow import Actor
from app.services import Services


class ChangeBridge(QObject):
    """Turns the Qt-free change-feed signals into Qt signals.

    Panes receive every delivery as one typed :class:`ChangeSet` (entity enum plus a "reload
    everything" flag), never the feed's raw rows.
    """

    changes = Signal(object)  # ChangeSet
    link = Signal(object)  # LinkStatus

    def __init__(self, follower: ChangeFollower | None = None) -> None:
        super().__init__()
        self.follower = follower
        if follower is not None:
            follower.changes.connect(self._on_changes)
            follower.link.connect(self._on_link)

    def _on_changes(self, batch: ChangeBatch) -> None:
        self.publish(ChangeSet.of(batch))

    def publish(self, changes: ChangeSet) -> None:
        """Hand ``changes`` to every pane (the follower's deliveries come through here)."""
        self.changes.emit(changes)

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
