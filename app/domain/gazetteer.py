"""Address gazetteer for Leverkusen: address model, demo data, open-data import and search.

* :class:`Address` – one house address with coordinates.
* :func:`demo_gazetteer` – a deterministic **demo** gazetteer (real street names, synthetic
  coordinates) for development, training and tests.
* :func:`parse_house_coordinates_csv` – import of the state's open house-coordinate data
  (NRW "Hauskoordinaten"/"Gebäudereferenzen", UTM zone 32) or of a simple
  ``street,house_number,postcode,lat,lon`` list. Rows that cannot be used are reported with
  their line number and a German message, never silently dropped.
* :class:`AddressIndex` – fast type-ahead search (street prefixes, word prefixes, umlaut and
  "Str."/"Straße" tolerant, house-number aware) and nearest-address lookup.

Pure Python: no Qt, no database.
"""

from __future__ import annotations

import bisect
import csv
import io
import math
import os
import pathlib
import random
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache

from app.domain.geo import (
    find_stadtteil,
    format_coordinates,
    haversine_m,
    load_city_area,
    load_stadtteile,
    stadtteil_by_name,
    utm32_to_wgs84,
)
from resources.paths import resource_path

__all__ = [
    "Address",
    "AddressIndex",
    "GazetteerFormatError",
    "ImportError_",
    "ImportResult",
    "demo_gazetteer",
    "normalize_house_number",
    "parse_house_coordinates_csv",
]

_DATA_DIR = ("data", "leverkusen")
_CITY = "Leverkusen"


# --------------------------------------------------------------------------------------------
# Address model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Address:
    """A house address with WGS84 coordinates.

    ``stadtteil`` is None when unknown. ``postcode`` may be empty when the source had none.
    """

    street: str
    house_number: str
    postcode: str
    stadtteil: str | None
    lat: float
    lon: float

    @property
    def label(self) -> str:
        """Human-readable one-line label, e.g. ``"Musterstraße 12, 51373 Leverkusen-Wiesdorf"``."""
        first = f"{self.street} {self.house_number}".strip()
        place = f"{_CITY}-{self.stadtteil}" if self.stadtteil else _CITY
        second = f"{self.postcode} {place}" if self.postcode else place
        return f"{first}, {second}"


_HOUSE_NUMBER_RE = re.compile(r"^\d+")


def normalize_house_number(raw: str) -> str:
    """Normalise a house number for display: ``"16 A"`` → ``"16a"``, ``"42 - 48"`` → ``"42-48"``.

    Single-letter suffixes are written in lower case directly after the number (DIN 5008).
    """
    s = " ".join(raw.split())
    s = re.sub(r"\s*([-/])\s*", r"\1", s)
    s = re.sub(r"(\d)\s+([A-Za-z])(?![A-Za-z])", r"\1\2", s)
    return re.sub(r"(\d)([A-Z])(?![A-Za-z])", lambda m: m[1] + m[2].lower(), s)


# --------------------------------------------------------------------------------------------
# Text normalisation for matching
# --------------------------------------------------------------------------------------------

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_STR_RE = re.compile(r"str(?:asse|\.)?(?![a-z])")
_PARTIAL_STR_END_RE = re.compile(r"str(?:a|as|ass)$")
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")
_LOSSY = (("ae", "a"), ("oe", "o"), ("ue", "u"))
_S_RUN_RE = re.compile(r"s{2,}")


def _fold(text: str, *, partial: bool = False) -> str:
    """Fold text into a search key: lower case, umlauts and ß folded, "Straße" → "str".

    The key is deliberately lossy (ä, ae and a all become "a"; ß, ss and s become "s") so
    that "Kuppersteg", "Kueppersteg" and "Küppersteg" give the same key. ``partial=True``
    treats a trailing incomplete "stra"/"stras"/"strass" as "str" (the user is still typing).
    """
    s = text.casefold().translate(_UMLAUTS)  # casefold also turns ß into ss
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = _STR_RE.sub("str", s)
    s = _NON_ALNUM_RE.sub(" ", s).strip()
    if partial:
        s = _PARTIAL_STR_END_RE.sub("str", s)
    for old, new in _LOSSY:
        s = s.replace(old, new)
    return _S_RUN_RE.sub("s", s)


def _number_key(number: str) -> str:
    return "".join(number.casefold().split())


def _natural_key(number: str) -> tuple[int, str]:
    m = _HOUSE_NUMBER_RE.match(number)
    return (int(m.group()), number[m.end() :].casefold()) if m else (10**9, number.casefold())


# --------------------------------------------------------------------------------------------
# Demo gazetteer
# --------------------------------------------------------------------------------------------

_M_PER_DEG_LAT = 111_195.0
_SCHOOL_ADDRESS_RE = re.compile(
    r"^(?P<street>.*?)\s+(?P<number>\d+\s*[A-Za-z]?(?:\s*-\s*\d+\s*[A-Za-z]?)?)$"
)
#: Relative street density per Stadtteil in the demo data (denser in the three centres).
_DEMO_DENSITY = {"Wiesdorf": 3.0, "Opladen": 3.0, "Schlebusch": 3.0, "Hitdorf": 0.7}
_DEMO_UNIFORM_SHARE = 0.15
_DEMO_SIGMA_M = 650.0


@cache
def _street_names() -> tuple[tuple[str, str], ...]:
    """``(name_kurz, name_lang)`` of the 1,031 street names (faker-js list, MIT)."""
    path = resource_path(*_DATA_DIR, "leverkusen_strassennamen.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return tuple(
            (row["name_kurz"].strip(), row["name_lang"].strip()) for row in csv.DictReader(fh)
        )


@cache
def _school_addresses() -> tuple[Address, ...]:
    """Real addresses and coordinates of the schools inside the city (NRW school register).

    "Str." is expanded to the spelling of the street list when the street matches it
    (tolerating hyphen/space variants); duplicates (several schools at one address) are
    merged and points outside the city boundary are left out.
    """
    by_key = {_fold(lang): lang for _, lang in _street_names()}
    by_key.update({_fold(kurz): lang for kurz, lang in _street_names()})
    city = load_city_area()
    seen: set[tuple[str, str]] = set()
    result: list[Address] = []
    path = resource_path(*_DATA_DIR, "leverkusen_schulen_nrw.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            m = _SCHOOL_ADDRESS_RE.match(row["strasse"].strip())
            lat, lon = float(row["lat"]), float(row["lon"])
            if m is None or not city.contains(lat, lon):
                continue
            street = by_key.get(_fold(m["street"]), m["street"])
            number = normalize_house_number(m["number"])
            if (street, number) in seen:
                continue
            seen.add((street, number))
            stadtteil = find_stadtteil(lat, lon)
            result.append(
                Address(
                    street=street,
                    house_number=number,
                    postcode=row["plz"].strip(),
                    stadtteil=stadtteil.name if stadtteil else None,
                    lat=lat,
                    lon=lon,
                )
            )
    return tuple(result)


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """Move a point by metres north/east (local flat-earth approximation, fine below 2 km)."""
    return (
        lat + north_m / _M_PER_DEG_LAT,
        lon + east_m / (_M_PER_DEG_LAT * math.cos(math.radians(lat))),
    )


def _demo_start_point(rng: random.Random) -> tuple[float, float]:
    """Random point inside the city, denser around the centres of Wiesdorf/Opladen/Schlebusch."""
    city = load_city_area()
    bbox = city.bbox
    stadtteile = load_stadtteile()
    weights = [_DEMO_DENSITY.get(s.name, 1.0) for s in stadtteile]
    while True:
        if rng.random() < _DEMO_UNIFORM_SHARE:
            lat = rng.uniform(bbox.min_lat, bbox.max_lat)
            lon = rng.uniform(bbox.min_lon, bbox.max_lon)
        else:
            centre = rng.choices(stadtteile, weights=weights)[0]
            lat, lon = _offset(
                centre.centre_lat,
                centre.centre_lon,
                rng.gauss(0.0, _DEMO_SIGMA_M),
                rng.gauss(0.0, _DEMO_SIGMA_M),
            )
        if city.contains(lat, lon):
            return lat, lon


def _demo_house_numbers(rng: random.Random, count: int) -> list[str]:
    numbers: list[str] = []
    for n in range(1, count + 1):
        numbers.append(str(n))
        if rng.random() < 0.06:
            numbers.append(f"{n}a")
            if rng.random() < 0.3:
                numbers.append(f"{n}b")
    return numbers


def _place_street(
    rng: random.Random,
    numbers: Sequence[str],
    length_m: float,
    anchor: Address | None,
) -> list[tuple[str, float, float]] | None:
    """Lay out house numbers along a straight segment; None if a point leaves the city.

    Odd numbers are on the left, even numbers on the right (10 m from the centre line);
    letter suffixes sit a few metres after their base number. With an ``anchor`` the
    segment is shifted so that the anchor's house number lands on the anchor's position.
    """
    city = load_city_area()
    bearing = math.radians(rng.uniform(0.0, 360.0))
    d_north, d_east = math.cos(bearing), math.sin(bearing)
    max_n = max(_natural_key(n)[0] for n in numbers)
    pairs = (max_n + 1) // 2
    spacing = length_m / max(pairs, 1)

    def local(number: str) -> tuple[float, float]:
        base, suffix = _natural_key(number)
        along = ((base - 1) // 2 + 0.5) * spacing + (3.0 * (ord(suffix[0]) - 96) if suffix else 0.0)
        side = 10.0 if base % 2 else -10.0  # odd numbers left of the direction of travel
        return along * d_north + side * d_east, along * d_east - side * d_north

    if anchor is not None:
        a_north, a_east = local(anchor.house_number)
        start = _offset(anchor.lat, anchor.lon, -a_north, -a_east)
    else:
        start = _demo_start_point(rng)
    placed: list[tuple[str, float, float]] = []
    for number in numbers:
        north, east = local(number)
        lat, lon = _offset(start[0], start[1], north, east)
        if not city.contains(lat, lon):
            return None
        placed.append((number, lat, lon))
    return placed


@cache
def _demo_gazetteer_cached(seed: int) -> tuple[Address, ...]:
    rng = random.Random(seed)
    schools = _school_addresses()
    anchors: dict[str, Address] = {}
    for school in sorted(schools, key=lambda a: _natural_key(a.house_number)):
        anchors.setdefault(school.street, school)  # lowest school number anchors the street
    school_by_key = {(a.street, _number_key(a.house_number)): a for a in schools}
    result: list[Address] = []
    for _, street in _street_names():
        anchor = anchors.get(street)
        count = rng.randint(5, 80)
        if anchor is not None:
            count = max(count, _natural_key(anchor.house_number)[0] + rng.randint(2, 20))
        numbers = _demo_house_numbers(rng, count)
        length = max(rng.uniform(100.0, 900.0), min(900.0, (count + 1) // 2 * 8.0))
        placed = None
        for attempt in range(200):
            placed = _place_street(rng, numbers, length * (0.97**attempt), anchor)
            if placed is not None:
                break
        if placed is None:  # pragma: no cover - the shrinking length always fits eventually
            raise RuntimeError(f"could not place demo street {street!r}")
        for number, lat, lon in placed:
            real = school_by_key.pop((street, _number_key(number)), None)
            if real is not None:
                result.append(real)
                continue
            stadtteil = find_stadtteil(lat, lon)
            if stadtteil is None:  # pragma: no cover - placement checked containment
                continue
            postcode = stadtteil.main_postcode
            if anchor is not None and anchor.stadtteil == stadtteil.name:
                postcode = anchor.postcode  # keep the street's real postcode near the school
            result.append(Address(street, number, postcode, stadtteil.name, lat, lon))
    result.extend(school_by_key.values())  # school numbers beyond the synthetic range
    result.sort(key=lambda a: (_fold(a.street), _natural_key(a.house_number), a.postcode))
    return tuple(result)


def demo_gazetteer(seed: int = 1) -> list[Address]:
    """Return a deterministic DEMO gazetteer of Leverkusen (about 45,000 addresses).

    **The coordinates are synthetic demo data** – only the street names are real. Each of the
    1,031 street names (``name_lang`` of the street list) gets a made-up straight segment
    (100–900 m, random bearing, start point inside the city boundary, denser in Wiesdorf,
    Opladen and Schlebusch) with house numbers 1..N (N = 5–80, some with a letter suffix
    such as "12a"); odd numbers on one side, even on the other. Postcode and Stadtteil are
    derived from the (approximate) Stadtteil areas of :mod:`app.domain.geo`.

    The real school addresses of the NRW school register are included with their real
    coordinates and postcodes; their streets are laid out through the school's position.
    Every address lies inside the city boundary. The same ``seed`` always gives the same
    list (the result is cached; a new list object is returned on each call).
    """
    return list(_demo_gazetteer_cached(seed))


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
    s = name.strip().strip('"').strip().casefold().translate(_UMLAUTS)
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
            if not _HOUSE_NUMBER_RE.match(number):
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
            dup_key = (_fold(street), _number_key(number), postcode)
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


# --------------------------------------------------------------------------------------------
# Search index
# --------------------------------------------------------------------------------------------

_QUERY_NUMBER_RE = re.compile(
    r"^(?P<street>.*?[^\d\s])\s*"
    r"(?P<number>\d+(?:\s*[a-z])?(?:\s*-\s*\d+(?:\s*[a-z])?)?)$"
)


@dataclass(slots=True)
class _Street:
    name: str
    compact: str
    words: frozenset[str]
    addresses: list[Address]
    representatives: list[Address]
    by_number: dict[str, list[Address]]
    by_base: dict[int, list[Address]]


class AddressIndex:
    """In-memory type-ahead search over addresses.

    Matching is case-insensitive and tolerant of "Str."/"Straße"/"Strasse", of umlaut
    spellings (ä/ae/a, ß/ss/s) and of hyphens versus spaces. Streets are ranked:

    1. the whole street name starts with the query ("haupt" → "Hauptstraße"),
    2. every query word starts a word of the street name ("stifter" → "Adalbert-Stifter-Str."),
    3. the query (3+ characters) occurs anywhere in the name ("allee" → "Wiembachallee").

    Without a house number the result lists one address per street and postcode first (the
    lowest number, so the dropdown shows many streets), then further numbers. If the query
    ends with a house number ("Hauptstr 12", "hauptstraße 12a") only matching numbers are
    returned: exact matches first, then the same number with another suffix ("12a", "12-14"),
    then numbers starting with the typed digits ("120"). Keys are precomputed and prefixes
    are found by bisection, so a query takes about a millisecond even for 300,000 addresses.
    """

    _CELL_LAT = 0.002  # ≈ 220 m
    _CELL_LON = 0.003  # ≈ 210 m at 51° N

    def __init__(self, addresses: Iterable[Address]) -> None:
        """Build the index (about a second per 100,000 addresses; reuse the object)."""
        groups: dict[str, list[Address]] = {}
        names: dict[str, str] = {}
        fold_cache: dict[str, str] = {}
        self._count = 0
        self._cells: dict[tuple[int, int], list[Address]] = {}
        for address in addresses:
            self._count += 1
            key = fold_cache.get(address.street)
            if key is None:
                key = _fold(address.street)
                fold_cache[address.street] = key
            groups.setdefault(key, []).append(address)
            names.setdefault(key, address.street)
            cell = (
                math.floor(address.lat / self._CELL_LAT),
                math.floor(address.lon / self._CELL_LON),
            )
            self._cells.setdefault(cell, []).append(address)
        if self._cells:
            self._cell_extent = (
                min(i for i, _ in self._cells),
                max(i for i, _ in self._cells),
                min(j for _, j in self._cells),
                max(j for _, j in self._cells),
            )

        self._streets: list[_Street] = []
        for key in sorted(groups):
            items = sorted(groups[key], key=lambda a: (_natural_key(a.house_number), a.postcode))
            by_number: dict[str, list[Address]] = {}
            by_base: dict[int, list[Address]] = {}
            representatives: dict[str, Address] = {}
            for address in items:
                by_number.setdefault(_number_key(address.house_number), []).append(address)
                by_base.setdefault(_natural_key(address.house_number)[0], []).append(address)
                representatives.setdefault(address.postcode, address)
            self._streets.append(
                _Street(
                    name=names[key],
                    compact=key.replace(" ", ""),
                    words=frozenset(key.split()),
                    addresses=items,
                    representatives=list(representatives.values()),
                    by_number=by_number,
                    by_base=by_base,
                )
            )
        compact = sorted((s.compact, i) for i, s in enumerate(self._streets))
        self._compact_keys = [c for c, _ in compact]
        self._compact_ids = [i for _, i in compact]
        words = sorted({(w, i) for i, s in enumerate(self._streets) for w in s.words})
        self._word_keys = [w for w, _ in words]
        self._word_ids = [i for _, i in words]

    def __len__(self) -> int:
        """Number of indexed addresses."""
        return self._count

    @property
    def street_names(self) -> list[str]:
        """All distinct street names (one spelling per normalised name), sorted."""
        return sorted((s.name for s in self._streets), key=_fold)

    # -- search ---------------------------------------------------------------------------

    @staticmethod
    def _prefix_range(keys: list[str], prefix: str) -> range:
        lo = bisect.bisect_left(keys, prefix)
        hi = bisect.bisect_left(keys, prefix + "\uffff")
        return range(lo, hi)

    def _matching_streets(self, street_query: str, enough: int | None) -> list[int]:
        """Street ids in rank order; stops early once ``enough`` streets are found."""
        key = _fold(street_query, partial=True)
        if not key:
            return []
        compact = key.replace(" ", "")
        tokens = sorted(set(key.split()), key=len, reverse=True)
        ranked = [self._compact_ids[p] for p in self._prefix_range(self._compact_keys, compact)]
        ranked.sort()  # street ids are in alphabetical order of the normalised name
        seen = set(ranked)
        if enough is not None and len(ranked) >= enough:
            return ranked
        word_hits: set[int] = set()
        for pos in self._prefix_range(self._word_keys, tokens[0]):
            sid = self._word_ids[pos]
            if sid in seen or sid in word_hits:
                continue
            words = self._streets[sid].words
            if all(any(w.startswith(t) for w in words) for t in tokens[1:]):
                word_hits.add(sid)
        ranked.extend(sorted(word_hits))
        seen |= word_hits
        if (enough is None or len(ranked) < enough) and len(compact) >= 3:
            ranked.extend(
                sid
                for sid, street in enumerate(self._streets)
                if sid not in seen and compact in street.compact
            )
        return ranked

    def search(self, text: str, limit: int = 20) -> list[Address]:
        """Return up to ``limit`` addresses matching the type-ahead text (best first).

        Anything after a comma is ignored, so a selected :attr:`Address.label` can be
        searched again. See the class docstring for the matching and ranking rules.
        """
        if limit <= 0:
            return []
        query = " ".join(text.split(",", 1)[0].casefold().split())
        if not query:
            return []
        m = _QUERY_NUMBER_RE.match(query)
        if m is None:
            return self._without_number(self._matching_streets(query, limit), limit)
        number = _number_key(m["number"])
        return self._with_number(self._matching_streets(m["street"], None), number, limit)

    def _without_number(self, street_ids: list[int], limit: int) -> list[Address]:
        result: list[Address] = []
        for sid in street_ids:
            result.extend(self._streets[sid].representatives)
            if len(result) >= limit:
                return result[:limit]
        taken = {id(a) for a in result}
        for sid in street_ids:
            for address in self._streets[sid].addresses:
                if id(address) not in taken:
                    result.append(address)
                    if len(result) >= limit:
                        return result
        return result

    def _with_number(self, street_ids: list[int], number: str, limit: int) -> list[Address]:
        base_match = _HOUSE_NUMBER_RE.match(number)
        if base_match is None:  # pragma: no cover - the query regex guarantees digits
            return []
        base = int(base_match.group())
        has_suffix = base_match.end() < len(number)
        exact: list[Address] = []
        same_base: list[Address] = []
        for sid in street_ids:
            street = self._streets[sid]
            hits = street.by_number.get(number, [])
            exact.extend(hits)
            same_base.extend(a for a in street.by_base.get(base, []) if a not in hits)
        typed_prefix: list[Address] = []
        if not has_suffix and len(exact) + len(same_base) < limit:
            for sid in street_ids:
                for address in self._streets[sid].addresses:
                    n = _number_key(address.house_number)
                    if n.startswith(number) and _natural_key(n)[0] != base:
                        typed_prefix.append(address)
                if len(exact) + len(same_base) + len(typed_prefix) >= limit:
                    break
        return (exact + same_base + typed_prefix)[:limit]

    def lookup(self, street: str, house_number: str) -> list[Address]:
        """Return the addresses with exactly this street (tolerant spelling) and number."""
        key = _fold(street).replace(" ", "")
        pos = bisect.bisect_left(self._compact_keys, key)
        if pos == len(self._compact_keys) or self._compact_keys[pos] != key:
            return []
        street_obj = self._streets[self._compact_ids[pos]]
        return list(street_obj.by_number.get(_number_key(house_number), []))

    # -- nearest --------------------------------------------------------------------------

    @staticmethod
    def _ring(ci: int, cj: int, ring: int) -> Iterator[tuple[int, int]]:
        if ring == 0:
            yield ci, cj
            return
        for j in range(cj - ring, cj + ring + 1):
            yield ci - ring, j
            yield ci + ring, j
        for i in range(ci - ring + 1, ci + ring):
            yield i, cj - ring
            yield i, cj + ring

    def nearest(
        self, lat: float, lon: float, max_distance_m: float | None = None
    ) -> Address | None:
        """Return the address closest to ``(lat, lon)``, or None if none is within range.

        Uses a grid of roughly 200 m cells searched ring by ring, so the cost depends on
        the local address density, not on the index size.
        """
        if not self._cells:
            return None
        ci, cj = math.floor(lat / self._CELL_LAT), math.floor(lon / self._CELL_LON)
        cell_m = min(
            self._CELL_LAT * _M_PER_DEG_LAT,
            self._CELL_LON * _M_PER_DEG_LAT * math.cos(math.radians(lat)),
        )
        imin, imax, jmin, jmax = self._cell_extent
        max_ring = max(abs(imin - ci), abs(imax - ci), abs(jmin - cj), abs(jmax - cj))
        best: Address | None = None
        best_d = math.inf if max_distance_m is None else max_distance_m
        for ring in range(max_ring + 1):
            if (ring - 1) * cell_m > best_d:
                break
            for cell in self._ring(ci, cj, ring):
                for address in self._cells.get(cell, ()):
                    d = haversine_m(lat, lon, address.lat, address.lon)
                    if d <= best_d:
                        best_d = d
                        best = address
        return best
