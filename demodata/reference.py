"""Reference data of the demo: the gazetteer of Leverkusen addresses and the offence catalogue."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, func, insert, select

from app.domain.gazetteer import Address
from app.platform.i18n import tr
from db.models import GazetteerAddress, OffenceCatalogueEntry
from demodata.bulk import bulk_insert, chunks, table_of
from demodata.gazetteer import demo_gazetteer
from resources.paths import resource_path


def insert_reference_data(
    conn: Connection, say: Callable[[str], None]
) -> tuple[list[Address], dict[str, int]]:
    """The demo gazetteer and the offence catalogue, unless the database has them already.

    Returns the gazetteer's addresses (the incidents are placed at them) and the rows written.
    """
    counts: dict[str, int] = {}
    addresses = demo_gazetteer(seed=1)
    if not conn.execute(select(func.count(GazetteerAddress.id))).scalar():
        say(tr("demo", "Loading the demo gazetteer (%1 addresses) …", len(addresses)))
        seen: set[tuple[str, str]] = set()
        rows = []
        for a in addresses:
            key = (a.street, a.house_number)
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                dict(
                    street=a.street,
                    house_number=a.house_number,
                    postcode=a.postcode,
                    stadtteil=a.stadtteil,
                    lat=a.lat,
                    lon=a.lon,
                    source="demo",
                )
            )
        for chunk in chunks(iter(rows), 5000):
            bulk_insert(conn, table_of(GazetteerAddress), chunk)
        counts["gazetteer_address"] = len(rows)
    if not conn.execute(select(func.count(OffenceCatalogueEntry.id))).scalar():
        cat_rows = load_catalogue_seed()
        conn.execute(insert(table_of(OffenceCatalogueEntry)), cat_rows)
        counts["offence_catalogue_entry"] = len(cat_rows)
    return addresses, counts


def load_catalogue_seed() -> list[dict[str, Any]]:
    """Rows of the offence catalogue seed (amounts in cents)."""

    def cents(v: str) -> int | None:
        v = v.strip().replace(",", ".")
        return round(float(v) * 100) if v else None

    rows = []
    path = resource_path("data", "owi-catalogue-seed.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append(
                dict(
                    key=r["key"],
                    group_name=r["group"],
                    description=r["description_de"],
                    legal_basis=r["legal_basis"],
                    catalogue_number=r["catalogue_number"] or None,
                    amount_min_cents=cents(r["amount_min_eur"]),
                    amount_max_cents=cents(r["amount_max_eur"]),
                    statutory_max_cents=cents(r["statutory_max_eur"]),
                    is_traffic=r["group"] == "Parken",
                    source=r["source"],
                    verified=r["verified"].strip().lower() == "yes",
                    notes=r["notes"] or None,
                    active=True,
                    version=1,
                )
            )
    return rows
