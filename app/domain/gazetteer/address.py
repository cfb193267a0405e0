"""One house address, and the spelling rules every gazetteer search shares."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

DATA_DIR = ("data", "leverkusen")
CITY = "Leverkusen"
#: Metres per degree of latitude (for distances on the city's scale).
M_PER_DEG_LAT = 111_195.0


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
        place = f"{CITY}-{self.stadtteil}" if self.stadtteil else CITY
        second = f"{self.postcode} {place}" if self.postcode else place
        return f"{first}, {second}"


HOUSE_NUMBER_RE = re.compile(r"^\d+")


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

UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_STR_RE = re.compile(r"str(?:asse|\.)?(?![a-z])")
_PARTIAL_STR_END_RE = re.compile(r"str(?:a|as|ass)$")
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")
_LOSSY = (("ae", "a"), ("oe", "o"), ("ue", "u"))
_S_RUN_RE = re.compile(r"s{2,}")


def fold(text: str, *, partial: bool = False) -> str:
    """Fold text into a search key: lower case, umlauts and ß folded, "Straße" → "str".

    The key is deliberately lossy (ä, ae and a all become "a"; ß, ss and s become "s") so
    that "Kuppersteg", "Kueppersteg" and "Küppersteg" give the same key. ``partial=True``
    treats a trailing incomplete "stra"/"stras"/"strass" as "str" (the user is still typing).
    """
    s = text.casefold().translate(UMLAUTS)  # casefold also turns ß into ss
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = _STR_RE.sub("str", s)
    s = _NON_ALNUM_RE.sub(" ", s).strip()
    if partial:
        s = _PARTIAL_STR_END_RE.sub("str", s)
    for old, new in _LOSSY:
        s = s.replace(old, new)
    return _S_RUN_RE.sub("s", s)


def number_key(number: str) -> str:
    return "".join(number.casefold().split())


def natural_key(number: str) -> tuple[int, str]:
    m = HOUSE_NUMBER_RE.match(number)
    return (int(m.group()), number[m.end() :].casefold()) if m else (10**9, number.casefold())
