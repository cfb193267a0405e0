"""Import of house coordinates: the state's open data (NRW \"Hauskoordinaten\", UTM zone 32) or a
simple ``street,house_number,postcode,lat,lon`` list. Rows that cannot be used are reported with
their line number and a German message, never silently dropped.
"""

from __future__ import annotations

import csv
import io
import math
import os
import pathlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from app.domain.gazetteer.address import (
    HOUSE_NUMBER_RE,
    UMLAUTS,
    Address,
    fold,
    normalize_house_number,
    number_key,
)
from app.domain.geo import (
    find_stadtteil,
    format_coordinates,
    load_city_area,
    stadtteil_by_name,
    utm32_to_wgs84,
)

# --------------------------------------------------------------------------------------------
# Import of house-coordinate CSV files
# --------------------------------------------------------------------------------------------


class GazetteerFormatError(ValueError):
    """The file is not in a supported format (German message for the user)."""


@dataclass(frozen=True, slots=True)
class ImportError_:
    """A row that could not be imported: line number in the file and a German message.

    (The trailing underscore avoids shadowing the builtin ``ImportError``.)
    """

    line: int
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(slots=True)
class ImportResult:
    """Outcome of :func:`parse_house_coordinates_csv`.

    ``skipped_other_municipality`` counts rows of a statewide file that belong to another
    municipality (by Gemeindeschlüssel); they are not errors and are not listed.
    """

    addresses: list[Address]
    errors: list[ImportError_]
    format_name: str = ""
    encoding: str = ""
    skipped_other_municipality: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True if no row was rejected."""
        return not self.errors


FORMAT_NRW = "nrw-hauskoordinaten"
FORMAT_GENERIC = "generic-wgs84"

_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "street": ("stn", "strasse", "strassenname", "street", "streetname", "str"),
    "number": ("hnr", "hausnummer", "hausnr", "housenumber", "number", "nr", "hsnr"),
    "addition": ("adz", "zusatz", "adressierungszusatz", "hausnummerzusatz", "addition"),
    "postcode": ("plz", "postleitzahl", "postcode", "zip", "zipcode", "postalcode"),
    "place": ("onm", "ort", "ortsname", "place", "city", "gemeinde"),
    "district": ("pot", "ortsteil", "stadtteil", "district", "postalischerortsteil"),
    "ott": ("ott",),
    "east": ("east", "ostwert", "rechtswert", "easting", "utmeast", "utmrechtswert"),
    "north": ("north", "nordwert", "hochwert", "northing", "utmnorth", "utmhochwert"),
    "lat": ("lat", "latitude", "breite", "breitengrad"),
    "lon": ("lon", "lng", "long", "longitude", "laenge", "laengengrad"),
    "nba": ("nba",),
    "lan": ("lan",),
    "rbz": ("rbz",),
    "krs": ("krs",),
    "gmd": ("gmd",),
}
_ALIAS_TO_ROLE = {alias: role for role, aliases in _COLUMN_ALIASES.items() for alias in aliases}
_EAST_PLACEHOLDER_RE = re.compile(r"^(?:zz)?e{4,}(?:[,._]e+)?$")
_NORTH_PLACEHOLDER_RE = re.compile(r"^n{4,}(?:[,._]n+)?$")
#: Gemeindeschlüssel of Leverkusen: LAN 05, RBZ 3, KRS 16, GMD 000.
_LEVERKUSEN_KEY = ("05", "3", "16", "000")
#: Column order of the headerless NRW files (HK-DE / gebref): fields 0..17.
_NRW_POSITIONAL = {
    "nba": 0,
    "lan": 3,
    "rbz": 4,
    "krs": 5,
    "gmd": 6,
    "ott": 7,
    "number": 9,
    "addition": 10,
    "east": 11,
    "north": 12,
    "street": 13,
    "postcode": 14,
    "place": 15,
    "district": 17,
}
_NRW_EXPECTED = "STN, HNR, ADZ, PLZ, ONM/OTT, EAST, NORTH"
_NRW_EXPECTED_DE = "strasse, hausnummer, zusatz, plz, ort, ostwert, nordwert"
_GENERIC_EXPECTED = "street, house_number, postcode, lat, lon"


def _header_key(name: str) -> str:
    s = name.strip().strip('"').strip().casefold().translate(UMLAUTS)
    return re.sub(r"[\s_\-./]+", "", s)


def _column_role(name: str) -> str | None:
    raw = name.strip().strip('"').strip().casefold()
    if _EAST_PLACEHOLDER_RE.match(raw):
        return "east"
    if _NORTH_PLACEHOLDER_RE.match(raw):
        return "north"
    return _ALIAS_TO_ROLE.get(_header_key(name))


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _read_source(source: str | bytes | os.PathLike[str]) -> tuple[str, str]:
    if isinstance(source, bytes):
        return _decode(source)
    if isinstance(source, os.PathLike):
        return _decode(pathlib.Path(source).read_bytes())
    if "\n" not in source and "\r" not in source and len(source) < 4096:
        path = pathlib.Path(source)
        if path.is_file():
            return _decode(path.read_bytes())
        if path.suffix.casefold() in {".csv", ".txt"}:
            raise FileNotFoundError(f"Datei nicht gefunden: {source}")
    return source.removeprefix("\ufeff"), "text"


class _RowError(Exception):
    """Internal: a row-level problem; the message is German and lacks the line prefix."""


def _parse_number(raw: str, what: str) -> float:
    s = raw.strip().replace("\u00a0", "").replace(" ", "")
    if not s:
        raise _RowError(f"Koordinate fehlt ({what})")
    if "," in s and "." in s:
        # German "5.658.484,05" or English "5,658,484.05": the last separator is decimal.
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    else:
        s = s.replace(",", ".")
    try:
        value = float(s)
    except ValueError:
        raise _RowError(f"Koordinate '{raw.strip()}' ist keine Zahl") from None
    if not math.isfinite(value):
        raise _RowError(f"Koordinate '{raw.strip()}' ist keine Zahl")
    return value


def _fmt(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _utm_to_latlon(raw_east: str, raw_north: str) -> tuple[float, float]:
    east = _parse_number(raw_east, "Ostwert")
    north = _parse_number(raw_north, "Nordwert")
    if 5_000_000 <= east <= 6_500_000 and (100_000 <= north <= 900_000 or north >= 1_000_000):
        raise _RowError(
            f"Ost- und Nordwert scheinen vertauscht zu sein ({_fmt(east)} / {_fmt(north)})"
        )
    if east >= 1_000_000:
        zone = int(east // 1_000_000)
        if zone != 32:
            raise _RowError(f"Ostwert {_fmt(east)} liegt nicht in UTM-Zone 32 (Zone {zone})")
        east -= 32_000_000
    if not (100_000 <= east <= 900_000 and 5_000_000 <= north <= 6_500_000):
        raise _RowError(
            f"Koordinate ({_fmt(east)} / {_fmt(north)}) ist keine UTM-Koordinate (Zone 32) "
            "in Deutschland"
        )
    return utm32_to_wgs84(east, north)


def _wgs84(raw_lat: str, raw_lon: str) -> tuple[float, float]:
    lat = _parse_number(raw_lat, "Breite")
    lon = _parse_number(raw_lon, "Länge")
    if 5.0 <= lat <= 16.0 and 47.0 <= lon <= 56.0:
        raise _RowError(f"Breite und Länge scheinen vertauscht zu sein ({lat} / {lon})")
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise _RowError(f"Breite {lat} / Länge {lon} ist keine gültige WGS84-Koordinate")
    return lat, lon


def _looks_like_headerless_nrw(fields: Sequence[str]) -> bool:
    if len(fields) < 14:
        return False
    nba, oi = fields[0].strip(), fields[1].strip()
    return nba in {"N", "A", "L", ""} and re.fullmatch(r"DE[A-Z]{2}\w{6,}", oi) is not None


def _format_error_message(header: Sequence[str], roles: dict[str, int]) -> str:
    missing_nrw = [r for r in ("street", "number", "east", "north") if r not in roles]
    missing_gen = [r for r in ("street", "number", "lat", "lon") if r not in roles]
    names = {
        "street": "Straße (STN/strasse/street)",
        "number": "Hausnummer (HNR/hausnummer/house_number)",
        "east": "Ostwert (EAST/ostwert)",
        "north": "Nordwert (NORTH/nordwert)",
        "lat": "Breite (lat)",
        "lon": "Länge (lon)",
    }
    missing = missing_nrw if len(missing_nrw) <= len(missing_gen) else missing_gen
    shown = ";".join(h.strip() for h in header)[:200]
    return (
        f"Unbekanntes Dateiformat: Die Kopfzeile '{shown}' passt zu keinem unterstützten "
        f"Format (es fehlen: {', '.join(names[m] for m in missing)}). Erwartet wird entweder "
        f"das NRW-Hauskoordinaten-Format mit den Spalten {_NRW_EXPECTED} "
        f"(oder deutsch: {_NRW_EXPECTED_DE}; Trennzeichen Semikolon, UTM Zone 32) "
        f"oder eine einfache Liste mit den Spalten {_GENERIC_EXPECTED} "
        "(Komma oder Semikolon, WGS84-Grad)."
    )


def _detect_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (";", "\t", ",", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ";"


def parse_house_coordinates_csv(source: str | bytes | os.PathLike[str]) -> ImportResult:
    """Import house coordinates from CSV text, bytes or a file path.

    Supported formats (detected from the header line):

    * **NRW house coordinates** (Geobasis NRW "Hauskoordinaten" / "Gebäudereferenzen",
      open data, dl-de/zero-2.0): semicolon separated with columns ``STN`` (street),
      ``HNR`` (number), ``ADZ`` (addition), ``PLZ``, ``ONM``/``OTT``/``POT`` (place) and
      ``EAST``/``NORTH`` (ETRS89/UTM 32; also the original placeholders
      ``EEEEEEEE,EEE``/``NNNNNNN,NNN``); German headers such as
      ``strasse;hausnummer;zusatz;plz;ort;ostwert;nordwert`` work too. Eastings may carry the
      zone prefix ("32…") and use a decimal comma. The headerless official files (first
      field ``N``, second an ID like ``DENW…``) are recognised by position. In statewide
      files, rows of other municipalities (by LAN/RBZ/KRS/GMD) are skipped and counted.
    * **Generic list**: ``street,house_number,postcode,lat,lon`` (comma or semicolon; with
      semicolons a decimal comma is accepted; optional ``stadtteil`` column).

    A string without line breaks that names an existing file is read as a path. Encoding:
    UTF-8 (with or without BOM), UTF-16 with BOM, otherwise cp1252/latin-1.

    Rows that cannot be used are returned in ``errors`` with their line number and a German
    message (e.g. ``"Zeile 17: Koordinate 'abc' ist keine Zahl"``), including rows outside
    the city boundary and duplicates. The Stadtteil comes from a place column when it names
    a Stadtteil, otherwise from the approximate areas of :mod:`app.domain.geo`. A missing postcode
    stays empty (no guessing).

    Raises :class:`GazetteerFormatError` for an empty file or an unknown header, and
    ``FileNotFoundError`` for a ``.csv``/``.txt`` path that does not exist.
    """
    text, encoding = _read_source(source)
    first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first_line:
        raise GazetteerFormatError("Die Datei ist leer.")
    skip_sep_line = first_line.strip().casefold().startswith("sep=")
    sep_hint = first_line.strip()[4:5] if skip_sep_line else ""
    delimiter = sep_hint or _detect_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: Iterator[list[str]] = iter(reader)

    header: list[str] | None = None
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if skip_sep_line and len(row) <= 2 and row[0].strip().casefold().startswith("sep="):
            skip_sep_line = False
            continue
        header = row
        break
    if header is None:
        raise GazetteerFormatError("Die Datei enthält keine Daten.")

    header_line = reader.line_num
    roles: dict[str, int] = {}
    for idx, name in enumerate(header):
        role = _column_role(name)
        if role is not None and role not in roles:
            roles[role] = idx
    pending: list[tuple[int, list[str]]] = []
    if {"street", "number", "east", "north"} <= roles.keys():
        format_name = FORMAT_NRW
    elif {"street", "number", "lat", "lon"} <= roles.keys():
        format_name = FORMAT_GENERIC
    elif _looks_like_headerless_nrw(header):
        format_name = FORMAT_NRW
        roles = dict(_NRW_POSITIONAL)
        pending.append((header_line, header))  # the first line is already data
    else:
        raise GazetteerFormatError(_format_error_message(header, roles))
    headerless = bool(pending)
    width = len(header)

    result = ImportResult(addresses=[], errors=[], format_name=format_name, encoding=encoding)
    city = load_city_area()
    seen: dict[tuple[str, str, str], int] = {}

    def all_rows() -> Iterator[tuple[int, list[str]]]:
        yield from pending
        for row in rows:
            yield reader.line_num, row

    required = [roles[r] for r in ("street", "number")]
    required += [
        roles[r] for r in (("east", "north") if format_name == FORMAT_NRW else ("lat", "lon"))
    ]
    need = max(required) + 1

    for line, row in all_rows():
        if not any(cell.strip() for cell in row):
            continue

        def cell(role: str, row: list[str] = row) -> str:
            idx = roles.get(role)
            return row[idx].strip() if idx is not None and idx < len(row) else ""

        try:
            if len(row) < need:
                raise _RowError(f"zu wenige Spalten ({len(row)} statt {width})")
            if not headerless and len(row) > width and any(c.strip() for c in row[width:]):
                raise _RowError(
                    f"zu viele Spalten ({len(row)} statt {width}); "
                    "Trennzeichen oder Dezimalkomma prüfen"
                )
            if cell("nba").upper() == "L":
                raise _RowError("Löschdatensatz (Kennung L) wird nicht importiert")
            key = (cell("lan"), cell("rbz"), cell("krs"), cell("gmd"))
            if all(key) and key != _LEVERKUSEN_KEY:
                result.skipped_other_municipality += 1
                continue
            street = " ".join(cell("street").split())
            if not street:
                raise _RowError("Straßenname fehlt")
            raw_number = cell("number")
            if not raw_number:
                raise _RowError(f"Hausnummer fehlt ({street})")
            addition = cell("addition")
            if addition:
                short_letter = addition.isalpha() and len(addition) <= 2
                raw_number += addition.lower() if short_letter else f" {addition}"
            number = normalize_house_number(raw_number)
            if not HOUSE_NUMBER_RE.match(number):
                raise _RowError(f"Hausnummer '{raw_number}' ist ungültig ({street})")
            postcode = cell("postcode")
            if headerless and not re.fullmatch(r"\d{5}", postcode):
                postcode = ""  # gebref files have a date instead of a postcode here
            if postcode and not re.fullmatch(r"\d{5}", postcode):
                raise _RowError(f"Postleitzahl '{postcode}' ist ungültig (fünf Ziffern erwartet)")
            if format_name == FORMAT_NRW:
                lat, lon = _utm_to_latlon(cell("east"), cell("north"))
            else:
                lat, lon = _wgs84(cell("lat"), cell("lon"))
            if not city.contains(lat, lon):
                raise _RowError(
                    f"{street} {number} liegt außerhalb des Stadtgebiets "
                    f"({format_coordinates(lat, lon)})"
                )
            named = None
            for role in ("district", "ott", "place"):
                value = cell(role)
                if value and not value.isdigit():
                    named = stadtteil_by_name(value)
                    if named is not None:
                        break
            stadtteil = named.name if named is not None else None
            if stadtteil is None:
                found = find_stadtteil(lat, lon)
                stadtteil = found.name if found is not None else None
            dup_key = (fold(street), number_key(number), postcode)
            if dup_key in seen:
                raise _RowError(f"{street} {number} ist doppelt (bereits in Zeile {seen[dup_key]})")
            seen[dup_key] = line
            result.addresses.append(Address(street, number, postcode, stadtteil, lat, lon))
        except _RowError as exc:
            result.errors.append(ImportError_(line, f"Zeile {line}: {exc}"))
    if result.skipped_other_municipality:
        result.warnings.append(
            f"{result.skipped_other_municipality} Zeilen anderer Gemeinden wurden übersprungen."
        )
    return result
