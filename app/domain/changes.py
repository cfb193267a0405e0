"""What changed, as panes see it: one typed change set per delivery of the change feed.

The change feed stores one row per changed entity (``entity``, ``entity_id``, ``op``). Panes do
not read those strings: the bridge turns every delivery into a :class:`ChangeSet`, whose
entities are an :class:`Entity` and whose :attr:`ChangeSet.reload` flag says "everything may
have changed" (the feed went back after a failover or restore, or the demo data was replaced).
A pane asks ``changes.ids(Entity.TASK)`` or ``changes.touches(Entity.INCIDENT, 42)``, and both
answer "yes, all of them" when :attr:`~ChangeSet.reload` is set, so no pane can forget a reset.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum

from app.domain.dto import ChangeBatch

log = logging.getLogger(__name__)


class Entity(StrEnum):
    """The kinds of things the change feed announces (the feed's ``entity`` column)."""

    INCIDENT = "incident"
    UNIT = "unit"
    EMERGENCY = "emergency"
    TASK = "task"
    REPORT = "report"
    USER = "user"
    GAZETTEER = "gazetteer"
    #: An offence catalogue entry (a revision).
    CATALOGUE = "catalogue"
    #: An offence case.
    OFFENCE = "offence"
    #: A bodycam recording (imported, linked to an incident, held, deleted).
    RECORDING = "recording"
    #: The demo data was replaced: it never reaches panes as an entity, only as a reload.
    DEMO = "demo"


@dataclass(frozen=True)
class EntityChange:
    """One announced change of one entity."""

    entity: Entity
    id: int
    op: str


@dataclass(frozen=True)
class ChangeSet:
    """The changes of one delivery, typed; ``reload`` means "reload everything"."""

    changes: tuple[EntityChange, ...] = ()
    #: Everything may have changed: views reload fully (failover/restore, new demo data).
    reload: bool = False
    #: Highest change-feed id covered (0 if none).
    last_id: int = 0
    _by_entity: dict[Entity, frozenset[int]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        grouped: dict[Entity, set[int]] = {}
        for c in self.changes:
            grouped.setdefault(c.entity, set()).add(c.id)
        self._by_entity.update({e: frozenset(ids) for e, ids in grouped.items()})

    @classmethod
    def of(cls, batch: ChangeBatch) -> ChangeSet:
        """The typed view of a delivery from the change feed."""
        changes: list[EntityChange] = []
        reload = batch.reset
        for c in batch.changes:
            try:
                entity = Entity(c.entity)
            except ValueError:
                log.debug("change of unknown entity %r ignored", c.entity)
                continue
            if entity is Entity.DEMO:
                reload = True
                continue
            changes.append(EntityChange(entity, c.entity_id, c.op))
        return cls(tuple(changes), reload, batch.last_id)

    @classmethod
    def everything(cls) -> ChangeSet:
        """A change set that makes every view reload."""
        return cls(reload=True)

    def ids(self, entity: Entity) -> frozenset[int]:
        """Ids of ``entity`` that changed (without :attr:`reload`; check that first)."""
        return self._by_entity.get(entity, frozenset())

    def touches(self, entity: Entity, entity_id: int | None = None) -> bool:
        """True if ``entity`` (that one id, if given) may have changed; always on reload."""
        if self.reload:
            return True
        ids = self._by_entity.get(entity)
        if not ids:
            return False
        return entity_id is None or entity_id in ids

    def with_op(self, entity: Entity, op: str) -> list[int]:
        """Ids of ``entity`` changed with ``op`` (e.g. acknowledged emergencies)."""
        return [c.id for c in self.changes if c.entity is entity and c.op == op]
