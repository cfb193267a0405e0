"""The offence catalogue: import, search, edit in revisions, confirm unverified entries.

An entry is never changed in place where a case could depend on it: editing (or importing a
file with changed content) adds a revision under the same key and marks the old one
superseded, so a case keeps the entry and amounts it was made with. Only confirming an
unverified entry against its source (who and when are kept) and taking an entry out of use
touch the current revision itself.

Reading needs ``offence.read``, ``offence.write`` (capture in the field) or ``catalogue.manage``; writing ``catalogue.manage``, checked here, audited, and on
PostgreSQL refused by the server for every login without that right.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.changes import Entity
from app.domain.offences.catalogue import (
    CatalogueEntry,
    CatalogueRow,
    parse_catalogue,
    write_catalogue,
)
from app.platform.database import Database
from app.platform.errors import ConflictError, NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission, allowed
from app.platform.uow import Actor, Work, reading, unit_of_work
from db.models import OffenceCatalogueEntry
from resources.paths import resource_path

_READERS = (Permission.OFFENCE_READ, Permission.OFFENCE_WRITE, Permission.CATALOGUE_MANAGE)
#: Most entries a search returns.
SEARCH_LIMIT = 200
_ROW_FIELDS = tuple(f.name for f in fields(CatalogueRow))
#: What an edit may change: the key names the entry, traffic follows from the group.
_EDITABLE = frozenset(_ROW_FIELDS) - {"key", "is_traffic"}


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    added: int
    revised: int
    unchanged: int


def _reader(actor: Actor) -> Permission:
    """The right that lets ``actor`` read the catalogue: case work, field capture or managing it."""
    for permission in _READERS:
        if allowed(actor.role, permission):
            return permission
    return Permission.OFFENCE_READ


def _entry(e: OffenceCatalogueEntry) -> CatalogueEntry:
    return CatalogueEntry(
        **{name: getattr(e, name) for name in _ROW_FIELDS},
        id=e.id,
        revision=e.revision,
        active=e.active,
        valid_from=e.valid_from,
        superseded_at=e.superseded_at,
        confirmed_at=e.confirmed_at,
        version=e.version,
    )


def _current() -> Select[tuple[OffenceCatalogueEntry]]:
    return select(OffenceCatalogueEntry).where(OffenceCatalogueEntry.superseded_at.is_(None))


def _like(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


class OffenceCatalogueService:
    """Catalogue of Tatbestände for offence cases."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- reading ------------------------------------------------------------------------------

    async def search(
        self, actor: Actor, query: str = "", include_inactive: bool = False
    ) -> list[CatalogueEntry]:
        """Current entries matching number, words or legal basis (all words must match)."""
        stmt = _current()
        if not include_inactive:
            stmt = stmt.where(OffenceCatalogueEntry.active.is_(True))
        for word in query.split()[:8]:
            pattern = _like(word)
            stmt = stmt.where(
                or_(
                    func.lower(OffenceCatalogueEntry.catalogue_number).like(pattern, escape="\\"),
                    func.lower(OffenceCatalogueEntry.key).like(pattern, escape="\\"),
                    func.lower(OffenceCatalogueEntry.description).like(pattern, escape="\\"),
                    func.lower(OffenceCatalogueEntry.legal_basis).like(pattern, escape="\\"),
                    func.lower(OffenceCatalogueEntry.group_name).like(pattern, escape="\\"),
                )
            )
        stmt = stmt.order_by(OffenceCatalogueEntry.group_name, OffenceCatalogueEntry.key)
        async with reading(self._db, actor, _reader(actor)) as s:
            rows = (await s.scalars(stmt.limit(SEARCH_LIMIT))).all()
            return [_entry(e) for e in rows]

    async def entry(self, actor: Actor, entry_id: int) -> CatalogueEntry:
        """One revision by id (also a superseded one: the one a case was made with)."""
        async with reading(self._db, actor, _reader(actor)) as s:
            found = await s.get(OffenceCatalogueEntry, entry_id)
            if found is None:
                raise NotFound(tr("catalogue", "Catalogue entry %1 does not exist.", entry_id))
            return _entry(found)

    async def history(self, actor: Actor, key: str) -> list[CatalogueEntry]:
        """Every revision of an entry, oldest first."""
        async with reading(self._db, actor, _reader(actor)) as s:
            rows = await s.scalars(
                select(OffenceCatalogueEntry)
                .where(OffenceCatalogueEntry.key == key.upper())
                .order_by(OffenceCatalogueEntry.revision)
            )
            return [_entry(e) for e in rows]

    # -- writing ------------------------------------------------------------------------------

    async def import_csv(self, actor: Actor, text: str) -> ImportResult:
        """Import a catalogue file: new keys added, changed ones revised, in one transaction."""
        rows = parse_catalogue(text)
        async with unit_of_work(self._db, actor, Permission.CATALOGUE_MANAGE) as w:
            current = {e.key: e for e in await w.session.scalars(_current())}
            added = revised = 0
            for row in rows:
                before = current.get(row.key)
                if before is None:
                    await _add(w, row, 1)
                    added += 1
                elif _content(before) != row.content():
                    await _revise(w, before, row)
                    revised += 1
            result = ImportResult(added, revised, len(rows) - added - revised)
            await w.audit(
                "catalogue.import",
                "offence_catalogue_entry",
                None,
                {"added": added, "revised": revised, "unchanged": result.unchanged},
            )
            return result

    async def import_seed_if_empty(self, actor: Actor) -> ImportResult | None:
        """Load the shipped seed catalogue into an empty catalogue (a fresh database)."""
        async with reading(self._db, actor, _reader(actor)) as s:
            count = await s.scalar(select(func.count(OffenceCatalogueEntry.id)))
        if count:
            return None
        seed = resource_path("data", "owi-catalogue-seed.csv").read_text(encoding="utf-8")
        return await self.import_csv(actor, seed)

    async def revise(
        self, actor: Actor, entry_id: int, expected_version: int, **changes: Any
    ) -> CatalogueEntry:
        """Edit an entry: a new revision with ``changes``; the old one stays for its cases.

        The new revision is unverified unless ``verified=True`` is passed explicitly.
        """
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise ValidationError(
                tr("catalogue", "These fields cannot be changed: %1", ", ".join(sorted(unknown))),
                "fields",
            )
        async with unit_of_work(self._db, actor, Permission.CATALOGUE_MANAGE) as w:
            before = await _locked_current(w.session, entry_id, expected_version)
            row = _checked(replace(_as_row(before), **{"verified": False, **changes}))
            if row.content() == _content(before) and row.verified == before.verified:
                return _entry(before)
            new = await _revise(w, before, row)
            return _entry(new)

    async def confirm(self, actor: Actor, entry_id: int, expected_version: int) -> CatalogueEntry:
        """Mark an unverified entry as checked against its source (who and when are kept)."""
        async with unit_of_work(self._db, actor, Permission.CATALOGUE_MANAGE) as w:
            entry = await _locked_current(w.session, entry_id, expected_version)
            if entry.verified:
                return _entry(entry)
            entry.verified = True
            entry.confirmed_at = w.now
            entry.confirmed_by_id = actor.user_id
            await w.session.flush()
            await w.audit(
                "catalogue.confirm", "offence_catalogue_entry", entry.id, {"key": entry.key}
            )
            w.changed(Entity.CATALOGUE, entry.id, "update", entry.version)
            return _entry(entry)

    async def set_active(
        self, actor: Actor, entry_id: int, expected_version: int, active: bool
    ) -> CatalogueEntry:
        """Take an entry out of use for new cases (or back); existing cases keep it."""
        async with unit_of_work(self._db, actor, Permission.CATALOGUE_MANAGE) as w:
            entry = await _locked_current(w.session, entry_id, expected_version)
            if entry.active != active:
                entry.active = active
                await w.session.flush()
                await w.audit(
                    "catalogue.activate" if active else "catalogue.deactivate",
                    "offence_catalogue_entry",
                    entry.id,
                    {"key": entry.key},
                )
                w.changed(Entity.CATALOGUE, entry.id, "update", entry.version)
            return _entry(entry)


def _content(e: OffenceCatalogueEntry) -> dict[str, Any]:
    return _as_row(e).content()


def _as_row(e: OffenceCatalogueEntry) -> CatalogueRow:
    return CatalogueRow(**{name: getattr(e, name) for name in _ROW_FIELDS})


def _checked(row: CatalogueRow) -> CatalogueRow:
    """An edited row passes the same checks (and normalising) as an imported one."""
    return parse_catalogue(write_catalogue([row]))[0]


async def _locked_current(
    s: AsyncSession, entry_id: int, expected_version: int
) -> OffenceCatalogueEntry:
    entry = await s.get(OffenceCatalogueEntry, entry_id, with_for_update=True)
    if entry is None:
        raise NotFound(tr("catalogue", "Catalogue entry %1 does not exist.", entry_id))
    if entry.superseded_at is not None or entry.version != expected_version:
        raise ConflictError(
            "offence_catalogue_entry", entry_id, expected_version, current=_entry(entry)
        )
    return entry


async def _add(w: Work, row: CatalogueRow, revision: int) -> OffenceCatalogueEntry:
    entry = OffenceCatalogueEntry(
        **{name: getattr(row, name) for name in _ROW_FIELDS},
        revision=revision,
        valid_from=w.now,
        active=True,
    )
    w.session.add(entry)
    await w.session.flush()
    await w.audit(
        "catalogue.add" if revision == 1 else "catalogue.revise",
        "offence_catalogue_entry",
        entry.id,
        {"key": row.key, "revision": revision},
    )
    w.changed(Entity.CATALOGUE, entry.id, "insert", entry.version)
    return entry


async def _revise(
    w: Work, before: OffenceCatalogueEntry, row: CatalogueRow
) -> OffenceCatalogueEntry:
    before.superseded_at = w.now
    await w.session.flush()  # the one-current-revision index: retire the old row first
    w.changed(Entity.CATALOGUE, before.id, "update", before.version)
    new = await _add(w, row, before.revision + 1)
    if not before.active:
        new.active = False
    return new
