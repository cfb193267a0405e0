"""Aufträge (tasks) and Meldungen (reports) of the demo."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from app.domain.gazetteer import Address
from app.platform.timeutil import BERLIN
from db.models import Report, Task
from demodata.vocabulary import LAST_NAMES, REPORT_SUBJECTS, TASK_TITLES


def tasks_and_reports(
    rng: random.Random,
    addresses: Sequence[Address],
    unit_ids: Sequence[int],
    now: datetime,
    conn: Connection,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Aufträge of the last month and Meldungen of the last two months."""
    year = now.astimezone(BERLIN).year
    t_base = int(conn.execute(select(func.count(Task.id))).scalar() or 0)
    r_base = int(conn.execute(select(func.count(Report.id))).scalar() or 0)
    tasks: list[dict[str, Any]] = []
    for k in range(40):
        addr = addresses[rng.randrange(len(addresses))]
        created = now - timedelta(days=rng.randint(0, 30), hours=rng.randint(0, 10))
        due = created + timedelta(days=rng.randint(1, 14))
        done = due < now and rng.random() < 0.8
        follow = now + timedelta(hours=rng.randint(-2, 72)) if not done and k % 3 == 0 else None
        tasks.append(
            dict(
                number=f"A-{year}-{t_base + k + 1:06d}",
                title=rng.choice(TASK_TITLES),
                description="",
                category=None,
                address=f"{addr.street} {addr.house_number}",
                lat=addr.lat,
                lon=addr.lon,
                stadtteil=addr.stadtteil,
                status="done" if done else "open",
                due_at=due,
                follow_up_at=follow,
                follow_up_note="Ergebnis nachhalten" if follow else None,
                assigned_unit_id=rng.choice(unit_ids) if unit_ids else None,
                assigned_user_id=None,
                created_by_id=None,
                created_at=created,
                updated_at=created,
                done_at=due if done else None,
                source_report_id=None,
                version=1,
            )
        )
    reports: list[dict[str, Any]] = []
    for k in range(150):
        cat, subject = REPORT_SUBJECTS[rng.randrange(len(REPORT_SUBJECTS))]
        addr = addresses[rng.randrange(len(addresses))]
        received = now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600))
        status = (
            "closed" if received < now - timedelta(days=5) else rng.choice(("new", "in_progress"))
        )
        reports.append(
            dict(
                number=f"M-{year}-{r_base + k + 1:06d}",
                source=rng.choice(("phone", "email", "online", "online", "field")),
                received_at=received,
                reporter_name=rng.choice(LAST_NAMES),
                reporter_contact=None,
                subject=subject,
                text=f"{subject}. Bitte um Prüfung.",
                category=cat,
                address=f"{addr.street} {addr.house_number}",
                lat=addr.lat,
                lon=addr.lon,
                stadtteil=addr.stadtteil,
                status=status,
                external_id=None,
                incident_id=None,
                task_id=None,
                created_by_id=None,
                updated_at=received,
                version=1,
            )
        )
    return tasks, reports
