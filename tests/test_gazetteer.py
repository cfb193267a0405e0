"""Tests for app.domain.gazetteer: address model, demo gazetteer, CSV import and search index."""

from __future__ import annotations

import collections
import csv
import dataclasses
import pathlib
import time

import pytest

from app.domain.gazetteer import (
    Address,
    AddressIndex,
    GazetteerFormatError,
    ImportError_,
    normalize_house_number,
    parse_house_coordinates_csv,
)
from app.domain.geo import find_stadtteil, load_city_area, wgs84_to_utm32
from demodata.gazetteer import demo_gazetteer
from resources.paths import resource_path

# -- Address -----------------------------------------------------------------------------------


def test_address_label() -> None:
    a = Address("Musterstraße", "12", "51373", "Wiesdorf", 51.03, 6.99)
    assert a.label == "Musterstraße 12, 51373 Leverkusen-Wiesdorf"
    assert dataclasses.replace(a, stadtteil=None).label == "Musterstraße 12, 51373 Leverkusen"
    assert dataclasses.replace(a, postcode="").label == "Musterstraße 12, Leverkusen-Wiesdorf"
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.street = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", "12"), ("16A", "16a"), ("12 a", "12a"), (" 42 - 48 ", "42-48"), ("7-11", "7-11")],
)
def test_normalize_house_number(raw: str, expected: str) -> None:
    assert normalize_house_number(raw) == expected


# -- demo gazetteer ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> list[Address]:
    return demo_gazetteer()


@pytest.fixture(scope="module")
def demo_index(demo: list[Address]) -> AddressIndex:
    return AddressIndex(demo)


def _street_names() -> list[str]:
    path = resource_path("data", "leverkusen", "leverkusen_strassennamen.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        return [row["name_lang"] for row in csv.DictReader(fh)]


def test_demo_gazetteer_is_deterministic(demo: list[Address]) -> None:
    again = demo_gazetteer(1)
    assert again == demo
    assert again is not demo  # callers may mutate their copy
    other = demo_gazetteer(2)
    assert other != demo
    assert {a.street for a in other} == {a.street for a in demo}


def test_demo_gazetteer_inside_the_city_and_consistent(demo: list[Address]) -> None:
    city = load_city_area()
    assert 30_000 < len(demo) < 70_000
    assert len({(a.street, a.house_number) for a in demo}) == len(demo)
    for a in demo:
        assert city.contains(a.lat, a.lon), a
        stadtteil = find_stadtteil(a.lat, a.lon)
        assert stadtteil is not None and a.stadtteil == stadtteil.name
        assert a.postcode in stadtteil.postcodes, a


def test_demo_gazetteer_uses_every_street_name(demo: list[Address]) -> None:
    names = _street_names()
    assert len(names) == 1031
    per_street = collections.Counter(a.street for a in demo)
    assert set(per_street) == set(names)
    assert min(per_street.values()) >= 5
    numbers = {a.house_number for a in demo}
    assert {"1", "2", "5"} <= numbers
    assert any(n.endswith("a") for n in numbers)
    assert not any(a.street.endswith("Str.") for a in demo)


def test_demo_gazetteer_is_denser_in_the_centres(demo: list[Address]) -> None:
    counts = collections.Counter(a.stadtteil for a in demo)
    top3 = {name for name, _ in counts.most_common(3)}
    assert top3 == {"Wiesdorf", "Opladen", "Schlebusch"}


def test_demo_gazetteer_contains_real_school_addresses(demo_index: AddressIndex) -> None:
    netze = demo_index.lookup("Netzestraße", "12")
    assert len(netze) == 1
    assert (netze[0].lat, netze[0].lon) == (51.059945, 6.953223)
    assert netze[0].postcode == "51371" and netze[0].stadtteil == "Rheindorf"
    # "Haus-Vorster Str." in the school register, "Haus-Vorster-Straße" in the street list
    haus_vorst = demo_index.lookup("Haus-Vorster-Straße", "42-48")
    assert len(haus_vorst) == 1 and haus_vorst[0].lat == 51.078277
    thadden = demo_index.lookup("Elisabeth-von-Thadden-Straße", "16a")
    assert len(thadden) == 1 and thadden[0].lon == 7.027422
    # the Currenta school lies outside the boundary and is left out
    assert not any("Chempark" in s for s in demo_index.street_names)


# -- search ------------------------------------------------------------------------------------


def _addr(street: str, number: str, postcode: str = "51373") -> Address:
    return Address(street, number, postcode, "Wiesdorf", 51.03, 6.99)


@pytest.fixture()
def small_index() -> AddressIndex:
    return AddressIndex(
        [
            _addr("Hauptstraße", "1"),
            _addr("Hauptstraße", "2"),
            _addr("Hauptstraße", "12"),
            _addr("Hauptstraße", "12a"),
            _addr("Hauptstraße", "120"),
            _addr("Hauptstraße", "3"),
            _addr("Gerhart-Hauptmann-Straße", "12"),
            _addr("Küppersteger Straße", "5"),
            _addr("Straßburger Straße", "7"),
            _addr("Wiembachallee", "11", "51379"),
            _addr("Am Stadtpark", "23"),
            _addr("Haus-Vorster-Straße", "42-48", "51379"),
            _addr("Gönnersdorfer Weg", "4"),
        ]
    )


def _labels(result: list[Address]) -> list[str]:
    return [f"{a.street} {a.house_number}" for a in result]


def test_search_street_prefix_comes_first(small_index: AddressIndex) -> None:
    result = small_index.search("haupt")
    # one entry per street first, full-name prefix before word prefix
    assert _labels(result)[:2] == ["Hauptstraße 1", "Gerhart-Hauptmann-Straße 12"]
    assert len(result) == 7
    assert _labels(small_index.search("haupt", limit=3)) == [
        "Hauptstraße 1",
        "Gerhart-Hauptmann-Straße 12",
        "Hauptstraße 2",
    ]


@pytest.mark.parametrize(
    "query",
    [
        "Küppersteger",
        "kueppersteger",
        "kuppersteger",
        "KÜPPERST",
        "Küppersteger Str 5",
        "Kueppersteger Strasse 5",
        "küppersteger straße 5",
    ],
)
def test_search_umlaut_folding(small_index: AddressIndex, query: str) -> None:
    assert _labels(small_index.search(query))[0] == "Küppersteger Straße 5"


@pytest.mark.parametrize("query", ["Straßburger", "Strassburger Str. 7", "strasburger"])
def test_search_sharp_s_both_ways(small_index: AddressIndex, query: str) -> None:
    assert _labels(small_index.search(query)) == ["Straßburger Straße 7"]


@pytest.mark.parametrize(
    "query", ["Hauptstr. 12", "hauptstr 12", "Hauptstrasse 12", "HAUPTSTRASSE 12", "hauptstraße12"]
)
def test_search_abbreviation_and_house_number(small_index: AddressIndex, query: str) -> None:
    # exact number, then the same number with a suffix, then numbers still being typed
    assert _labels(small_index.search(query)) == [
        "Hauptstraße 12",
        "Hauptstraße 12a",
        "Hauptstraße 120",
    ]


def test_search_house_number_preference(small_index: AddressIndex) -> None:
    assert _labels(small_index.search("hauptstraße 12a")) == ["Hauptstraße 12a", "Hauptstraße 12"]
    assert _labels(small_index.search("hauptstraße 12 A")) == ["Hauptstraße 12a", "Hauptstraße 12"]
    # typed digits so far: exact "1" first, then numbers starting with 1
    assert _labels(small_index.search("Hauptstr 1")) == [
        "Hauptstraße 1",
        "Hauptstraße 12",
        "Hauptstraße 12a",
        "Hauptstraße 120",
    ]
    # a number that does not exist gives no (misleading) result
    assert small_index.search("Hauptstraße 99") == []
    # house number across all matching streets: exact numbers of both streets
    assert _labels(small_index.search("haupt 12")) == [
        "Hauptstraße 12",
        "Gerhart-Hauptmann-Straße 12",
        "Hauptstraße 12a",
        "Hauptstraße 120",
    ]
    assert _labels(small_index.search("haupt 12", limit=2)) == [
        "Hauptstraße 12",
        "Gerhart-Hauptmann-Straße 12",
    ]
    assert _labels(small_index.search("Haus Vorster Str 42")) == ["Haus-Vorster-Straße 42-48"]


def test_search_partial_strasse_while_typing(small_index: AddressIndex) -> None:
    for query in ("Hauptstra", "Hauptstras", "Hauptstraß", "Hauptstrass"):
        assert _labels(small_index.search(query))[0] == "Hauptstraße 1", query


def test_search_word_prefix_and_substring(small_index: AddressIndex) -> None:
    assert _labels(small_index.search("hauptmann")) == ["Gerhart-Hauptmann-Straße 12"]
    assert _labels(small_index.search("stadtpark")) == ["Am Stadtpark 23"]
    assert _labels(small_index.search("am stadtp 23")) == ["Am Stadtpark 23"]
    assert _labels(small_index.search("vorster")) == ["Haus-Vorster-Straße 42-48"]
    assert _labels(small_index.search("allee")) == ["Wiembachallee 11"]
    assert _labels(small_index.search("gonnersdorf")) == ["Gönnersdorfer Weg 4"]
    assert _labels(small_index.search("goennersdorfer weg 4")) == ["Gönnersdorfer Weg 4"]


def test_search_edge_cases(small_index: AddressIndex) -> None:
    assert small_index.search("") == []
    assert small_index.search("   ") == []
    assert small_index.search("12") == []
    assert small_index.search("xyz") == []
    assert small_index.search("haupt", limit=0) == []
    # a selected label can be searched again
    label = small_index.search("Wiembachallee 11")[0].label
    assert label == "Wiembachallee 11, 51379 Leverkusen-Wiesdorf"
    assert _labels(small_index.search(label)) == ["Wiembachallee 11"]
    assert len(small_index) == 13


def test_search_in_demo_gazetteer(demo_index: AddressIndex) -> None:
    hits = demo_index.search("Dönhoffstr 94")
    assert hits[0].street == "Dönhoffstraße" and hits[0].house_number == "94"
    assert hits[0].lat == 51.030347  # real school coordinate
    result = demo_index.search("bergische land")
    assert result and all(a.street == "Bergische Landstraße" for a in result)


def test_lookup_and_nearest(small_index: AddressIndex, demo_index: AddressIndex) -> None:
    assert _labels(small_index.lookup("Hauptstr.", "12A")) == ["Hauptstraße 12a"]
    assert small_index.lookup("Nirgendwo", "1") == []
    nearest = demo_index.nearest(51.059945, 6.953223)
    assert nearest is not None and nearest.label.startswith("Netzestraße 12,")
    assert demo_index.nearest(50.9413, 6.9583, max_distance_m=500) is None
    assert demo_index.nearest(50.9413, 6.9583) is not None  # unlimited: closest in the city
    assert AddressIndex([]).nearest(51.0, 7.0) is None


def test_search_is_fast_for_300000_addresses(demo: list[Address]) -> None:
    suffixes = ["", " Nord", " Süd", "-West", " Ost", " Alt", " Neu"]
    big = [dataclasses.replace(a, street=a.street + s) for s in suffixes for a in demo]
    assert len(big) > 300_000
    index = AddressIndex(big)
    queries = [
        "a",
        "b 1",
        "haupt",
        "Hauptstr 12",
        "s",
        "str 1",
        "küpp",
        "allee 3",
        "bergische landstraße 10",
        "e 5",
        "an der 1",
        "zzz",
    ]
    for query in queries:
        best = min(_timed(index, query) for _ in range(3))
        assert best < 0.020, (query, best)


def _timed(index: AddressIndex, query: str) -> float:
    start = time.perf_counter()
    index.search(query)
    return time.perf_counter() - start


# -- CSV import --------------------------------------------------------------------------------

NRW_HEADER = (
    "NBA;OI;QUA;LAN;RBZ;KRS;GMD;OTT;SSS;HNR;ADZ;EEEEEEEE,EEE;NNNNNNN,NNN;STN;PLZ;ONM;ZON;POT"
)


def _utm(lat: float, lon: float, *, prefix: bool = True) -> tuple[str, str]:
    east, north = wgs84_to_utm32(lat, lon)
    e = f"{'32' if prefix else ''}{east:.3f}".replace(".", ",")
    return e, f"{north:.3f}".replace(".", ",")


def _nrw_row(
    hnr: str,
    adz: str,
    street: str,
    lat: float,
    lon: float,
    *,
    plz: str = "51373",
    nba: str = "N",
    krs: str = "16",
    pot: str = "",
) -> str:
    east, north = _utm(lat, lon)
    return (
        f"{nba};DENW00000000{hnr:0>4};A;05;3;{krs};000;0000;01234;{hnr};{adz};{east};{north};"
        f"{street};{plz};Leverkusen;;{pot}"
    )


def test_import_nrw_format_cp1252_with_errors(tmp_path: pathlib.Path) -> None:
    lines = [
        NRW_HEADER,
        # 2: official pair of the school register, zone prefix and decimal comma
        "N;DENW000000000001;A;05;3;16;000;0000;01234;12;;32356570,000;5658484,000;"
        "Netzestraße;51371;Leverkusen;;",
        _nrw_row("94", "", "Dönhoffstraße", 51.030347, 6.981184),  # 3
        _nrw_row("16", "A", "Elisabeth-von-Thadden-Straße", 51.045464, 7.027422, plz="51377"),
        "N;DENW000000000005;A;05;3;16;000;0000;01234;3;;abc;5658484,0;Netzestraße;51371;;;",  # 5
        _nrw_row("1", "", "", 51.03, 6.99),  # 6: street missing
        _nrw_row("1", "", "Domkloster", 50.9413, 6.9583, krs="16"),  # 7: Cologne, outside
        _nrw_row("5", "", "Hohe Straße", 50.9380, 6.9560, krs="15"),  # 8: other municipality
        _nrw_row("7", "", "Löschweg", 51.03, 6.99, nba="L"),  # 9: deletion record
        _nrw_row("94", "", "Dönhoffstr.", 51.030347, 6.981184),  # 10: duplicate of line 3
        _nrw_row("2", "", "Kölner Straße", 51.02, 6.99, plz="5137"),  # 11: bad postcode
        "",  # 12: blank lines are ignored
        _nrw_row("8", "b", "Mülheimer Straße", 51.031, 7.05, plz="51375", pot="Schlebusch"),
        "N;DENW000000000014;A;05;3;16;000;0000;01234;9;;32356570,0",  # 14: too short
    ]
    path = tmp_path / "hk_05316000.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))

    result = parse_house_coordinates_csv(path)

    assert result.format_name == "nrw-hauskoordinaten"
    assert result.encoding == "cp1252"
    labels = [a.label for a in result.addresses]
    assert labels == [
        "Netzestraße 12, 51371 Leverkusen-Rheindorf",
        "Dönhoffstraße 94, 51373 Leverkusen-Wiesdorf",
        "Elisabeth-von-Thadden-Straße 16a, 51377 Leverkusen-Alkenrath",
        "Mülheimer Straße 8b, 51375 Leverkusen-Schlebusch",
    ]
    netze = result.addresses[0]
    assert abs(netze.lat - 51.059945) < 2e-6 and abs(netze.lon - 6.953223) < 2e-6
    messages = {e.line: e.message for e in result.errors}
    assert messages == {
        5: "Zeile 5: Koordinate 'abc' ist keine Zahl",
        6: "Zeile 6: Straßenname fehlt",
        7: messages[7],
        9: "Zeile 9: Löschdatensatz (Kennung L) wird nicht importiert",
        10: "Zeile 10: Dönhoffstr. 94 ist doppelt (bereits in Zeile 3)",
        11: "Zeile 11: Postleitzahl '5137' ist ungültig (fünf Ziffern erwartet)",
        14: messages[14],
    }
    assert messages[7].startswith("Zeile 7: Domkloster 1 liegt außerhalb des Stadtgebiets")
    assert messages[14].startswith("Zeile 14: zu wenige Spalten")
    assert all(isinstance(e, ImportError_) and str(e) == e.message for e in result.errors)
    assert result.skipped_other_municipality == 1
    assert result.warnings == ["1 Zeilen anderer Gemeinden wurden übersprungen."]
    assert not result.ok
    # nothing vanished silently: every data row is an address, an error or a counted skip
    assert len(result.addresses) + len(result.errors) + result.skipped_other_municipality == 12


def test_import_german_header_utf8_bom_decimal_comma(tmp_path: pathlib.Path) -> None:
    east, north = _utm(51.0662, 7.0050, prefix=False)
    east2, north2 = _utm(51.0700, 7.0000, prefix=False)
    text = (
        "strasse;hausnummer;zusatz;plz;ort;ostwert;nordwert\n"
        f"Goetheplatz;1;;51379;Leverkusen;{east};{north}\n"
        f"Kölner Straße;12;a;51379;Leverkusen-Opladen;{east2};{north2}\n"
        f"Kölner Straße;;;51379;Leverkusen;{east2};{north2}\n"
        f"Kölner Straße;13;;51379;Leverkusen;{north2};{east2}\n"
        "Kölner Straße;14;;51379;Leverkusen;33356570,0;5658484,0\n"
    )
    path = tmp_path / "adressen.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = parse_house_coordinates_csv(str(path))
    assert result.encoding == "utf-8"
    assert [a.label for a in result.addresses] == [
        "Goetheplatz 1, 51379 Leverkusen-Opladen",
        "Kölner Straße 12a, 51379 Leverkusen-Opladen",
    ]
    assert [e.message for e in result.errors] == [
        "Zeile 4: Hausnummer fehlt (Kölner Straße)",
        f"Zeile 5: Ost- und Nordwert scheinen vertauscht zu sein "
        f"({north2.replace(',', '.').rstrip('0').rstrip('.')} / "
        f"{east2.replace(',', '.').rstrip('0').rstrip('.')})",
        "Zeile 6: Ostwert 33356570 liegt nicht in UTM-Zone 32 (Zone 33)",
    ]


def test_import_headerless_official_file() -> None:
    # Geobasis NRW "gebref.txt": no header, 15 fields, date instead of postcode
    east, north = _utm(51.0315, 6.9917)
    text = (
        f"N;DENW000002207504;A;05;3;16;000;0000;12741;6;;{east};{north};Friedrich-Ebert-Platz;"
        "2022-01-01\n"
        f"N;DENW000002207505;A;05;1;58;028;0000;12741;6;;32349925,060;5685090,386;"
        "Minoritenstraße;2022-01-01\n"
    )
    result = parse_house_coordinates_csv(text.encode("utf-8"))
    assert result.format_name == "nrw-hauskoordinaten"
    assert [a.label for a in result.addresses] == ["Friedrich-Ebert-Platz 6, Leverkusen-Wiesdorf"]
    assert result.errors == []
    assert result.skipped_other_municipality == 1  # Ratingen


def test_import_generic_comma_csv(tmp_path: pathlib.Path) -> None:
    text = (
        "street,house_number,postcode,lat,lon\n"
        "Hauptstraße,12,51373,51.0303,6.9812\n"
        "Hauptstraße,13,51373,abc,6.9812\n"
        "Hauptstraße,14,51373,6.9812,51.0303\n"
        "Hauptstraße,15,51373,51.03,6,98\n"
        "Domkloster,4,50667,50.9413,6.9583\n"
        "Hauptstraße,16 B,,51.0305,6.9815\n"
        "Hauptstraße,x,51373,51.0305,6.9815\n"
    )
    path = tmp_path / "generic.csv"
    path.write_text(text, encoding="utf-8")
    result = parse_house_coordinates_csv(path)
    assert result.format_name == "generic-wgs84"
    assert [a.label for a in result.addresses] == [
        "Hauptstraße 12, 51373 Leverkusen-Wiesdorf",
        "Hauptstraße 16b, Leverkusen-Wiesdorf",
    ]
    assert [e.message for e in result.errors] == [
        "Zeile 3: Koordinate 'abc' ist keine Zahl",
        "Zeile 4: Breite und Länge scheinen vertauscht zu sein (6.9812 / 51.0303)",
        "Zeile 5: zu viele Spalten (6 statt 5); Trennzeichen oder Dezimalkomma prüfen",
        "Zeile 6: Domkloster 4 liegt außerhalb des Stadtgebiets (50,94130° N, 6,95830° O)",
        "Zeile 8: Hausnummer 'x' ist ungültig (Hauptstraße)",
    ]


def test_import_generic_semicolon_cp1252_with_sep_line(tmp_path: pathlib.Path) -> None:
    text = (
        "sep=;\r\n"
        "Straße;Hausnummer;PLZ;Breite;Länge;Stadtteil\r\n"
        "Gezelinallee;5;51375;51,0376;7,0536;Schlebusch\r\n"
        "Mülheimer Straße;;51375;51,0300;7,0500;\r\n"
    )
    path = tmp_path / "excel.csv"
    path.write_bytes(text.encode("cp1252"))
    result = parse_house_coordinates_csv(path)
    assert result.encoding == "cp1252"
    assert [a.label for a in result.addresses] == ["Gezelinallee 5, 51375 Leverkusen-Schlebusch"]
    assert [e.message for e in result.errors] == ["Zeile 4: Hausnummer fehlt (Mülheimer Straße)"]


def test_import_plain_text_and_index_round_trip() -> None:
    text = "street;house_number;postcode;lat;lon\nWiembachallee;11;51379;51.072126;7.003905\n"
    result = parse_house_coordinates_csv(text)
    assert result.ok and result.encoding == "text"
    index = AddressIndex(result.addresses)
    assert index.search("wiembach 11")[0].stadtteil == "Opladen"


@pytest.mark.parametrize(
    "text",
    ["name;nummer;x;y\nFoo;1;2;3\n", "Straße,Ort\nA,B\n", "lat,lon\n51.0,7.0\n"],
)
def test_import_unknown_header_raises_german_error(text: str) -> None:
    with pytest.raises(GazetteerFormatError) as excinfo:
        parse_house_coordinates_csv(text)
    message = str(excinfo.value)
    assert message.startswith("Unbekanntes Dateiformat")
    assert "STN, HNR, ADZ, PLZ, ONM/OTT, EAST, NORTH" in message
    assert "strasse, hausnummer, zusatz, plz, ort, ostwert, nordwert" in message
    assert "street, house_number, postcode, lat, lon" in message
    assert "es fehlen" in message


def test_import_empty_and_missing_files(tmp_path: pathlib.Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(GazetteerFormatError, match="leer"):
        parse_house_coordinates_csv(empty)
    with pytest.raises(GazetteerFormatError):
        parse_house_coordinates_csv(b"\xef\xbb\xbf\r\n\r\n")
    with pytest.raises(FileNotFoundError):
        parse_house_coordinates_csv(str(tmp_path / "missing.csv"))
