"""Translations without Qt: reads the project's Qt Linguist ``.ts`` catalogue.

The workstation installs a ``QTranslator`` that asks this catalogue, and the Qt-free parts
(services, the admin CLI) use :func:`tr` directly, so German is the same everywhere and one
catalogue file (``resources/translations/kod_de.ts``) holds every string.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from resources.paths import resource_path

DEFAULT_LANGUAGE = "de"
_PLACEHOLDER = re.compile(r"%(\d+)")


@dataclass(frozen=True)
class Message:
    """One entry of a ``.ts`` file."""

    context: str
    source: str
    translation: str
    finished: bool


@dataclass
class Catalogue:
    """Translations looked up by (context, source), falling back to the source alone."""

    language: str
    by_context: dict[tuple[str, str], str] = field(default_factory=dict)
    by_source: dict[str, str] = field(default_factory=dict)

    def lookup(self, context: str, source: str) -> str | None:
        """The translation, or None if there is none."""
        found = self.by_context.get((context, source))
        if found is None:
            found = self.by_source.get(source)
        return found


def ts_path(language: str) -> Path:
    """Where the catalogue for ``language`` lives."""
    return resource_path("translations", f"kod_{language}.ts")


def read_ts(path: Path) -> list[Message]:
    """Parse a Qt Linguist ``.ts`` file."""
    root = ET.parse(path).getroot()
    messages: list[Message] = []
    for ctx in root.iter("context"):
        name = ctx.findtext("name") or ""
        for msg in ctx.iter("message"):
            source = msg.findtext("source") or ""
            tnode = msg.find("translation")
            translation = (tnode.text or "") if tnode is not None else ""
            kind = tnode.get("type") if tnode is not None else "unfinished"
            finished = kind not in ("unfinished", "obsolete", "vanished") and bool(translation)
            messages.append(Message(name, source, translation, finished))
    return messages


@cache
def catalogue(language: str | None = None) -> Catalogue:
    """The catalogue for ``language`` (default: ``KOD_LANG`` or German); empty if none."""
    lang = language or current_language()
    cat = Catalogue(lang)
    path = ts_path(lang)
    if lang == "en" or not path.exists():
        return cat
    for m in read_ts(path):
        if m.finished:
            cat.by_context[(m.context, m.source)] = m.translation
            cat.by_source.setdefault(m.source, m.translation)
    return cat


def current_language() -> str:
    """The UI language: ``KOD_LANG`` if set, else German."""
    return os.environ.get("KOD_LANG", DEFAULT_LANGUAGE)


def substitute(text: str, *args: object) -> str:
    """Replace Qt-style ``%1``, ``%2`` ... placeholders with ``args``."""
    if not args:
        return text

    def repl(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        return str(args[index]) if 0 <= index < len(args) else match.group(0)

    return _PLACEHOLDER.sub(repl, text)


def format_count(n: int) -> str:
    """A whole number with the thousands separator of the UI language (German: 12.345)."""
    grouped = f"{n:,}"
    return grouped.replace(",", ".") if current_language() == "de" else grouped


def count_text(n: int, one: str, many: str) -> str:
    """``one`` for exactly one, else ``many`` with ``%1`` replaced by the grouped number.

    Both texts come already translated (``tr`` in the caller's context).
    """
    return one if n == 1 else substitute(many, format_count(n))


def tr(context: str, source: str, *args: object) -> str:
    """Translate ``source`` (English) in ``context`` and fill ``%1``... with ``args``."""
    translated = catalogue().lookup(context, source)
    return substitute(translated if translated is not None else source, *args)


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:
    """Mark ``source`` for the catalogue without translating it now (like Qt's macro)."""
    return source
