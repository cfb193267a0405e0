"""The words and numbers of the demo dataset: staff, names, categories, descriptions, hours.

What the demo data is made of, apart from how it is written: call volume per hour and the
Leitstelle's opening hours (DOMAIN.md), category and outcome weights, the units and their
home Stadtteile, titles of Aufträge and subjects of Meldungen.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date

from app.platform.permissions import Role

#: Demo logins (documented in the README). Only for demo databases.
DEMO_PASSWORD = "leitstelle"
DEMO_STAFF: tuple[tuple[str, str, Role], ...] = (
    ("disponent", "Dana Disponentin", Role.DISPATCHER),
    ("disponent2", "Jonas Krämer", Role.DISPATCHER),
    ("disponent3", "Aylin Yıldız", Role.DISPATCHER),
    ("schichtleitung", "Sabine Hoffmann", Role.SHIFT_LEAD),
    ("schichtleitung2", "Marco Lenz", Role.SHIFT_LEAD),
    ("sachbearbeitung", "Petra Nowak", Role.CLERK),
    ("sachbearbeitung2", "Tobias Brandt", Role.CLERK),
    ("datenschutz", "Dr. Ute Wallraff", Role.DATA_PROTECTION),
    ("admin", "IT-Administration", Role.ADMIN),
)

FIRST_NAMES = (
    "Anna",
    "Ben",
    "Carla",
    "Deniz",
    "Elias",
    "Fatma",
    "Gregor",
    "Hanna",
    "Ilias",
    "Julia",
    "Kevin",
    "Lea",
    "Mehmet",
    "Nina",
    "Oliver",
    "Paula",
    "Rafael",
    "Selin",
    "Timo",
    "Vanessa",
    "Yusuf",
    "Zoe",
    "Lukas",
    "Mira",
    "Sven",
    "Katrin",
    "Emre",
    "Laura",
    "Niklas",
    "Sarah",
    "Dominik",
    "Jana",
)
LAST_NAMES = (
    "Müller",
    "Schmitz",
    "Schneider",
    "Fischer",
    "Weber",
    "Becker",
    "Wagner",
    "Schulz",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Hartmann",
    "Krüger",
    "Lange",
    "Werner",
    "Köhler",
    "Kaya",
    "Demir",
    "Yilmaz",
    "Jansen",
    "Peters",
    "Hermanns",
    "Lehmann",
    "Kowalski",
    "Dahmen",
    "Esser",
    "Pohl",
)

#: (category, weight) — share of calls per category.
CATEGORY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("noise", 22),
    ("parking", 15),
    ("waste", 11),
    ("public_order", 10),
    ("dog", 8),
    ("begging", 6),
    ("youth", 5),
    ("alcohol_drugs", 5),
    ("graffiti", 4),
    ("lakes", 4),
    ("glass_ban", 2),
    ("helpless_person", 3),
    ("assault_staff", 1.5),
    ("other", 3.5),
)

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "noise": (
        "Laute Musik aus Wohnung, seit 22 Uhr",
        "Lärm durch Feier im Hinterhof",
        "Ruhestörung durch Baustelle am Sonntag",
        "Laute Personengruppe vor Kiosk",
    ),
    "parking": (
        "Fahrzeug blockiert Einfahrt",
        "Parken auf Gehweg, Kinderwagen kommt nicht vorbei",
        "Falschparker in Feuerwehrzufahrt",
        "Parken auf Behindertenparkplatz ohne Ausweis",
    ),
    "waste": (
        "Sperrmüll illegal am Straßenrand abgestellt",
        "Bauschutt im Waldweg abgeladen",
        "Müllsäcke neben Glascontainer",
        "Altreifen auf Grünfläche",
    ),
    "public_order": (
        "Wildes Urinieren an Hauswand",
        "Personen lagern in Hauseingang",
        "Streit zwischen Nachbarn auf der Straße",
        "Verunreinigung am Spielplatz",
    ),
    "dog": (
        "Freilaufender großer Hund im Park",
        "Hund ohne Leine auf Spielplatz",
        "Bissvorfall gemeldet, Halter uneinsichtig",
        "Hundekot nicht beseitigt, Halter bekannt",
    ),
    "begging": (
        "Aggressives Betteln vor Supermarkt",
        "Bettelnde Person bedrängt Passanten",
        "Organisiertes Betteln in der Fußgängerzone",
    ),
    "youth": (
        "Jugendliche konsumieren Alkohol am Spielplatz",
        "Minderjährige rauchen vor Schule",
        "Jugendliche nach 22 Uhr in Spielhalle",
    ),
    "alcohol_drugs": (
        "Alkoholkonsum auf Spielplatz",
        "Personengruppe konsumiert Cannabis nahe Schule",
        "Betrunkene Person pöbelt Passanten an",
    ),
    "graffiti": (
        "Frisches Graffiti an Brückenpfeiler",
        "Wildes Plakatieren an Stromkasten",
        "Schmierereien am Bahnhofsgebäude",
    ),
    "lakes": (
        "Grillen am Ufer trotz Verbot",
        "Personen baden nachts im See",
        "Zelt am Seeufer aufgebaut",
    ),
    "glass_ban": ("Glasflaschen in der Glasverbotszone", "Verkauf von Glasflaschen an Feiernde"),
    "helpless_person": (
        "Hilflose Person auf Parkbank",
        "Orientierungslose ältere Person",
        "Person liegt regungslos an Bushaltestelle",
    ),
    "assault_staff": (
        "Kollegen bei Kontrolle angegriffen",
        "Bedrohung der Streife mit Messer",
        "Bespucken und Schlagen bei Platzverweis",
    ),
    "other": (
        "Bürgeranfrage zu Sondernutzung",
        "Defekte Straßenlaterne gemeldet",
        "Verdächtiges Fahrzeug seit Tagen abgestellt",
    ),
}

OUTCOME_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("resolved", 45),
    ("caution", 15),
    ("offence_report", 10),
    ("nothing_found", 14),
    ("handed_to_police", 6),
    ("false_alarm", 4),
    ("duplicate", 3),
    ("cancelled", 3),
)

#: Relative call volume per hour of day (Berlin time) inside opening hours.
HOUR_WEIGHTS = (
    0.2,
    0.1,
    0.1,
    0.1,
    0.1,
    0.2,
    0.4,
    1.0,
    1.6,
    2.0,
    2.2,
    2.3,
    2.4,
    2.5,
    2.6,
    2.8,
    3.0,
    3.2,
    3.4,
    3.5,
    3.3,
    2.9,
    2.4,
    1.2,
)

UNIT_LAYOUT: tuple[tuple[str, str, int], ...] = (
    # call sign, home Stadtteil, members
    ("KOD 11", "Wiesdorf", 3),
    ("KOD 12", "Wiesdorf", 3),
    ("KOD 13", "Manfort", 2),
    ("KOD 14", "Rheindorf", 2),
    ("KOD 21", "Opladen", 3),
    ("KOD 22", "Opladen", 3),
    ("KOD 23", "Quettingen", 2),
    ("KOD 24", "Bürrig", 2),
    ("KOD 31", "Schlebusch", 3),
    ("KOD 32", "Steinbüchel", 3),
    ("KOD 33", "Lützenkirchen", 2),
    ("KOD 34", "Alkenrath", 2),
)


def opening_hours(day: date) -> tuple[int, int]:
    """Leitstelle hours (Berlin) for ``day``: Mon–Thu 7–23, Fri/Sat 8–24, Sun 12–20."""
    weekday = day.weekday()
    if weekday <= 3:
        return 7, 23
    if weekday <= 5:
        return 8, 24
    return 12, 20


def weighted(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    """One key of ``pairs``, chosen by its weight."""
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for key, w in pairs:
        x -= w
        if x <= 0:
            return key
    return pairs[-1][0]


TASK_TITLES = (
    "Streife Fußgängerzone Wiesdorf",
    "Kontrolle Kiosk Öffnungszeiten",
    "Kontrolle Hundeauslauf Neuland-Park",
    "Präsenz Busbahnhof Opladen",
    "Kontrolle Grillverbot Hitdorfer See",
    "Kontrolle Glasverbot Altstadtfest",
    "Nachkontrolle wilde Müllablagerung",
    "Jugendschutzkontrolle Tankstelle",
    "Streife Stöckenbergsee am Abend",
    "Gemeinsame Streife mit Polizei Schlebusch",
)
REPORT_SUBJECTS = (
    ("noise", "Ständige Ruhestörung durch Nachbarn"),
    ("waste", "Sperrmüll seit Tagen am Straßenrand"),
    ("dog", "Hund läuft täglich ohne Leine"),
    ("parking", "Dauerparker auf Gehweg"),
    ("graffiti", "Graffiti an Schulmauer"),
    ("public_order", "Trinkergruppe am Spielplatz"),
    ("lakes", "Grillfeuer am Ufer"),
    ("youth", "Alkoholverkauf an Jugendliche vermutet"),
)
