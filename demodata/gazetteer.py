"""A deterministic demo gazetteer: the city's real street names with synthetic coordinates
(denser in the centres), plus the real school addresses, for development, training and tests."""

from __future__ import annotations

import csv
import math
import random
import re
from collections.abc import Sequence
from functools import cache

from app.domain.gazetteer.address import (
    DATA_DIR,
    M_PER_DEG_LAT,
    Address,
    fold,
    natural_key,
    normalize_house_number,
    number_key,
)
from app.domain.geo import (
    find_stadtteil,
    load_city_area,
    load_stadtteile,
)
from resources.paths import resource_path

# --------------------------------------------------------------------------------------------
# Demo gazetteer
# --------------------------------------------------------------------------------------------

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
    path = resource_path(*DATA_DIR, "leverkusen_strassennamen.csv")
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
    by_key = {fold(lang): lang for _, lang in _street_names()}
    by_key.update({fold(kurz): lang for kurz, lang in _street_names()})
    city = load_city_area()
    seen: set[tuple[str, str]] = set()
    result: list[Address] = []
    path = resource_path(*DATA_DIR, "leverkusen_schulen_nrw.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            m = _SCHOOL_ADDRESS_RE.match(row["strasse"].strip())
            lat, lon = float(row["lat"]), float(row["lon"])
            if m is None or not city.contains(lat, lon):
                continue
            street = by_key.get(fold(m["street"]), m["street"])
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
        lat + north_m / M_PER_DEG_LAT,
        lon + east_m / (M_PER_DEG_LAT * math.cos(math.radians(lat))),
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
    max_n = max(natural_key(n)[0] for n in numbers)
    pairs = (max_n + 1) // 2
    spacing = length_m / max(pairs, 1)

    def local(number: str) -> tuple[float, float]:
        base, suffix = natural_key(number)
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
    for school in sorted(schools, key=lambda a: natural_key(a.house_number)):
        anchors.setdefault(school.street, school)  # lowest school number anchors the street
    school_by_key = {(a.street, number_key(a.house_number)): a for a in schools}
    result: list[Address] = []
    for _, street in _street_names():
        anchor = anchors.get(street)
        count = rng.randint(5, 80)
        if anchor is not None:
            count = max(count, natural_key(anchor.house_number)[0] + rng.randint(2, 20))
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
            real = school_by_key.pop((street, number_key(number)), None)
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
    result.sort(key=lambda a: (fold(a.street), natural_key(a.house_number), a.postcode))
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
