"""The demo's field service: units with call signs at their stations, and their officers."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert

from app.domain.codes import UnitStatus
from app.platform.permissions import Role
from db.models import Unit, UnitMember, User
from demodata.bulk import max_id, table_of
from demodata.vocabulary import FIRST_NAMES, LAST_NAMES, UNIT_LAYOUT


def insert_units_and_officers(
    conn: Connection, rng: random.Random, stadtteile: dict[str, Any], now: datetime
) -> dict[str, int]:
    """The units of :data:`UNIT_LAYOUT` near their home Stadtteil, each with its officers."""
    counts: dict[str, int] = {}
    t_user, t_unit = table_of(User), table_of(Unit)
    officer_rows: list[dict[str, Any]] = []
    unit_rows: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    next_user = max_id(conn, t_user) + 1
    next_unit = max_id(conn, t_unit) + 1
    names = [(f, lname) for f, lname in zip(FIRST_NAMES, LAST_NAMES, strict=False)]
    officer_index = 0
    for call_sign, home, members in UNIT_LAYOUT:
        st = stadtteile[home]
        lat = st.centre_lat + rng.uniform(-0.004, 0.004)
        lon = st.centre_lon + rng.uniform(-0.006, 0.006)
        unit_id = next_unit
        next_unit += 1
        unit_rows.append(
            dict(
                id=unit_id,
                call_sign=call_sign,
                kind="Streife",
                status=UnitStatus.AVAILABLE_STATION.value,
                status_changed_at=now - timedelta(hours=2),
                lat=lat,
                lon=lon,
                position_at=now - timedelta(minutes=rng.randrange(1, 30)),
                home_lat=lat,
                home_lon=lon,
                active=True,
                version=1,
            )
        )
        for _ in range(members):
            first, last = names[officer_index % len(names)]
            officer_index += 1
            uid = next_user
            next_user += 1
            officer_rows.append(
                dict(
                    id=uid,
                    username=f"{first}.{last}".lower()
                    .replace("ü", "ue")
                    .replace("ö", "oe")
                    .replace("ä", "ae")[:64],
                    display_name=f"{first} {last}",
                    role_code=Role.FIELD_OFFICER.value,
                    password_hash=None,
                    active=True,
                    failed_logins=0,
                    created_at=now,
                    personnel_number=f"KOD-{100 + officer_index}",
                    version=1,
                )
            )
            member_rows.append(dict(unit_id=unit_id, user_id=uid, since=now - timedelta(days=400)))
    conn.execute(insert(t_user), officer_rows)
    conn.execute(insert(t_unit), unit_rows)
    conn.execute(insert(table_of(UnitMember)), member_rows)
    counts["officer"] = len(officer_rows)
    counts["unit"] = len(unit_rows)
    return counts
