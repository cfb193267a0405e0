"""What every consumer of the incident service may call: one protocol, typed methods.

Two implementations: :class:`~app.services.incidents.IncidentService` (straight to the
database) and :class:`~app.services.resilient.ResilientIncidents` (the same, with an outbox
for working through an outage). :meth:`app.services.Services.create` picks one once; every
pane and dialog reads ``services.incidents`` and gets that one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from app.domain.dto import IncidentDetail, IncidentDraft, IncidentQuery, IncidentRow
from app.platform.uow import Actor


class IncidentOperations(Protocol):
    """The incident service as the workstation uses it."""

    async def count(self, actor: Actor, q: IncidentQuery, limit: int | None = None) -> int:
        """Number of incidents matching ``q`` (with ``limit``: at most ``limit + 1``)."""
        ...

    async def page(
        self, actor: Actor, q: IncidentQuery, offset: int, limit: int
    ) -> list[IncidentRow]:
        """One page of the queue in ``q``'s order."""
        ...

    async def rows(self, actor: Actor, ids: Sequence[int]) -> list[IncidentRow]:
        """Queue rows of the given incidents."""
        ...

    async def matches(self, actor: Actor, q: IncidentQuery, ids: Sequence[int]) -> set[int]:
        """Which of ``ids`` match ``q``."""
        ...

    async def get(self, actor: Actor, incident_id: int) -> IncidentDetail:
        """One incident with its journal and units."""
        ...

    async def create(self, actor: Actor, draft: IncidentDraft) -> IncidentDetail:
        """Open a new incident."""
        ...

    async def update(
        self, actor: Actor, incident_id: int, expected_version: int, changes: dict[str, Any]
    ) -> IncidentDetail:
        """Change fields of an incident (refused if ``expected_version`` is stale)."""
        ...

    async def add_note(
        self, actor: Actor, incident_id: int, text: str, client_ref: str | None = None
    ) -> IncidentDetail:
        """Append a note to the incident's journal."""
        ...

    async def assign_unit(
        self, actor: Actor, incident_id: int, unit_id: int, confirm_unavailable: bool = False
    ) -> IncidentDetail:
        """Send a unit to the incident."""
        ...

    async def confirm_unit(self, actor: Actor, incident_id: int, unit_id: int) -> IncidentDetail:
        """The alarmed unit confirmed (status 3)."""
        ...

    async def unit_arrived(self, actor: Actor, incident_id: int, unit_id: int) -> IncidentDetail:
        """The unit is on scene."""
        ...

    async def release_unit(
        self, actor: Actor, incident_id: int, unit_id: int, new_status: str = "1"
    ) -> IncidentDetail:
        """Take a unit off the incident."""
        ...

    async def close(
        self,
        actor: Actor,
        incident_id: int,
        expected_version: int,
        outcome: str,
        note: str = "",
    ) -> IncidentDetail:
        """Close the incident with an outcome."""
        ...

    async def reopen(
        self, actor: Actor, incident_id: int, expected_version: int, reason: str
    ) -> IncidentDetail:
        """Reopen a closed incident (with a reason)."""
        ...
