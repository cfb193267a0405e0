"""The map's background: tile settings, MBTiles and outline imports, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import shape
from sqlalchemy import event

from app.domain.map_tiles import open_mbtiles, read_tile, tile_host
from app.domain.outlines import stadtteil_outlines_geojson
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.errors import PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from app.services.stadtteile import REFRESH_S
from app.tools.cli import run as cli_run
from tests.conftest import ADMIN, service_actions
from tests.map_files import make_mbtiles, projected_outlines, solid_png
from tests.pg_logins import PASSWORD, attempt, login
from tests.ui.waiting import wait_until

CLERK = Actor(None, "cli:clerk", Role.CLERK, "Sachbearbeitung")


@pytest.fixture
def data_dir(services: Services, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    services.map_data.data_dir = folder
    return folder


@pytest.mark.asyncio
async def test_the_tile_address_is_checked_and_changes_are_audited(services: Services) -> None:
    good = "https://tiles.stadt.example/{z}/{x}/{y}.png"
    await services.settings.set(ADMIN, "map.tile_url", good)
    await services.settings.set(ADMIN, "map.tile_attribution", "© Stadt Leverkusen")
    refused = {
        "ftp://tiles.example/{z}/{x}/{y}.png": "http:// oder https://",
        "javascript:alert(1)//{z}/{x}/{y}": "http:// oder https://",
        "https://tiles.example/{z}/{x}.png": "Platzhalter {z}, {x} und {y}",
        "https://tiles.example/{z}/{x}/{y}/{token}.png": "unbekannte Platzhalter: {token}",
        "https://tiles.example/{z}/{x}/{y}.png?a= b": "Leerzeichen",
        "https://{z}.example/{z}/{x}/{y}.png": "nur {s}",
    }
    for value, message in refused.items():
        with pytest.raises(ValidationError, match=re.escape(message)):
            await services.settings.set(ADMIN, "map.tile_url", value)
    with pytest.raises(ValidationError, match="muss ein Text sein"):
        await services.settings.set(ADMIN, "map.tile_attribution", 5)
    assert await services.settings.get("map.tile_url") == good
    assert service_actions(services.db).count("setting.change") == 2
    background = await services.map_data.background()
    assert background.tiles.kind == "url"
    assert background.tiles.url == good
    assert background.tiles.attribution == "© Stadt Leverkusen"
    assert background.official is False


@pytest.mark.asyncio
async def test_an_mbtiles_file_is_checked_copied_and_used(
    services: Services, tmp_path: Path, data_dir: Path
) -> None:
    source = make_mbtiles(tmp_path / "stadtplan.mbtiles", solid_png())
    await services.settings.set(ADMIN, "map.tile_url", "https://tiles.example/{z}/{x}/{y}.png")
    done = await services.map_data.import_tiles(ADMIN, source)
    assert done.setting == "tiles/stadtplan.mbtiles"
    assert done.stored == data_dir / "tiles" / "stadtplan.mbtiles"
    assert done.stored.read_bytes() == source.read_bytes()
    assert (done.info.format, done.info.tiles, done.info.max_zoom) == ("png", 72, 12)
    assert await services.settings.get("map.mbtiles_path") == "tiles/stadtplan.mbtiles"
    # The MBTiles file wins over the tile server.
    tiles = (await services.map_data.background()).tiles
    assert tiles.kind == "mbtiles"
    assert tiles.path == done.stored
    assert tiles.bounds == (6.9, 50.98, 7.17, 51.11)
    # On a workstation without the file the tile server is used, and the reason is known.
    done.stored.unlink()
    tiles = (await services.map_data.background()).tiles
    assert tiles.kind == "url"
    assert "existiert nicht" in tiles.problem


def _sqlite_file(path: Path, *statements: str) -> Path:
    conn = sqlite3.connect(path)
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()
    return path


@pytest.mark.asyncio
async def test_a_file_that_is_no_raster_mbtiles_is_refused_and_changes_nothing(
    services: Services, tmp_path: Path, data_dir: Path
) -> None:
    text = tmp_path / "karte.mbtiles"
    text.write_text("keine Datenbank", encoding="utf-8")
    no_tiles = _sqlite_file(tmp_path / "leer.mbtiles", "CREATE TABLE metadata (name, value)")
    vector = make_mbtiles(tmp_path / "vektor.mbtiles", b"\x1f\x8b gzip", metadata={"format": "pbf"})
    bounds = make_mbtiles(tmp_path / "grenzen.mbtiles", solid_png(), metadata={"bounds": "7,52,6"})
    images = make_mbtiles(tmp_path / "bilder.mbtiles", b"GIF89a...", metadata={"format": ""})
    cases = {
        text: "ist keine MBTiles-Datei (MBTiles-Dateien sind SQLite-Datenbanken)",
        no_tiles: "Die Tabelle tiles fehlt",
        vector: "im Format „pbf“",
        bounds: "unmögliche Grenzen „7,52,6“",
        images: "keine PNG-, JPEG- oder WebP-Bilder",
        tmp_path / "fehlt.mbtiles": "existiert nicht",
    }
    for path, message in cases.items():
        with pytest.raises(ValidationError, match=re.escape(message)):
            await services.map_data.import_tiles(ADMIN, path)
    assert await services.settings.get("map.mbtiles_path") == ""
    assert not data_dir.exists()
    with pytest.raises(PermissionDenied):
        await services.map_data.import_tiles(
            CLERK, make_mbtiles(tmp_path / "ok.mbtiles", solid_png())
        )
    assert not data_dir.exists()


@pytest.mark.asyncio
async def test_official_outlines_in_utm_are_imported_in_wgs84(
    services: Services, tmp_path: Path
) -> None:
    path = projected_outlines(tmp_path / "stadtteile.geojson", rename={"Wiesdorf": "WIESDORF"})
    result = await services.map_data.import_outlines(ADMIN, path)
    assert result.crs == "EPSG:25832"
    assert "Wiesdorf" in result.names  # matched to the known spelling
    assert result.warnings == ()
    background = await services.map_data.background()
    assert background.official is True
    assert background.outline_source == "stadtteile.geojson"
    approximate = {
        f["properties"]["name"]: shape(f["geometry"])
        for f in stadtteil_outlines_geojson()["features"]
    }
    features = background.outlines["features"]
    assert len(features) == 13
    for feature in features:
        props = feature["properties"]
        assert props["approximate"] is False
        area = shape(feature["geometry"])
        original = approximate[props["name"]]
        # Back from UTM to degrees: the same area to well under a metre.
        assert area.symmetric_difference(original).area < original.area * 1e-5
        assert area.contains(
            shape({"type": "Point", "coordinates": [props["label_lon"], props["label_lat"]]})
        )
    assert "map.outlines_import" in service_actions(services.db)


@pytest.mark.asyncio
async def test_unknown_names_are_imported_with_a_warning(
    services: Services, tmp_path: Path
) -> None:
    path = projected_outlines(tmp_path / "o.geojson", rename={"Opladen": "Neustadt"}, key="name")
    result = await services.map_data.import_outlines(ADMIN, path)
    assert "Neustadt" in result.names
    assert result.warnings == (
        "Kein bekannter Stadtteil (trotzdem eingelesen): Neustadt",
        "Keine Grenze in der Datei für: Opladen",
    )


def _geojson(path: Path, features: list[dict[str, object]], **extra: object) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features, **extra}))
    return path


def _square(lon: float, lat: float, d: float = 0.01) -> dict[str, object]:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.mark.asyncio
async def test_malformed_geojson_is_refused_in_german_and_nothing_is_stored(
    services: Services, tmp_path: Path
) -> None:
    await services.map_data.import_outlines(ADMIN, projected_outlines(tmp_path / "ok.geojson"))
    feature = {"type": "Feature", "properties": {"name": "Wiesdorf"}, "geometry": _square(7, 51.03)}
    broken = tmp_path / "kaputt.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    cases = {
        broken: "ist kein gültiges GeoJSON",
        _geojson(tmp_path / "leer.geojson", []): "keine GeoJSON-FeatureCollection",
        _geojson(
            tmp_path / "punkt.geojson",
            [feature, {**feature, "geometry": {"type": "Point", "coordinates": [7, 51]}}],
        ): "hat die Geometrie „Point“; nur Polygon und MultiPolygon",
        _geojson(
            tmp_path / "ohne_namen.geojson", [{**feature, "properties": {"flaeche": 3}}]
        ): "Keine Eigenschaft von ohne_namen.geojson enthält die Stadtteilnamen",
        _geojson(
            tmp_path / "utm_ohne_crs.geojson",
            [{**feature, "geometry": _square(360000, 5655000, 500)}],
        ): "sind nicht in Grad (WGS84). Geben Sie das Koordinatensystem der Datei mit --crs an",
        _geojson(
            tmp_path / "berlin.geojson", [{**feature, "geometry": _square(13.4, 52.5)}]
        ): "liegen außerhalb von Leverkusen",
        _geojson(
            tmp_path / "crs.geojson",
            [feature],
            crs={"type": "name", "properties": {"name": "EPSG:999999"}},
        ): "unbekanntes Koordinatensystem",
    }
    for path, message in cases.items():
        with pytest.raises(ValidationError, match=re.escape(message)):
            await services.map_data.import_outlines(ADMIN, path)
    with pytest.raises(ValidationError, match="keine Eigenschaft „Name“"):
        await services.map_data.import_outlines(
            ADMIN, _geojson(tmp_path / "n.geojson", [feature]), name_property="Name"
        )
    # The earlier import is untouched.
    background = await services.map_data.background()
    assert background.outline_source == "ok.geojson"
    assert len(background.outlines["features"]) == 13
    assert service_actions(services.db).count("map.outlines_import") == 1


@pytest.mark.asyncio
async def test_a_projected_file_without_a_crs_member_is_read_with_crs_named(
    services: Services, tmp_path: Path
) -> None:
    feature = {
        "type": "Feature",
        "properties": {"Name": "wiesdorf"},
        "geometry": _square(360000, 5655000, 500),
    }
    path = _geojson(tmp_path / "utm.geojson", [feature])
    with pytest.raises(ValidationError, match="--crs EPSG:25832"):
        await services.map_data.import_outlines(ADMIN, path)
    result = await services.map_data.import_outlines(ADMIN, path, crs="EPSG:25832")
    assert (result.crs, result.names) == ("EPSG:25832", ("Wiesdorf",))
    (outline,) = (await services.map_data.background()).outlines["features"]
    lon, lat = shape(outline["geometry"]).centroid.coords[0]
    assert lon == pytest.approx(7.0067, abs=1e-3) and lat == pytest.approx(51.0318, abs=1e-3)


@pytest.mark.asyncio
async def test_a_clerk_may_not_import_outlines(services: Services, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied):
        await services.map_data.import_outlines(CLERK, projected_outlines(tmp_path / "o.geojson"))
    assert (await services.map_data.background()).official is False


def test_the_command_line_imports_and_refuses_in_german(
    db_target: DatabaseTarget,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home"))
    target = db_target
    url = target.command_line_url
    outlines = projected_outlines(tmp_path / "stadtteile.geojson")
    assert cli_run(["--database", url, "map", "import-outlines", str(outlines)]) == 0
    out = capsys.readouterr().out
    assert "stadtteile.geojson (EPSG:25832): 13 Stadtteilgrenzen eingelesen" in out
    bad = _geojson(tmp_path / "falsch.geojson", [])
    assert cli_run(["--database", url, "map", "import-outlines", str(bad)]) == 8
    assert "keine GeoJSON-FeatureCollection" in capsys.readouterr().err
    not_tiles = tmp_path / "karte.mbtiles"
    not_tiles.write_bytes(b"PK\x03\x04 zip")
    assert cli_run(["--database", url, "map", "import-tiles", str(not_tiles)]) == 8
    assert "ist keine MBTiles-Datei" in capsys.readouterr().err
    assert not (tmp_path / "home").exists()
    tiles = make_mbtiles(tmp_path / "stadtplan.mbtiles", solid_png())
    assert cli_run(["--database", url, "map", "import-tiles", str(tiles)]) == 0
    out = capsys.readouterr().out
    stored = tmp_path / "home" / "KOD-Leitstelle" / "tiles" / "stadtplan.mbtiles"
    assert f"Testkarte: 72 Kacheln (PNG, Zoomstufen 12–12) nach {stored} kopiert." in out
    assert "map.mbtiles_path auf tiles/stadtplan.mbtiles gesetzt." in out
    assert stored.read_bytes() == tiles.read_bytes()


@pytest.mark.asyncio
async def test_on_postgresql_the_server_lets_everyone_read_and_only_administration_import(
    pg_target: DatabaseTarget, tmp_path: Path
) -> None:
    db = Database(pg_target, workstation="map-rights")
    try:
        services = Services.create(db)
        for name, role in (("m_clerk", Role.CLERK), ("m_admin", Role.ADMIN)):
            await services.users.add(ADMIN, name, name, role, PASSWORD)
        await services.map_data.import_outlines(ADMIN, projected_outlines(tmp_path / "a.geojson"))
    finally:
        await db.dispose()
    row = (
        "INSERT INTO map_outline (name, geometry, label_lat, label_lon, source, imported_at) "
        "VALUES ('X', '{}', 51, 7, 'x', now())"
    )
    with login(pg_target, "m_clerk") as conn:
        assert attempt(conn, "SELECT count(*) FROM map_outline") == (True, "")
        done, why = attempt(conn, row)
        assert not done and why.startswith("42501")  # insufficient_privilege
        done, why = attempt(conn, "DELETE FROM map_outline")
        assert not done and why.startswith("42501")
    with login(pg_target, "m_admin") as conn:
        assert attempt(conn, row) == (True, "")
    # A program that claims administration on a clerk's login is refused by the server.
    clerk_db = Database(pg_target.with_login("m_clerk", PASSWORD), workstation="map-rights")
    try:
        forged = Services.create(clerk_db)
        with pytest.raises(PermissionDenied) as refused:
            await forged.map_data.import_outlines(
                ADMIN, projected_outlines(tmp_path / "b.geojson", key="name")
            )
        assert "Der Datenbankserver hat diese Aktion abgelehnt" in str(refused.value)
        assert (await forged.map_data.background()).outline_source == "a.geojson"
    finally:
        await clerk_db.dispose()


def test_tiles_are_read_in_xyz_rows_from_the_tms_file(tmp_path: Path) -> None:
    north, south = solid_png((255, 0, 0)), solid_png((0, 0, 255))
    path = make_mbtiles(tmp_path / "a.mbtiles", north, tiles=[(1, 0)], zoom=1)
    conn = sqlite3.connect(path)
    # TMS counts rows from the south: row 0 at zoom 1 is the southern half (XYZ row 1).
    conn.execute("INSERT INTO tiles VALUES (1, 1, 0, ?)", (south,))
    conn.commit()
    conn.close()
    reader = open_mbtiles(path)
    try:
        assert read_tile(reader, 1, 1, 0) == north
        assert read_tile(reader, 1, 1, 1) == south
        assert read_tile(reader, 1, 0, 0) is None
        assert read_tile(reader, 1, 2, 0) is None  # outside the world
        assert read_tile(reader, -1, 0, 0) is None
    finally:
        reader.close()


def test_only_the_configured_tile_server_counts_as_its_host() -> None:
    host = tile_host("https://{s}.karten.example/{z}/{x}/{y}.png")
    assert host is not None
    assert host.matches("https", "a.karten.example", None)
    assert not host.matches("http", "a.karten.example", None)
    assert not host.matches("https", "karten.example", None)
    assert not host.matches("https", "a.b.karten.example", None)
    assert not host.matches("https", "a.karten.example.evil", None)
    local = tile_host("http://127.0.0.1:8080/{z}/{x}/{y}.png")
    assert local is not None
    assert local.matches("http", "127.0.0.1", 8080)
    assert not local.matches("http", "127.0.0.1", 8081)
    assert tile_host("file:///tiles/{z}/{x}/{y}.png") is None


class Clock:
    """The outline index's clock, moved on by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("app.services.stadtteile._clock", clock)
    return clock


def outline_queries(db: Database) -> list[str]:
    """Every statement on ``db`` that reads the outline table, from now on."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "map_outline" in statement:
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    return seen


@pytest.mark.asyncio
async def test_writes_with_coordinates_read_no_outlines_and_see_imports_elsewhere(
    services: Services, dispatcher: Actor, tmp_path: Path, clock: Clock
) -> None:
    from app.domain.dto import IncidentDraft
    from app.domain.geo import stadtteil_by_name
    from app.platform.changefeed import ChangeFollower, last_change_id

    wiesdorf = stadtteil_by_name("Wiesdorf")
    assert wiesdorf is not None
    point = (wiesdorf.centre_lat, wiesdorf.centre_lon)

    def draft() -> IncidentDraft:
        return IncidentDraft("noise", address="Hauptstraße 1", lat=point[0], lon=point[1])

    assert (await services.incidents.create(dispatcher, draft())).stadtteil == "Wiesdorf"
    queries = outline_queries(services.db)
    # A workstation follows the change feed: its writes ask nothing about the outlines.
    follower = ChangeFollower(services.db, after_id=await last_change_id(services.db))
    services.map_data.follow_changes(follower)
    follower.start()
    try:
        await wait_until(lambda: follower.status.online, 10)
        await services.incidents.create(dispatcher, draft())
        queries.clear()
        for _ in range(5):
            clock.advance(REFRESH_S)
            assert (await services.incidents.create(dispatcher, draft())).stadtteil == "Wiesdorf"
        assert queries == []
        # Another workstation (another connection to the same database) imports outlines.
        other_db = Database(services.db.target, workstation="other")
        try:
            path = projected_outlines(
                tmp_path / "amtlich.geojson", rename={"Wiesdorf": "Wiesdorf-Mitte"}
            )
            await Services.create(other_db).map_data.import_outlines(ADMIN, path)
            newest = await last_change_id(other_db)
        finally:
            await other_db.dispose()
        # The feed brings the import: the next write has the new outlines (no clock moved).
        await wait_until(lambda: follower.last_id >= newest, 10)
        after = await services.incidents.create(dispatcher, draft())
        assert after.stadtteil == "Wiesdorf-Mitte"
    finally:
        await follower.stop()


@pytest.mark.asyncio
async def test_incidents_get_their_stadtteil_from_the_official_outlines_once_imported(
    services: Services, dispatcher: Actor, tmp_path: Path, clock: Clock
) -> None:
    from app.domain.dto import IncidentDraft
    from app.domain.geo import stadtteil_by_name
    from app.services.stadtteile import last_known_stadtteil

    wiesdorf = stadtteil_by_name("Wiesdorf")
    assert wiesdorf is not None
    point = (wiesdorf.centre_lat, wiesdorf.centre_lon)

    def draft() -> IncidentDraft:
        return IncidentDraft("noise", address="Hauptstraße 1", lat=point[0], lon=point[1])

    before = await services.incidents.create(dispatcher, draft())
    assert before.stadtteil == "Wiesdorf"
    # Another workstation on the same database imports the city's outlines, in which the
    # Stadtteil is spelled as the city's open data spells it.
    other_db = Database(services.db.target, workstation="other")
    try:
        path = projected_outlines(
            tmp_path / "amtlich.geojson", rename={"Wiesdorf": "Wiesdorf-Mitte"}
        )
        await Services.create(other_db).map_data.import_outlines(ADMIN, path)
    finally:
        await other_db.dispose()
    # This process follows no change feed: it notices within one refresh.
    clock.advance(REFRESH_S)
    after = await services.incidents.create(dispatcher, draft())
    assert after.stadtteil == "Wiesdorf-Mitte"
    # What panes show before the next write (unit board, emergency banner, call form).
    await services.map_data.load_stadtteile()
    assert last_known_stadtteil(*point) == "Wiesdorf-Mitte"
    moved = await services.incidents.update(
        dispatcher, before.id, before.version, {"lat": point[0] + 1e-5, "lon": point[1]}
    )
    assert moved.stadtteil == "Wiesdorf-Mitte"
