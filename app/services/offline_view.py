"""What the outbox holds, seen as incidents: offline incidents, pending notes, last-known details.

Used by :class:`~app.services.resilient.ResilientIncidents` to answer reads while the server
cannot be reached and to list what waits for the UI.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from app.domain.codes import CATEGORY_BY_CODE, IncidentStatus, category_label
from app.domain.dto import IncidentDetail, IncidentRow, JournalLine
from app.platform.i18n import tr
from app.platform.outbox import OP_CREATE_INCIDENT, OP_NOTE, Outbox, OutboxEntry
from app.platform.timeutil import format_local, utcnow
from app.services.stadtteile import last_known_stadtteil

#: Number prefix of incidents that exist only in this workstation's outbox.
PENDING_PREFIX = "OFFLINE-"
#: Details remembered for showing while offline.
DETAIL_CACHE = 500


def pending_id(seq: int) -> int:
    """The (negative) incident id of the offline incident stored as outbox entry ``seq``."""
    return -seq


def is_pending_id(incident_id: int) -> bool:
    """True for an incident that exists only in the outbox."""
    return incident_id < 0


def pending_number(seq: int) -> str:
    """The number shown for an offline incident."""
    return f"{PENDING_PREFIX}{seq}"


@dataclass(frozen=True)
class PendingOperation:
    """One operation waiting in the outbox, for lists in the UI."""

    uuid: str
    kind: str
    queued_at: datetime
    incident_id: int
    number: str
    summary: str
    username: str
    failed: bool
    error: str | None


class OfflineView:
    """The outbox's entries as incidents, plus the details last read from the server."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._details: dict[int, IncidentDetail] = {}

    def known(self, incident_id: int) -> IncidentDetail | None:
        """The detail of ``incident_id`` as last read from the server (None if never)."""
        return self._details.get(incident_id)

    def pending_rows(self) -> list[IncidentRow]:
        """Queue rows of the incidents that exist only in the outbox."""
        rows = []
        for entry in self.outbox.entries():
            if entry.kind == OP_CREATE_INCIDENT:
                d = self.pending_detail(entry)
                if d is not None:
                    rows.append(
                        IncidentRow(
                            id=d.id,
                            number=d.number,
                            category=d.category,
                            priority=d.priority,
                            status=d.status,
                            address=d.address,
                            stadtteil=d.stadtteil,
                            created_at=d.created_at,
                            dispatched_at=None,
                            on_scene_at=None,
                            closed_at=None,
                            units="",
                            version=0,
                        )
                    )
        return rows

    def pending(self) -> list[PendingOperation]:
        """Everything waiting in the outbox (and what failed), in order, for the UI."""
        ops = []
        for e in self.outbox.entries():
            text = str(e.payload.get("text") or e.payload.get("address") or "")
            if e.kind == OP_CREATE_INCIDENT:
                incident_id, number = pending_id(e.seq), pending_number(e.seq)
                summary = tr(
                    "outbox",
                    "New incident %1: %2, %3",
                    number,
                    category_label(str(e.payload["category"])),
                    text or "–",
                )
            else:
                incident_id, number = self.note_target(e)
                summary = tr("outbox", "Note on %1: %2", number, shorten(text))
            ops.append(
                PendingOperation(
                    uuid=e.uuid,
                    kind=e.kind,
                    queued_at=e.queued_at,
                    incident_id=incident_id,
                    number=number,
                    summary=summary,
                    username=e.actor.username,
                    failed=e.failed,
                    error=e.last_error,
                )
            )
        return ops

    def note_target(self, e: OutboxEntry) -> tuple[int, str]:
        """(incident id, number) a waiting note belongs to (offline or server incident)."""
        ref = e.payload.get("incident_ref")
        if ref:
            create = self.outbox.get(str(ref))
            if create is not None:
                return pending_id(create.seq), pending_number(create.seq)
            res = self.outbox.resolution(str(ref))
            if res is not None:
                return res.incident_id, res.number
            return 0, "?"
        incident_id = int(e.payload["incident_id"])
        known = self._details.get(incident_id)
        number = e.payload.get("known_number") or (known.number if known else f"#{incident_id}")
        return incident_id, str(number)

    def remember(self, detail: IncidentDetail) -> None:
        """Keep ``detail`` as the last known state (for reads while offline)."""
        self._details.pop(detail.id, None)
        self._details[detail.id] = detail
        while len(self._details) > DETAIL_CACHE:
            self._details.pop(next(iter(self._details)))

    def _pending_notes(
        self, *, incident_id: int | None, create_uuid: str | None
    ) -> list[JournalLine]:
        lines = []
        for e in self.outbox.pending():
            if e.kind != OP_NOTE:
                continue
            if (create_uuid is not None and e.payload.get("incident_ref") == create_uuid) or (
                incident_id is not None and e.payload.get("incident_id") == incident_id
            ):
                lines.append(
                    JournalLine(-e.seq, e.queued_at, e.actor.username, "note", e.payload["text"])
                )
        return lines

    def pending_detail(self, entry: OutboxEntry) -> IncidentDetail | None:
        """The offline incident stored as ``entry`` (None for other kinds of entries)."""
        if entry.kind != OP_CREATE_INCIDENT:
            return None
        p = entry.payload
        category = str(p["category"])
        priority = (
            p.get("priority")
            or CATEGORY_BY_CODE.get(category, CATEGORY_BY_CODE["other"]).default_priority
        )
        lat, lon = p.get("lat"), p.get("lon")
        opened = JournalLine(
            -entry.seq,
            entry.queued_at,
            entry.actor.username,
            "created",
            tr(
                "outbox",
                "Recorded without a database connection at %1; stored on this workstation and "
                "transferred automatically when the connection is back.",
                format_local(entry.queued_at, with_seconds=True),
            ),
        )
        notes = self._pending_notes(incident_id=None, create_uuid=entry.uuid)
        return IncidentDetail(
            id=pending_id(entry.seq),
            number=pending_number(entry.seq),
            category=category,
            priority=int(priority),
            status=IncidentStatus.NEW.value,
            address=str(p.get("address") or "").strip(),
            lat=lat,
            lon=lon,
            stadtteil=last_known_stadtteil(lat, lon),
            caller_name=(p.get("caller_name") or "").strip() or None,
            caller_phone=(p.get("caller_phone") or "").strip() or None,
            description=str(p.get("description") or "").strip(),
            outcome=None,
            outcome_note=None,
            created_at=entry.queued_at,
            dispatched_at=None,
            on_scene_at=None,
            closed_at=None,
            updated_at=entry.queued_at,
            source_report_id=p.get("source_report_id"),
            version=0,
            journal=(opened, *notes),
            assignments=(),
        )

    def with_pending_notes(self, detail: IncidentDetail) -> IncidentDetail:
        """``detail`` with the notes still waiting in the outbox appended to its journal."""
        notes = self._pending_notes(incident_id=detail.id, create_uuid=None)
        return replace(detail, journal=detail.journal + tuple(notes)) if notes else detail

    def offline_detail(self, incident_id: int) -> IncidentDetail:
        """The last known detail of a server incident (a stub if never read), with waiting notes."""
        known = self._details.get(incident_id)
        if known is not None:
            return self.with_pending_notes(known)
        now = utcnow()
        stub = IncidentDetail(
            id=incident_id,
            number=f"#{incident_id}",
            category="other",
            priority=3,
            status=IncidentStatus.NEW.value,
            address="",
            lat=None,
            lon=None,
            stadtteil=None,
            caller_name=None,
            caller_phone=None,
            description="",
            outcome=None,
            outcome_note=None,
            created_at=now,
            dispatched_at=None,
            on_scene_at=None,
            closed_at=None,
            updated_at=now,
            source_report_id=None,
            version=0,
        )
        return self.with_pending_notes(stub)


def shorten(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
