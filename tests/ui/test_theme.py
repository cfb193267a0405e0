"""Colours live in ui/theme.py only: palettes by meaning, ready for another palette."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from PySide6.QtGui import QColor

from ui import theme

UI = Path(__file__).resolve().parents[2] / "ui"
HEX = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?(?:[0-9a-fA-F]{2})?\b")
NAMED = re.compile(
    r"\b(?:white|black|red|green|blue|yellow|orange|gr[ae]y|silver|maroon|navy|purple)\b"
    r"|rgba?\(",
    re.IGNORECASE,
)


def _strings(source: str) -> list[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(t.start[0], t.string) for t in tokens if t.type == tokenize.STRING]


def _literal_colour_calls(tree: ast.AST) -> list[tuple[int, str]]:
    """setStyleSheet(...) and QColor(...) calls given a colour as a literal."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name not in ("setStyleSheet", "QColor"):
            continue
        for arg in node.args:
            if name == "QColor" and isinstance(arg, ast.Constant):
                found.append((node.lineno, repr(arg.value)))  # QColor("white"), QColor(0x…)
                continue
            for part in ast.walk(arg):
                text = part.value if isinstance(part, ast.Constant) else None
                if isinstance(text, str) and (NAMED.search(text) or HEX.search(text)):
                    found.append((node.lineno, text))
    return found


def test_no_ui_module_but_the_theme_holds_a_colour() -> None:
    offenders = []
    for path in sorted(UI.rglob("*.py")):
        if path.name == "theme.py" and path.parent == UI:
            continue
        source = path.read_text(encoding="utf-8")
        rel = path.relative_to(UI.parent)
        offenders += [f"{rel}:{n}: {s}" for n, s in _strings(source) if HEX.search(s)]
        offenders += [f"{rel}:{n}: {s}" for n, s in _literal_colour_calls(ast.parse(source))]
    assert offenders == []


def test_the_check_finds_what_it_is_meant_to_find() -> None:
    source = (
        'w.setStyleSheet("color: white;")\nc = QColor("#123456")\nx = "#abc"\n'
        'd = QColor("red")\ne = QColor(name or theme.color("text"))\n'
    )
    assert [n for n, s in _strings(source) if HEX.search(s)] == [2, 3]
    assert [n for n, _s in _literal_colour_calls(ast.parse(source))] == [1, 2, 4]


def test_every_palette_has_a_valid_colour_for_every_role() -> None:
    assert {"default", "colour_blind"} <= set(theme.PALETTES)
    for palette in theme.PALETTES.values():
        for role in theme.roles():
            value = getattr(palette, role)
            if role == "read_only_field" and value == "":
                continue  # the window's own background
            assert QColor(value).isValid(), (palette.name, role, value)
        for code in "0123456N":
            colours = palette.status[code]
            assert QColor(colours.background).isValid() and QColor(colours.foreground).isValid()
        assert all(QColor(c).isValid() for c in palette.alarm)


def test_another_palette_changes_the_styles() -> None:
    before = theme.current()
    try:
        theme.use(theme.COLOUR_BLIND)
        assert theme.COLOUR_BLIND.error in theme.error_style()
        assert theme.status_colours("4") == theme.COLOUR_BLIND.status["4"]
        assert theme.COLOUR_BLIND.alarm[0] in theme.emergency_banner_style(0)
    finally:
        theme.use(before)
