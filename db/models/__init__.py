"""The ORM model of the whole domain (see shared DOMAIN.md for the vocabulary).

Conventions: every table has a surrogate integer id, timestamps are :class:`UTCDateTime`,
money is stored in euro cents, mutable work items carry a ``version`` used for optimistic
locking (SQLAlchemy's ``version_id_col``), and every constraint is named through the metadata's
naming convention so that Alembic migrations are deterministic on SQLite and PostgreSQL.

The tables live in one module per area; this package imports every one of them, so that
``Base.metadata`` (which Alembic and the PostgreSQL rights compare against) always holds every
table, and every model can be imported from here:

- :mod:`db.models.users`: roles and user accounts
- :mod:`db.models.units`: units, their members, status history, positions, emergency calls
- :mod:`db.models.incidents`: incidents (Einsätze), assigned units, the journal
- :mod:`db.models.work_items`: tasks (Aufträge) and reports (Meldungen)
- :mod:`db.models.offences`: administrative offences (OWiG)
- :mod:`db.models.recordings`: bodycam recordings, holds, deletions, keys
- :mod:`db.models.field`: field devices, photos, acknowledgements, request keys
- :mod:`db.models.audit`: audit log, change feed, settings
- :mod:`db.models.places`: address gazetteer and Stadtteil outlines
"""

from __future__ import annotations

from db.base import NAMING_CONVENTION, Base
from db.models.audit import AuditRecord, ChangeFeedEntry, Setting
from db.models.field import FieldAck, FieldDevice, FieldPhoto, FieldRequestKey
from db.models.incidents import Incident, IncidentUnit, JournalEntry
from db.models.offences import (
    OffenceCase,
    OffenceCaseEvent,
    OffenceCatalogueEntry,
    OffenceEvidence,
    OffencePerson,
)
from db.models.places import GazetteerAddress, MapOutline
from db.models.recordings import (
    Recording,
    RecordingBookmark,
    RecordingDeletion,
    RecordingDeletionSnapshot,
    RecordingHold,
    RecordingKey,
    RecordingSnapshot,
)
from db.models.units import Emergency, Unit, UnitMember, UnitPosition, UnitStatusChange
from db.models.users import Role, User
from db.models.work_items import Report, Task

__all__ = [
    "NAMING_CONVENTION",
    "AuditRecord",
    "Base",
    "ChangeFeedEntry",
    "Emergency",
    "FieldAck",
    "FieldDevice",
    "FieldPhoto",
    "FieldRequestKey",
    "GazetteerAddress",
    "Incident",
    "IncidentUnit",
    "JournalEntry",
    "MapOutline",
    "OffenceCase",
    "OffenceCaseEvent",
    "OffenceCatalogueEntry",
    "OffenceEvidence",
    "OffencePerson",
    "Recording",
    "RecordingBookmark",
    "RecordingDeletion",
    "RecordingDeletionSnapshot",
    "RecordingHold",
    "RecordingKey",
    "RecordingSnapshot",
    "Report",
    "Role",
    "Setting",
    "Task",
    "Unit",
    "UnitMember",
    "UnitPosition",
    "UnitStatusChange",
    "User",
]
