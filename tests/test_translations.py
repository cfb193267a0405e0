"""German catalogue: complete, placeholders intact, well-formed (CI gate against unfinished entries)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.platform import i18n
from app.tools.i18n_catalog import missing

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\d+")
MNEMONIC = re.compile(r"&(?=\w)")


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.fixture
def german(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``KOD_LANG=de`` with a freshly read catalogue (and no cached catalogue left behind)."""
    monkeypatch.setenv("KOD_LANG", "de")
    i18n.catalogue.cache_clear()
    yield
    i18n.catalogue.cache_clear()


def test_every_string_in_the_code_has_a_finished_german_translation() -> None:
    gaps = missing(ROOT)
    assert gaps == [], (
        f"{len(gaps)} strings without a finished German translation "
        f"(run `python -m app.tools.i18n_catalog`, then translate): {gaps[:20]}"
    )


def test_translations_keep_exactly_the_placeholders_of_the_source() -> None:
    wrong = [
        (m.context, m.source, m.translation)
        for m in i18n.read_ts(i18n.ts_path("de"))
        if m.finished and _placeholders(m.source) != _placeholders(m.translation)
    ]
    assert wrong == []


def test_translations_keep_the_mnemonic_of_the_source() -> None:
    wrong = [
        (m.context, m.source, m.translation)
        for m in i18n.read_ts(i18n.ts_path("de"))
        if m.finished and bool(MNEMONIC.search(m.source)) != bool(MNEMONIC.search(m.translation))
    ]
    assert wrong == []


def test_catalogue_parses_and_has_no_unfinished_entries() -> None:
    path = i18n.ts_path("de")
    root = ET.parse(path).getroot()
    assert root.tag == "TS"
    assert root.get("language") == "de_DE"
    translations = list(root.iter("translation"))
    assert translations
    unfinished = [t for t in translations if t.get("type") == "unfinished"]
    assert unfinished == []
    assert 'type="unfinished"' not in path.read_text(encoding="utf-8")
    assert all((t.text or "").strip() for t in translations if t.get("type") is None)


def test_lookup_in_german(german: None) -> None:
    assert i18n.tr("categories", "Noise") == "Lärm"
    assert i18n.tr("unit_status", "EMERGENCY") == "NOTRUF"
    assert (
        i18n.tr("users", "User name or password is wrong.") == "Benutzername oder Passwort falsch."
    )
    assert i18n.tr("incidents", "Unknown category '%1'.", "xyz") == "Unbekannte Kategorie „xyz“."
