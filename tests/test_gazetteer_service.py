"""Gazetteer service on SQLite and PostgreSQL: import (NRW and generic CSV), search, index cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.domain.changes import ChangeSet
from app.domain.dto import Change, ChangeBatch
from app.domain.geo import load_stadtteile, wgs84_to_utm32
from app.platform.config import DatabaseTarget
from app.platform.errors import PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.platform.uow import Actor
from app.services import Services
from app.tools.cli import run as cli_run
from db.models import AuditRecord, ChangeFeedEntry, GazetteerAddress
from tests.conftest import ADMIN

WIESDORF = (51.0325, 6.9870)


def _centre(name: str) -> tuple[float, float]:
    st = next(s for s in load_stadtteile() if s.name == name)
    return st.centre_lat, st.centre_lon


def nrw_csv(path: Path, streets: dict[str, tuple[str, int]]) -> Path:
    """An NRW house-coordinate file (semicolons, UTM 32 with decimal comma, cp1252)."""
    lines = ["STN;HNR;ADZ;PLZ;ONM;EAST;NORTH"]
    for street, (stadtteil, count) in streets.items():
        lat, lon = _centre(stadtteil)
        for n in range(1, count + 1):
            east, north = wgs84_to_utm32(lat + n * 0.0001, lon + n * 0.0001)
            addition = "a" if n == 2 else ""
            east_s = f"{east:.3f}".replace(".", ",")
            north_s = f"{north:.3f}".replace(".", ",")
            lines.append(f"{street};{n};{addition};51373;Leverkusen;{east_s};{north_s}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def generic_csv_with_bad_rows(path: Path) -> Path:
    lat, lon = WIESDORF
    path.write_text(
        "street,house_number,postcode,lat,lon\n"
        f"Teststraße,1,51373,{lat},{lon}\n"
        f"Teststraße,2,51373,{lat + 0.0002},{lon}\n"
        f"Teststraße,3,51373,abc,{lon}\n"  # not a number
        f"Teststraße,,51373,{lat},{lon}\n"  # no house number
        "Teststraße,5,51373,52.52,13.40\n"  # Berlin: outside the city
        f"Teststraße,6,51373,{lon},{lat}\n"  # lat/lon swapped
        f"Teststraße,1,51373,{lat},{lon}\n",  # duplicate of line 2
        encoding="utf-8",
    )
    return path


async def _count(services: Services) -> int:
    async with services.db.read() as s:
        return int(await s.scalar(select(func.count(GazetteerAddress.id))) or 0)


@pytest.mark.asyncio
async def test_import_nrw_file_inserts_then_updates_and_is_audited(
    services: Services, tmp_path: Path
) -> None:
    path = nrw_csv(tmp_path / "hk.csv", {"Ahornweg": ("Opladen", 5), "Birkenweg": ("Wiesdorf", 3)})
    summary = await services.gazetteer.import_csv(ADMIN, path)
    assert summary.format_name == "nrw-hauskoordinaten"
    assert (summary.inserted, summary.updated, summary.unchanged) == (8, 0, 0)
    assert summary.errors == ()
    assert await _count(services) == 8
    async with services.db.read() as s:
        row = await s.scalar(
            select(GazetteerAddress).where(
                GazetteerAddress.street == "Ahornweg", GazetteerAddress.house_number == "2a"
            )
        )
        assert row is not None and row.source == "import" and row.stadtteil
        audit = await s.scalar(select(AuditRecord).where(AuditRecord.action == "gazetteer.import"))
        assert audit is not None and json.loads(audit.details)["inserted"] == 8
        change = await s.scalar(
            select(ChangeFeedEntry).where(ChangeFeedEntry.entity == "gazetteer")
        )
        assert change is not None and change.op == "import"

    # The same file again changes nothing; one more street is inserted, nothing duplicated.
    again = await services.gazetteer.import_csv(ADMIN, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 8)
    bigger = nrw_csv(
        tmp_path / "hk2.csv", {"Ahornweg": ("Schlebusch", 5), "Zedernweg": ("Wiesdorf", 2)}
    )
    third = await services.gazetteer.import_csv(ADMIN, bigger)
    assert (third.inserted, third.updated, third.unchanged) == (2, 5, 0)
    assert await _count(services) == 10


@pytest.mark.asyncio
async def test_import_generic_file_reports_bad_rows_in_german(
    services: Services, tmp_path: Path
) -> None:
    summary = await services.gazetteer.import_csv(
        ADMIN, generic_csv_with_bad_rows(tmp_path / "g.csv")
    )
    assert summary.format_name == "generic-wgs84"
    assert summary.inserted == 2 and summary.imported == 2
    assert summary.rejected == 5
    text = "\n".join(summary.errors)
    for expected in ("Zeile 4:", "Zeile 5:", "Zeile 6:", "Zeile 7:", "Zeile 8:"):
        assert expected in text
    assert "keine Zahl" in text and "außerhalb des Stadtgebiets" in text and "doppelt" in text
    assert await _count(services) == 2


@pytest.mark.asyncio
async def test_unknown_format_raises_german_message_and_writes_nothing(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("name;wert\nfoo;1\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        await services.gazetteer.import_csv(ADMIN, path)
    assert info.value.field == "path"
    assert "Unbekanntes Dateiformat" in str(info.value)
    with pytest.raises(ValidationError):
        await services.gazetteer.import_csv(ADMIN, tmp_path / "missing.csv")
    assert await _count(services) == 0
    async with services.db.read() as s:
        assert await s.scalar(select(func.count(ChangeFeedEntry.id))) == 0


@pytest.mark.asyncio
async def test_only_gazetteer_managers_import(
    services: Services, dispatcher: Actor, tmp_path: Path
) -> None:
    path = generic_csv_with_bad_rows(tmp_path / "g.csv")
    with pytest.raises(PermissionDenied):
        await services.gazetteer.import_csv(dispatcher, path)
    assert await _count(services) == 0


@pytest.mark.asyncio
async def test_search_uses_cached_index_rebuilt_after_import_and_changes(
    services: Services, dispatcher: Actor, tmp_path: Path
) -> None:
    assert await services.gazetteer.search(dispatcher, "ahorn") == []
    first = await services.gazetteer.index()
    assert await services.gazetteer.index() is first  # cached
    await services.gazetteer.import_csv(
        ADMIN, nrw_csv(tmp_path / "hk.csv", {"Ahornweg": ("Opladen", 12)})
    )
    found = await services.gazetteer.search(dispatcher, "ahorn 1", limit=5)
    assert [a.house_number for a in found[:3]] == ["1", "10", "11"]
    assert found[0].label.startswith("Ahornweg 1, 51373 Leverkusen")
    assert await services.gazetteer.search(dispatcher, "  ") == []

    # Another workstation imported: the change feed invalidates the cached index.
    cached = await services.gazetteer.index()
    services.gazetteer.on_changes(
        ChangeSet.of(ChangeBatch((Change(1, utcnow(), "incident", 1, "insert", 1, "other"),)))
    )
    assert await services.gazetteer.index() is cached
    services.gazetteer.on_changes(
        ChangeSet.of(ChangeBatch((Change(2, utcnow(), "gazetteer", 0, "import", None, "other"),)))
    )
    assert await services.gazetteer.index() is not cached

    # Reading needs incident access: the data-protection role has none.
    with pytest.raises(PermissionDenied):
        await services.gazetteer.search(
            Actor(None, "dp", Role.DATA_PROTECTION),
            "ahorn",
        )


def _url(target: DatabaseTarget) -> str:
    return target.command_line_url


def test_cli_import_prints_summary_and_exit_code(
    db_target: DatabaseTarget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _url(db_target)
    good = generic_csv_with_bad_rows(tmp_path / "g.csv")
    assert cli_run(["--database", url, "gazetteer", "import", str(good)]) == 0
    out = capsys.readouterr().out
    assert "g.csv" in out and "Zeile 4:" in out
    # Only bad rows: nothing imported → exit code 8.
    bad = tmp_path / "bad.csv"
    bad.write_text("street,house_number,postcode,lat,lon\nA,1,51373,x,y\n", encoding="utf-8")
    assert cli_run(["--database", url, "gazetteer", "import", str(bad)]) == 8
    # Unknown format: the German message, exit code 8.
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a;b\n1;2\n", encoding="utf-8")
    assert cli_run(["--database", url, "gazetteer", "import", str(wrong)]) == 8
    assert "Unbekanntes Dateiformat" in capsys.readouterr().err
