"""The address gazetteer in the database: cached type-ahead index, search, CSV import.

The table ``gazetteer_address`` holds one row per street and house number (the demo data, or
an import of the state's open house-coordinate data). Call-taking searches an in-memory
:class:`app.domain.gazetteer.AddressIndex` built from it once; the index is built in a worker thread
and rebuilt after an import or when another workstation announces a ``gazetteer`` change.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError, OperationalError

from app.domain.changes import ChangeSet, Entity
from app.domain.gazetteer import (
    Address,
    AddressIndex,
    GazetteerFormatError,
    ImportResult,
    parse_house_coordinates_csv,
)
from app.platform.database import Database
from app.platform.dberrors import describe_db_error
from app.platform.errors import DatabaseUnavailable, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, check, unit_of_work
from db.models import GazetteerAddress

log = logging.getLogger(__name__)

#: Rows per INSERT/UPDATE statement during an import.
_CHUNK = 2000
_MAX_STREET = 120
_MAX_NUMBER = 16
_MAX_STADTTEIL = 64
#: A click on the map proposes an address only this close to it (metres).
NEAREST_MAX_M = 250.0

_Row = tuple[str, str, str | None, str | None, float, float]
_SELECT_ROWS = select(
    GazetteerAddress.street,
    GazetteerAddress.house_number,
    GazetteerAddress.postcode,
    GazetteerAddress.stadtteil,
    GazetteerAddress.lat,
    GazetteerAddress.lon,
).order_by(GazetteerAddress.id)


@dataclass(frozen=True)
class ImportSummary:
    """What an import did. ``errors`` are German messages with their line numbers."""

    file_name: str
    format_name: str
    inserted: int
    updated: int
    unchanged: int
    errors: tuple[str, ...]
    skipped_other_municipality: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def imported(self) -> int:
        """Rows of the file now in the gazetteer (new, changed or already identical)."""
        return self.inserted + self.updated + self.unchanged

    @property
    def rejected(self) -> int:
        """Rows that could not be used."""
        return len(self.errors)


def _build_index(rows: Sequence[_Row]) -> AddressIndex:
    """Runs in a worker thread: rows to :class:`Address` objects to an index."""
    return AddressIndex(
        Address(street, number, postcode or "", stadtteil, lat, lon)
        for street, number, postcode, stadtteil, lat, lon in rows
    )


def _parse(path: pathlib.Path) -> ImportResult:
    """Runs in a worker thread."""
    return parse_house_coordinates_csv(path)


class GazetteerService:
    """Address completion for call-taking and the import of house-coordinate files."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._index: AddressIndex | None = None
        self._generation = 0
        self._lock = asyncio.Lock()

    # -- index ------------------------------------------------------------------------------

    async def index(self) -> AddressIndex:
        """The search index over every gazetteer address (built once, then cached).

        The rows are read and the index is built in a worker thread (over a private
        connection), so the workstation stays responsive meanwhile. If the
        gazetteer changes while the index is being built, the result is used for this call
        but not cached.
        """
        cached = self._index
        if cached is not None:
            return cached
        async with self._lock:
            if self._index is not None:
                return self._index
            generation = self._generation
            built = await asyncio.to_thread(self._load_and_build)
            if generation == self._generation:
                self._index = built
            log.info("gazetteer index built: %d addresses", len(built))
            return built

    def _load_and_build(self) -> AddressIndex:
        """Runs in a worker thread: read every address over a private sync connection."""
        engine = self._db.sync_engine()
        try:
            with engine.connect() as conn:
                rows = [tuple(r) for r in conn.execute(_SELECT_ROWS)]
        except (OperationalError, DBAPIError) as exc:
            raise DatabaseUnavailable(describe_db_error(self._db.target, exc)) from exc
        finally:
            engine.dispose()
        return _build_index(rows)

    def invalidate(self) -> None:
        """Forget the cached index; the next search rebuilds it."""
        self._generation += 1
        self._index = None

    def on_changes(self, changes: ChangeSet) -> None:
        """Feed the change feed here: a gazetteer change elsewhere invalidates the index."""
        if changes.touches(Entity.GAZETTEER):
            self.invalidate()

    # -- search -----------------------------------------------------------------------------

    async def search(self, actor: Actor, text: str, limit: int = 20) -> list[Address]:
        """Addresses matching the type-ahead ``text`` (best first), e.g. ``"haupt 12"``."""
        await check(self._db, actor, Permission.INCIDENT_READ)
        if not text.strip():
            return []
        index = await self.index()
        return index.search(text, limit)

    async def nearest(
        self, actor: Actor, lat: float, lon: float, max_distance_m: float = NEAREST_MAX_M
    ) -> Address | None:
        """The address nearest to a point (a click on the map), None if none is that close."""
        await check(self._db, actor, Permission.INCIDENT_READ)
        index = await self.index()
        return index.nearest(lat, lon, max_distance_m)

    # -- import -----------------------------------------------------------------------------

    async def import_csv(self, actor: Actor, path: str | os.PathLike[str]) -> ImportSummary:
        """Import a house-coordinate CSV (NRW format or a generic WGS84 list).

        New addresses are inserted, known ones (same street and house number) updated; both
        get ``source="import"``. Rows that cannot be used are reported, not imported. A file
        in an unknown format raises :class:`ValidationError` and writes nothing.
        """
        await check(self._db, actor, Permission.GAZETTEER_MANAGE)
        file = pathlib.Path(path)
        if not file.is_file():
            raise ValidationError(tr("gazetteer", "The file %1 does not exist.", str(file)), "path")
        try:
            parsed = await asyncio.to_thread(_parse, file)
        except GazetteerFormatError as exc:
            raise ValidationError(str(exc), "path") from exc
        except OSError as exc:
            raise ValidationError(
                tr("gazetteer", "The file %1 cannot be read: %2", str(file), exc.strerror or exc),
                "path",
            ) from exc

        errors = [str(e) for e in parsed.errors]
        wanted: dict[tuple[str, str], Address] = {}
        for address in parsed.addresses:
            problem = _too_long(address)
            if problem:
                errors.append(problem)
                continue
            key = (address.street, address.house_number)
            if key in wanted:
                first = wanted[key]
                errors.append(
                    tr(
                        "gazetteer",
                        "%1 %2 (%3) appears twice with different postcodes (%4 and %5); "
                        "only the first is kept.",
                        address.street,
                        address.house_number,
                        address.stadtteil or "–",
                        first.postcode or "–",
                        address.postcode or "–",
                    )
                )
                continue
            wanted[key] = address

        async with unit_of_work(self._db, actor, Permission.GAZETTEER_MANAGE) as w:
            existing: dict[tuple[str, str], tuple[int, _Row]] = {}
            result = await w.session.execute(
                select(
                    GazetteerAddress.id,
                    GazetteerAddress.street,
                    GazetteerAddress.house_number,
                    GazetteerAddress.postcode,
                    GazetteerAddress.stadtteil,
                    GazetteerAddress.lat,
                    GazetteerAddress.lon,
                    GazetteerAddress.source,
                )
            )
            sources: dict[int, str] = {}
            for row_id, street, number, postcode, stadtteil, lat, lon, source in result:
                existing[(street, number)] = (
                    row_id,
                    (street, number, postcode, stadtteil, lat, lon),
                )
                sources[row_id] = source
            inserts: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            unchanged = 0
            for key, a in wanted.items():
                values = {
                    "street": a.street,
                    "house_number": a.house_number,
                    "postcode": a.postcode or None,
                    "stadtteil": a.stadtteil,
                    "lat": a.lat,
                    "lon": a.lon,
                    "source": "import",
                }
                found = existing.get(key)
                if found is None:
                    inserts.append(values)
                    continue
                row_id, old = found
                new = (a.street, a.house_number, a.postcode or None, a.stadtteil, a.lat, a.lon)
                if old == new and sources[row_id] == "import":
                    unchanged += 1
                else:
                    updates.append({"id": row_id, **values})
            for start in range(0, len(inserts), _CHUNK):
                await w.session.execute(insert(GazetteerAddress), inserts[start : start + _CHUNK])
            for start in range(0, len(updates), _CHUNK):
                await w.session.execute(update(GazetteerAddress), updates[start : start + _CHUNK])
            summary = ImportSummary(
                file_name=file.name,
                format_name=parsed.format_name,
                inserted=len(inserts),
                updated=len(updates),
                unchanged=unchanged,
                errors=tuple(errors),
                skipped_other_municipality=parsed.skipped_other_municipality,
                warnings=tuple(parsed.warnings),
            )
            await w.audit(
                "gazetteer.import",
                "gazetteer",
                None,
                {
                    "file": file.name,
                    "format": parsed.format_name,
                    "inserted": summary.inserted,
                    "updated": summary.updated,
                    "unchanged": summary.unchanged,
                    "rejected": summary.rejected,
                },
            )
            w.changed("gazetteer", 0, "import")
        self.invalidate()
        return summary


def _too_long(a: Address) -> str | None:
    if len(a.street) > _MAX_STREET:
        return tr(
            "gazetteer",
            "The street name '%1…' is too long (at most %2 characters).",
            a.street[:40],
            _MAX_STREET,
        )
    if len(a.house_number) > _MAX_NUMBER:
        return tr(
            "gazetteer",
            "The house number '%1' of %2 is too long (at most %3 characters).",
            a.house_number,
            a.street,
            _MAX_NUMBER,
        )
    if a.stadtteil is not None and len(a.stadtteil) > _MAX_STADTTEIL:
        return tr("gazetteer", "The district name '%1' is too long.", a.stadtteil)
    return None
