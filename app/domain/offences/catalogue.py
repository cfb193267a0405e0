"""Offence catalogue rows: what a Tatbestand says, read from and written to CSV.

The file format is the seed's (``resources/data/owi-catalogue-seed.csv``): ``key, group,
description_de, legal_basis, catalogue_number, amount_min_eur, amount_max_eur,
statutory_max_eur, source, verified, notes``. Amounts are euros with a decimal comma or point.
A file is checked as a whole: every faulty line is named, and nothing is taken from a file with
a fault in it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.platform.errors import ValidationError
from app.platform.i18n import tr

COLUMNS = (
    "key",
    "group",
    "description_de",
    "legal_basis",
    "catalogue_number",
    "amount_min_eur",
    "amount_max_eur",
    "statutory_max_eur",
    "source",
    "verified",
    "notes",
)
REQUIRED = ("key", "group", "description_de", "legal_basis")
_KEY = re.compile(r"^[A-Z0-9_]{2,64}$")
#: The federal traffic catalogue (BT-KAT-OWI) numbers its Tatbestände with six digits.
_BKAT_NUMBER = re.compile(r"^\d{6}$")
_TRAFFIC_GROUPS = frozenset({"parken", "verkehr"})
#: Most faults listed in one message (the rest are counted).
_MAX_LISTED = 12
#: Longest accepted file (the NRW environment catalogue has about 1,280 entries).
MAX_ROWS = 20_000


@dataclass(frozen=True)
class CatalogueRow:
    """The content of one catalogue entry (what a revision fixes)."""

    key: str
    group_name: str
    description: str
    legal_basis: str
    catalogue_number: str | None
    amount_min_cents: int | None
    amount_max_cents: int | None
    statutory_max_cents: int | None
    is_traffic: bool
    source: str | None
    verified: bool
    notes: str | None

    def content(self) -> dict[str, Any]:
        """The fields that make a new revision when they change (``verified`` does not)."""
        values = asdict(self)
        values.pop("verified")
        return values


@dataclass(frozen=True)
class CatalogueEntry(CatalogueRow):
    """A stored revision of an entry."""

    id: int
    revision: int
    active: bool
    valid_from: datetime | None
    superseded_at: datetime | None
    confirmed_at: datetime | None
    version: int


def _cents(value: str, column: str, errors: list[str], line: int) -> int | None:
    value = value.strip().replace("€", "").replace(" ", "")
    if not value:
        return None
    if "," in value:
        value = value.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        errors.append(tr("catalogue", "line %1: %2 is not an amount in euros", line, column))
        return None
    if amount < 0 or amount > Decimal(100_000_000) or amount != amount.quantize(Decimal("0.01")):
        errors.append(tr("catalogue", "line %1: %2 is out of range", line, column))
        return None
    return int(amount * 100)


def _row(raw: dict[str, str | None], line: int, errors: list[str]) -> CatalogueRow | None:
    before = len(errors)
    cells = {c: (raw.get(c) or "").strip() for c in COLUMNS}
    for column in REQUIRED:
        if not cells[column]:
            errors.append(tr("catalogue", "line %1: %2 is empty", line, column))
    key = cells["key"].upper()
    if key and not _KEY.match(key):
        errors.append(
            tr("catalogue", "line %1: key %2 may hold only A–Z, 0–9 and _", line, cells["key"])
        )
    low = _cents(cells["amount_min_eur"], "amount_min_eur", errors, line)
    high = _cents(cells["amount_max_eur"], "amount_max_eur", errors, line)
    statutory = _cents(cells["statutory_max_eur"], "statutory_max_eur", errors, line)
    if low is not None and high is not None and low > high:
        errors.append(tr("catalogue", "line %1: the lowest amount is above the highest", line))
    if statutory is not None and high is not None and high > statutory:
        errors.append(tr("catalogue", "line %1: the amount is above the statutory maximum", line))
    number = cells["catalogue_number"] or None
    traffic = cells["group"].lower() in _TRAFFIC_GROUPS
    if traffic and (number is None or not _BKAT_NUMBER.match(number)):
        errors.append(
            tr(
                "catalogue",
                "line %1: a traffic offence needs its six-digit BT-KAT-OWI number",
                line,
            )
        )
    verified = cells["verified"].lower()
    if verified not in ("", "yes", "no", "ja", "nein", "true", "false", "1", "0"):
        errors.append(tr("catalogue", "line %1: verified must be yes or no", line))
    if len(errors) > before:
        return None
    return CatalogueRow(
        key=key,
        group_name=cells["group"][:64],
        description=cells["description_de"],
        legal_basis=cells["legal_basis"],
        catalogue_number=number,
        amount_min_cents=low,
        amount_max_cents=high,
        statutory_max_cents=statutory,
        is_traffic=traffic,
        source=cells["source"] or None,
        verified=verified in ("yes", "ja", "true", "1"),
        notes=cells["notes"] or None,
    )


def parse_catalogue(text: str) -> list[CatalogueRow]:
    """Read a catalogue CSV; a fault anywhere refuses the whole file with every line named."""
    text = text.removeprefix("\ufeff")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise ValidationError(
                tr(
                    "catalogue",
                    "This is not an offence catalogue: the columns %1 are missing.",
                    ", ".join(missing),
                ),
                "file",
            )
        errors: list[str] = []
        rows: list[CatalogueRow] = []
        seen: dict[str, int] = {}
        for number, raw in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                raise ValidationError(
                    tr("catalogue", "The file has more than %1 entries.", MAX_ROWS), "file"
                )
            row = _row(raw, number, errors)
            if row is None:
                continue
            if row.key in seen:
                errors.append(
                    tr(
                        "catalogue",
                        "line %1: key %2 already in line %3",
                        number,
                        row.key,
                        seen[row.key],
                    )
                )
                continue
            seen[row.key] = number
            rows.append(row)
    except csv.Error as exc:
        raise ValidationError(
            tr("catalogue", "The file is not a readable CSV file (%1).", str(exc)), "file"
        ) from exc
    if errors:
        listed = "\n".join(errors[:_MAX_LISTED])
        more = len(errors) - _MAX_LISTED
        if more > 0:
            listed += "\n" + tr("catalogue", "… and %1 more faults", more)
        raise ValidationError(
            tr("catalogue", "Nothing was imported; the file has faults:") + "\n" + listed, "file"
        )
    if not rows:
        raise ValidationError(tr("catalogue", "The file holds no entries."), "file")
    return rows


def write_catalogue(entries: Sequence[CatalogueRow]) -> str:
    """The entries as CSV in the import format (a round trip changes nothing)."""

    def euros(cents: int | None) -> str:
        return "" if cents is None else f"{Decimal(cents) / 100:.2f}".replace(".", ",")

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for e in entries:
        writer.writerow(
            [
                e.key,
                e.group_name,
                e.description,
                e.legal_basis,
                e.catalogue_number or "",
                euros(e.amount_min_cents),
                euros(e.amount_max_cents),
                euros(e.statutory_max_cents),
                e.source or "",
                "yes" if e.verified else "no",
                e.notes or "",
            ]
        )
    return out.getvalue()
