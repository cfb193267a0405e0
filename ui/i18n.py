"""Installs the German translation: our catalogue plus Qt's own (``qtbase_de``)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app.platform.i18n import catalogue, current_language


class CatalogueTranslator(QTranslator):
    """A QTranslator answering from the project's ``.ts`` catalogue (see :mod:`app.platform.i18n`)."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self._catalogue = catalogue(language)

    def translate(  # type: ignore[override]
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str | None:
        # None (a null QString) means "not translated here": Qt then falls back to the source
        # text. An empty string would blank the text out.
        return self._catalogue.lookup(context, source)

    def isEmpty(self) -> bool:
        return False


_installed: list[QTranslator] = []


def install_translations(app: QCoreApplication) -> str:
    """Install translators for the configured language; returns the language code."""
    language = current_language()
    if language == "en":
        return language
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in ("qtbase", "qtwebengine"):
        qt = QTranslator(app)
        if qt.load(f"{name}_{language}", qt_dir):
            app.installTranslator(qt)
            _installed.append(qt)
    ours = CatalogueTranslator(language)
    app.installTranslator(ours)
    _installed.append(ours)
    return language
