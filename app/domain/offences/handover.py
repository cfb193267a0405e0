"""The hand-over file for the Bußgeldstelle's software: XML (schema ``owi-abgabe.xsd``) and CSV.

No national standard exists for this interface, so the format is ours and documented
(``docs/owi-abgabe.md``, schema in ``resources/schemas``). Every XML file written is checked
against the schema before anyone gets it; :func:`parse_xml` reads a file back (the round trip
the tests make, and what a receiving system may use to check a file) and refuses malformed or
invalid files with a German message naming the line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from lxml import etree

from app.platform.errors import ValidationError
from app.platform.i18n import tr
from app.platform.timeutil import local
from resources.paths import resource_path

NAMESPACE = "urn:kod-leitstelle:owi-abgabe:1"
SCHEMA_FILE = "owi-abgabe.xsd"
FORMAT_VERSION = "1"
_N = f"{{{NAMESPACE}}}"
#: Largest file :func:`parse_xml` accepts (a few thousand cases).
MAX_BYTES = 50_000_000
#: A spreadsheet would run a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class HandoverStep:
    """One step of a case's history as handed over."""

    at: datetime
    user: str
    status: str | None
    text: str


@dataclass(frozen=True)
class HandoverCase:
    """What the Bußgeldstelle receives of one case."""

    number: str
    status: str
    catalogue_key: str
    catalogue_revision: int
    catalogue_number: str | None
    offence: str
    legal_basis: str
    act_description: str
    committed_at: datetime
    place: str
    lat: float | None
    lon: float | None
    culpability: str
    procedure: str
    fine_cents: int | None
    caution_agreed: bool | None
    payment_due: date | None
    hearing_date: date | None
    limitation_date: date
    limitation_basis: str
    last_name: str
    first_name: str | None
    birth_date: date | None
    address: str
    officer: str | None
    incident_number: str | None
    history: tuple[HandoverStep, ...]


@dataclass(frozen=True)
class Handover:
    """A whole hand-over file: who made it, when, for whom, and its cases."""

    created_at: datetime
    created_by: str
    sender: str
    cases: tuple[HandoverCase, ...]


# --- writing -----------------------------------------------------------------------------------


def _sub(parent: etree._Element, name: str, value: object | None) -> None:
    if value is None or value == "":
        return
    el = etree.SubElement(parent, _N + name)
    if isinstance(value, bool):
        el.text = "true" if value else "false"
    elif isinstance(value, datetime):
        el.text = local(value).isoformat()
    elif isinstance(value, date):
        el.text = value.isoformat()
    else:
        el.text = str(value)


def _amount(cents: int | None) -> str | None:
    return None if cents is None else f"{Decimal(cents) / 100:.2f}"


def _case_element(root: etree._Element, c: HandoverCase) -> None:
    fall = etree.SubElement(root, _N + "Fall")
    _sub(fall, "Aktenzeichen", c.number)
    _sub(fall, "Status", c.status)
    tb = etree.SubElement(fall, _N + "Tatbestand")
    _sub(tb, "Schluessel", c.catalogue_key)
    _sub(tb, "Revision", c.catalogue_revision)
    _sub(tb, "Katalognummer", c.catalogue_number)
    _sub(tb, "Beschreibung", c.offence)
    _sub(tb, "Rechtsgrundlage", c.legal_basis)
    _sub(fall, "Tathandlung", c.act_description)
    _sub(fall, "Tatzeit", c.committed_at)
    place = etree.SubElement(fall, _N + "Tatort")
    _sub(place, "Bezeichnung", c.place)
    if c.lat is not None and c.lon is not None:
        _sub(place, "Breite", repr(c.lat))
        _sub(place, "Laenge", repr(c.lon))
    _sub(fall, "Vorwerfbarkeit", c.culpability)
    _sub(fall, "Verfahren", c.procedure)
    _sub(fall, "Betrag", _amount(c.fine_cents))
    _sub(fall, "VerwarnungAngenommen", c.caution_agreed)
    _sub(fall, "Zahlungsfrist", c.payment_due)
    _sub(fall, "Anhoerung", c.hearing_date)
    lim = etree.SubElement(fall, _N + "Verjaehrung")
    _sub(lim, "Datum", c.limitation_date)
    _sub(lim, "Grundlage", c.limitation_basis)
    person = etree.SubElement(fall, _N + "Betroffener")
    _sub(person, "Name", c.last_name)
    _sub(person, "Vorname", c.first_name)
    _sub(person, "Geburtsdatum", c.birth_date)
    _sub(person, "Anschrift", c.address)
    _sub(fall, "Sachbearbeitung", c.officer)
    _sub(fall, "Einsatz", c.incident_number)
    steps = etree.SubElement(fall, _N + "Verlauf")
    for step in c.history:
        el = etree.SubElement(steps, _N + "Schritt")
        el.set("zeit", local(step.at).isoformat())
        el.set("benutzer", step.user)
        if step.status:
            el.set("status", step.status)
        el.text = step.text


def to_xml(handover: Handover) -> bytes:
    """The hand-over as UTF-8 XML, checked against the schema."""
    root = etree.Element(_N + "OWiAbgabe", nsmap={None: NAMESPACE})
    root.set("version", FORMAT_VERSION)
    root.set("erstellt", local(handover.created_at).isoformat())
    root.set("erstelltVon", handover.created_by)
    root.set("absender", handover.sender)
    for case in handover.cases:
        _case_element(root, case)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(data)
    return data


CSV_COLUMNS = (
    "aktenzeichen",
    "status",
    "tatbestand_schluessel",
    "tatbestand_revision",
    "katalognummer",
    "tatbestand",
    "rechtsgrundlage",
    "tathandlung",
    "tatzeit",
    "tatort",
    "breite",
    "laenge",
    "vorwerfbarkeit",
    "verfahren",
    "betrag_eur",
    "verwarnung_angenommen",
    "zahlungsfrist",
    "anhoerung",
    "verjaehrung",
    "verjaehrung_grundlage",
    "name",
    "vorname",
    "geburtsdatum",
    "anschrift",
    "sachbearbeitung",
    "einsatz",
)


def _cell(value: object | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, datetime):
        return local(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(cases: tuple[HandoverCase, ...] | list[HandoverCase]) -> str:
    """One line per case: semicolon-separated, ISO dates, amounts with a decimal comma.

    Text a spreadsheet would run as a formula starts with an apostrophe (the XML is exact).
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in cases:
        amount = _amount(c.fine_cents)
        writer.writerow(
            [
                _cell(v)
                for v in (
                    c.number,
                    c.status,
                    c.catalogue_key,
                    c.catalogue_revision,
                    c.catalogue_number,
                    c.offence,
                    c.legal_basis,
                    c.act_description,
                    c.committed_at,
                    c.place,
                    c.lat,
                    c.lon,
                    c.culpability,
                    c.procedure,
                    amount.replace(".", ",") if amount else None,
                    c.caution_agreed,
                    c.payment_due,
                    c.hearing_date,
                    c.limitation_date,
                    c.limitation_basis,
                    c.last_name,
                    c.first_name,
                    c.birth_date,
                    c.address,
                    c.officer,
                    c.incident_number,
                )
            ]
        )
    return out.getvalue()


# --- checking and reading ----------------------------------------------------------------------


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(resource_path("schemas", SCHEMA_FILE))))


def _parser() -> etree.XMLParser:
    # No DTDs, no entities, no network: a hand-over file is data, nothing it names is fetched.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse(data: bytes) -> etree._Element:
    if len(data) > MAX_BYTES:
        raise ValidationError(
            tr("handover", "The hand-over file is too large (at most %1 MB).", MAX_BYTES // 10**6)
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise ValidationError(
            tr(
                "handover",
                "The hand-over file is not well-formed XML (line %1): %2",
                exc.lineno,
                exc.msg,
            )
        ) from exc
    if root.getroottree().docinfo.doctype:
        raise ValidationError(
            tr("handover", "The hand-over file must not contain a DOCTYPE declaration.")
        )
    return root


def validate(data: bytes) -> None:
    """Refuse ``data`` unless it is a hand-over file valid against ``owi-abgabe.xsd``."""
    root = _parse(data)
    schema = _schema()
    if not schema.validate(root):
        errors = list(schema.error_log)[:5]
        lines = "; ".join(tr("handover", "line %1: %2", e.line, e.message) for e in errors)
        raise ValidationError(
            tr(
                "handover",
                "The hand-over file does not match the schema %1: %2",
                SCHEMA_FILE,
                lines,
            )
        )


def _text(el: etree._Element, name: str) -> str | None:
    found = el.find(_N + name)
    return None if found is None else (found.text or "")


def _req(el: etree._Element, name: str) -> str:
    value = _text(el, name)
    assert value is not None  # the schema requires it
    return value


def _opt_date(el: etree._Element, name: str) -> date | None:
    value = _text(el, name)
    return date.fromisoformat(value) if value else None


def _case(fall: etree._Element) -> HandoverCase:
    tb = fall.find(_N + "Tatbestand")
    place = fall.find(_N + "Tatort")
    lim = fall.find(_N + "Verjaehrung")
    person = fall.find(_N + "Betroffener")
    steps = fall.find(_N + "Verlauf")
    assert tb is not None and place is not None and lim is not None
    assert person is not None and steps is not None
    amount = _text(fall, "Betrag")
    agreed = _text(fall, "VerwarnungAngenommen")
    lat, lon = _text(place, "Breite"), _text(place, "Laenge")
    return HandoverCase(
        number=_req(fall, "Aktenzeichen"),
        status=_req(fall, "Status"),
        catalogue_key=_req(tb, "Schluessel"),
        catalogue_revision=int(_req(tb, "Revision")),
        catalogue_number=_text(tb, "Katalognummer"),
        offence=_req(tb, "Beschreibung"),
        legal_basis=_req(tb, "Rechtsgrundlage"),
        act_description=_req(fall, "Tathandlung"),
        committed_at=datetime.fromisoformat(_req(fall, "Tatzeit")),
        place=_req(place, "Bezeichnung"),
        lat=float(lat) if lat else None,
        lon=float(lon) if lon else None,
        culpability=_req(fall, "Vorwerfbarkeit"),
        procedure=_req(fall, "Verfahren"),
        fine_cents=int(Decimal(amount) * 100) if amount else None,
        caution_agreed=None if agreed is None else agreed in ("true", "1"),
        payment_due=_opt_date(fall, "Zahlungsfrist"),
        hearing_date=_opt_date(fall, "Anhoerung"),
        limitation_date=date.fromisoformat(_req(lim, "Datum")),
        limitation_basis=_req(lim, "Grundlage"),
        last_name=_req(person, "Name"),
        first_name=_text(person, "Vorname"),
        birth_date=_opt_date(person, "Geburtsdatum"),
        address=_req(person, "Anschrift"),
        officer=_text(fall, "Sachbearbeitung"),
        incident_number=_text(fall, "Einsatz"),
        history=tuple(
            HandoverStep(
                datetime.fromisoformat(s.get("zeit", "")),
                s.get("benutzer", ""),
                s.get("status"),
                s.text or "",
            )
            for s in steps.findall(_N + "Schritt")
        ),
    )


def parse_xml(data: bytes) -> Handover:
    """Read a hand-over file back; malformed or invalid files are refused (German message)."""
    validate(data)
    root = _parse(data)
    return Handover(
        created_at=datetime.fromisoformat(root.get("erstellt", "")),
        created_by=root.get("erstelltVon", ""),
        sender=root.get("absender", ""),
        cases=tuple(_case(f) for f in root.findall(_N + "Fall")),
    )
