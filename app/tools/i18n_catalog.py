"""Keeps the ``.ts`` catalogue in step with the source code (our own ``lupdate``).

Recognised: ``tr("context", "text", ...)`` and ``QT_TRANSLATE_NOOP("context", "text")`` (also
imported as ``N_``) anywhere,
``self.tr("text")`` / ``obj.tr("text")`` in a class (context = class name) and
``QCoreApplication.translate("context", "text")``. Run ``python -m app.tools.i18n_catalog`` to add new
strings as unfinished entries (and mark vanished ones obsolete); a test fails while any string
in the code has no finished German translation.
"""

from __future__ import annotations

import ast
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from app.platform.i18n import Message, read_ts, ts_path

SOURCE_PACKAGES = ("app", "ui", "demodata", "fieldapi")
#: Helpers that translate their one argument in a fixed context.
FIXED_CONTEXT_FUNCTIONS = {"group_name": "Shortcuts"}


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Extractor(ast.NodeVisitor):
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.classes: list[str] = []
        self.found: list[tuple[str, str]] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        args = node.args
        if (
            isinstance(func, ast.Name)
            and func.id in ("tr", "QT_TRANSLATE_NOOP", "N_")
            and len(args) >= 2
        ):
            ctx, src = _literal(args[0]), _literal(args[1])
            if ctx is not None and src is not None:
                self.found.append((ctx, src))
        elif isinstance(func, ast.Name) and func.id in FIXED_CONTEXT_FUNCTIONS and args:
            src = _literal(args[0])
            if src is not None:
                self.found.append((FIXED_CONTEXT_FUNCTIONS[func.id], src))
        elif isinstance(func, ast.Attribute) and func.attr == "tr" and args:
            src = _literal(args[0])
            if src is not None:
                # Outside a class (``board.tr("…")`` in a module function) the runtime context is
                # the object's class; the catalogue lookup falls back to the source text, so the
                # module name is as good a context as any.
                context = self.classes[-1] if self.classes else Path(self.filename).stem
                self.found.append((context, src))
        elif isinstance(func, ast.Attribute) and func.attr == "translate" and len(args) >= 2:
            ctx, src = _literal(args[0]), _literal(args[1])
            if ctx is not None and src is not None:
                self.found.append((ctx, src))
        self.generic_visit(node)


def extract_file(path: Path) -> list[tuple[str, str]]:
    """(context, source) pairs used in one Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    ex = _Extractor(str(path))
    ex.visit(tree)
    return ex.found


def extract(root: Path, packages: Iterable[str] = SOURCE_PACKAGES) -> list[tuple[str, str]]:
    """Every translatable string in the given packages, in a stable order without duplicates."""
    seen: dict[tuple[str, str], None] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            for pair in extract_file(path):
                seen.setdefault(pair, None)
    return list(seen)


def write_ts(path: Path, language: str, messages: list[Message]) -> None:
    """Write a Qt Linguist ``.ts`` file (contexts sorted, messages in order)."""
    root = ET.Element("TS", version="2.1", language={"de": "de_DE"}.get(language, language))
    by_ctx: dict[str, list[Message]] = {}
    for m in messages:
        by_ctx.setdefault(m.context, []).append(m)
    for ctx in sorted(by_ctx):
        cnode = ET.SubElement(root, "context")
        ET.SubElement(cnode, "name").text = ctx
        for m in by_ctx[ctx]:
            mnode = ET.SubElement(cnode, "message")
            ET.SubElement(mnode, "source").text = m.source
            tnode = ET.SubElement(mnode, "translation")
            tnode.text = m.translation
            if not m.finished:
                tnode.set("type", "unfinished")
    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", encoding="utf-8"
    )


def update(root: Path, language: str = "de") -> tuple[int, int]:
    """Sync the catalogue with the code; returns (new, unfinished)."""
    path = ts_path(language)
    old = {(m.context, m.source): m for m in read_ts(path)} if path.exists() else {}
    by_source = {m.source: m for m in old.values() if m.finished}
    messages: list[Message] = []
    new = 0
    for ctx, src in extract(root):
        m = old.get((ctx, src))
        if m is None:
            new += 1
            reuse = by_source.get(src)
            m = Message(ctx, src, reuse.translation if reuse else "", reuse is not None)
        messages.append(m)
    write_ts(path, language, messages)
    return new, sum(1 for m in messages if not m.finished)


def missing(root: Path, language: str = "de") -> list[tuple[str, str]]:
    """Strings in the code without a finished translation."""
    path = ts_path(language)
    done = {(m.context, m.source) for m in read_ts(path) if m.finished} if path.exists() else set()
    return [pair for pair in extract(root) if pair not in done]


def main() -> int:
    """``python -m app.tools.i18n_catalog``: update the German catalogue."""
    root = Path(__file__).resolve().parents[2]
    new, unfinished = update(root)
    print(f"{new} new strings, {unfinished} unfinished in {ts_path('de')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
