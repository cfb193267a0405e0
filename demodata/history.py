"""Incident rows of the demo: months of closed history and the live situation of today.

The journal reads as if the services had written it (the same German sentences), and the
live incidents' units carry the status history the dispatch service would have written.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from app.domain.codes import CATEGORY_BY_CODE, OUTCOMES_SOURCE, outcome_label
from app.domain.gazetteer import Address
from app.platform.i18n import tr
from app.platform.timeutil import BERLIN
from db.models import IncidentUnit, Unit
from demodata.bulk import table_of
from demodata.vocabulary import (
    CATEGORY_WEIGHTS,
    DESCRIPTIONS,
    HOUR_WEIGHTS,
    LAST_NAMES,
    OUTCOME_WEIGHTS,
    opening_hours,
    weighted,
)


@dataclass(frozen=True)
class Ids:
    """The first id of each table that the generated rows number onwards from."""

    incident: int
    journal: int
    assignment: int
    status_change: int


class HistoryBuilder:
    """Generates incident history rows for a time span."""

    def __init__(
        self,
        rng: random.Random,
        addresses: Sequence[Address],
        unit_ids: Sequence[int],
        user_ids: Sequence[int],
    ) -> None:
        self.rng = rng
        self.addresses = addresses
        self.unit_ids = unit_ids
        self.call_signs: dict[int, str] = {}
        # The journal reads as if the services had written it (same German sentences).
        self.text_created = tr("incidents", "Incident opened: %1, priority %2, %3")
        self.text_assigned = tr("incidents", "%1 assigned (status 3).")
        self.text_arrived = tr("incidents", "%1 on scene (status 4).")
        self.text_released = tr("incidents", "%1 released (status %2).")
        self.text_closed = tr("incidents", "Closed: %1")
        self.category_labels = {code: cat.label for code, cat in CATEGORY_BY_CODE.items()}
        self.outcome_labels = {code: outcome_label(code) for code in OUTCOMES_SOURCE}
        self.user_ids = user_ids
        self.numbers: dict[int, int] = {}

    def times(self, count: int, start: date, end: date) -> list[datetime]:
        """``count`` call times between the days, inside opening hours, weighted by hour."""
        days = (end - start).days + 1
        rng = self.rng
        result: list[datetime] = []
        for _ in range(count):
            day = start + timedelta(days=rng.randrange(days))
            open_h, close_h = opening_hours(day)
            hours = list(range(open_h, close_h))
            weights = [HOUR_WEIGHTS[h % 24] for h in hours]
            hour = rng.choices(hours, weights)[0]
            minute, second = rng.randrange(60), rng.randrange(60)
            local = datetime(day.year, day.month, day.day, tzinfo=BERLIN) + timedelta(
                hours=hour, minutes=minute, seconds=second
            )
            result.append(local.astimezone(UTC))
        result.sort()
        return result

    def category_for(self, when: datetime) -> str:
        """A category for a call at ``when`` (weights, lakes only in summer, noise at night)."""
        local = when.astimezone(BERLIN)
        cat = weighted(self.rng, CATEGORY_WEIGHTS)
        # Lakes in summer evenings, noise more often late.
        if cat == "lakes" and local.month not in (5, 6, 7, 8, 9):
            cat = "noise" if local.hour >= 20 else "waste"
        if local.hour >= 21 and self.rng.random() < 0.25:
            cat = "noise"
        return cat

    def number(self, when: datetime) -> str:
        """The next incident number of the year of ``when`` (E-YYYY-NNNNNN)."""
        year = when.astimezone(BERLIN).year
        seq = self.numbers.get(year, 0) + 1
        self.numbers[year] = seq
        return f"E-{year}-{seq:06d}"


def history_rows(
    b: HistoryBuilder, times: list[datetime], ids: Ids, n_inc: int, n_j: int, n_a: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Closed incidents called in at ``times``, with their journal and unit assignments."""
    rng = b.rng
    inc_rows: list[dict[str, Any]] = []
    j_rows: list[dict[str, Any]] = []
    a_rows: list[dict[str, Any]] = []
    for k, created in enumerate(times):
        iid = ids.incident + n_inc + k
        cat = b.category_for(created)
        prio = CATEGORY_BY_CODE[cat].default_priority
        if rng.random() < 0.08:
            prio = max(1, prio - 1)
        addr = b.addresses[rng.randrange(len(b.addresses))]
        user = rng.choice(b.user_ids)
        outcome = weighted(rng, OUTCOME_WEIGHTS)
        dispatched = outcome not in ("duplicate", "cancelled") and rng.random() < 0.93
        d_at = created + timedelta(seconds=rng.randint(40, 60 * (4 if prio == 1 else 20)))
        o_at = d_at + timedelta(seconds=rng.randint(180, 60 * (12 if prio == 1 else 30)))
        c_at = (o_at if dispatched else created) + timedelta(minutes=rng.randint(5, 75))
        inc_rows.append(
            dict(
                id=iid,
                number=b.number(created),
                category=cat,
                priority=prio,
                status="closed",
                address=f"{addr.street} {addr.house_number}",
                lat=addr.lat,
                lon=addr.lon,
                stadtteil=addr.stadtteil,
                caller_name=None,
                caller_phone=None,
                description=rng.choice(DESCRIPTIONS[cat]),
                outcome=outcome,
                outcome_note=None,
                created_at=created,
                dispatched_at=d_at if dispatched else None,
                on_scene_at=o_at if dispatched else None,
                closed_at=c_at,
                updated_at=c_at,
                created_by_id=user,
                source_report_id=None,
                version=3,
            )
        )
        jid = ids.journal + n_j + len(j_rows)
        address = f"{addr.street} {addr.house_number}"
        entries = [
            (
                created,
                "created",
                b.text_created.replace("%1", b.category_labels[cat])
                .replace("%2", str(prio))
                .replace("%3", address),
            )
        ]
        if dispatched:
            unit = rng.choice(b.unit_ids)
            a_rows.append(
                dict(
                    id=ids.assignment + n_a + len(a_rows),
                    incident_id=iid,
                    unit_id=unit,
                    assigned_at=d_at,
                    confirmed_at=d_at,
                    confirmed_by_id=user,
                    on_scene_at=o_at,
                    released_at=c_at,
                    assigned_by_id=user,
                )
            )
            sign = b.call_signs.get(unit, "?")
            entries += [
                (d_at, "unit", b.text_assigned.replace("%1", sign)),
                (o_at, "unit", b.text_arrived.replace("%1", sign)),
                (c_at, "unit", b.text_released.replace("%1", sign).replace("%2", "1")),
            ]
        entries.append((c_at, "closed", b.text_closed.replace("%1", b.outcome_labels[outcome])))
        for off, (when, kind, txt) in enumerate(entries):
            j_rows.append(
                dict(
                    id=jid + off,
                    incident_id=iid,
                    created_at=when,
                    user_id=user,
                    kind=kind,
                    text=txt,
                    data=None,
                )
            )
    return inc_rows, j_rows, a_rows


def live_situation_rows(
    b: HistoryBuilder,
    now: datetime,
    count: int,
    ids: Ids,
    n_inc: int,
    n_j: int,
    n_a: int,
    units: Sequence[Any],
    conn: Connection,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Open incidents of the last two hours, their units alarmed or on scene (sets unit status)."""

    rng = b.rng
    incs: list[dict[str, Any]] = []
    journal: list[dict[str, Any]] = []
    assigns: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    free_units = list(units)
    rng.shuffle(free_units)
    busy = (
        conn.execute(select(IncidentUnit.unit_id).where(IncidentUnit.released_at.is_(None)))
        .scalars()
        .all()
    )
    free_units = [u for u in free_units if u.id not in set(busy)]
    for k in range(count):
        created = now - timedelta(minutes=rng.randint(3, 120))
        iid = ids.incident + n_inc + k
        cat = b.category_for(created)
        addr = b.addresses[rng.randrange(len(b.addresses))]
        phase = ("new", "dispatched", "on_scene")[k % 3]
        user = rng.choice(b.user_ids)
        d_at = created + timedelta(minutes=2) if phase != "new" else None
        o_at = created + timedelta(minutes=12) if phase == "on_scene" else None
        if d_at and d_at > now:
            d_at = now
        if o_at and o_at > now:
            o_at = now
        incs.append(
            dict(
                id=iid,
                number=b.number(created),
                category=cat,
                priority=CATEGORY_BY_CODE[cat].default_priority,
                status=phase,
                address=f"{addr.street} {addr.house_number}",
                lat=addr.lat,
                lon=addr.lon,
                stadtteil=addr.stadtteil,
                caller_name=rng.choice(LAST_NAMES),
                caller_phone=f"0214 {rng.randint(100000, 999999)}",
                description=rng.choice(DESCRIPTIONS[cat]),
                outcome=None,
                outcome_note=None,
                created_at=created,
                dispatched_at=d_at,
                on_scene_at=o_at,
                closed_at=None,
                updated_at=o_at or d_at or created,
                created_by_id=user,
                source_report_id=None,
                version=1,
            )
        )
        journal.append(
            dict(
                id=ids.journal + n_j + len(journal),
                incident_id=iid,
                created_at=created,
                user_id=user,
                kind="created",
                text=b.text_created.replace("%1", b.category_labels[cat])
                .replace("%2", str(CATEGORY_BY_CODE[cat].default_priority))
                .replace("%3", f"{addr.street} {addr.house_number}"),
                data=None,
            )
        )
        if phase != "new" and free_units:
            unit = free_units.pop()
            new_status = "4" if phase == "on_scene" else "3"
            assigns.append(
                dict(
                    id=ids.assignment + n_a + len(assigns),
                    incident_id=iid,
                    unit_id=unit.id,
                    assigned_at=d_at,
                    confirmed_at=d_at,
                    confirmed_by_id=user,
                    on_scene_at=o_at,
                    released_at=None,
                    assigned_by_id=user,
                )
            )
            # Journal and status history as the services write them: assigned (3), then
            # for units on scene arrived (4).
            steps = [(d_at, "3", b.text_assigned)]
            if o_at is not None:
                steps.append((o_at, "4", b.text_arrived))
            previous = "2"
            for when, status, text in steps:
                journal.append(
                    dict(
                        id=ids.journal + n_j + len(journal),
                        incident_id=iid,
                        created_at=when,
                        user_id=user,
                        kind="unit",
                        text=text.replace("%1", unit.call_sign),
                        data=None,
                    )
                )
                statuses.append(
                    dict(
                        unit_id=unit.id,
                        status=status,
                        previous_status=previous,
                        changed_at=when,
                        user_id=user,
                        incident_id=iid,
                        note=None,
                    )
                )
                previous = status
            conn.execute(
                table_of(Unit)
                .update()
                .where(table_of(Unit).c.id == unit.id)
                .values(status=new_status, status_changed_at=o_at or d_at)
            )
    # One unit on a break, one at the station talking to the Leitstelle.
    for unit, status in zip(free_units[:2], ("6", "1"), strict=False):
        conn.execute(
            table_of(Unit)
            .update()
            .where(table_of(Unit).c.id == unit.id)
            .values(status=status, status_changed_at=now - timedelta(minutes=20))
        )
        statuses.append(
            dict(
                unit_id=unit.id,
                status=status,
                previous_status="2",
                changed_at=now - timedelta(minutes=20),
                user_id=None,
                incident_id=None,
                note=None,
            )
        )
    return incs, journal, assigns, statuses
