"""German display forms of amounts and dates, for documents and exports (Qt-free)."""

from __future__ import annotations

from datetime import date, datetime

from app.platform.timeutil import local


def format_euros(cents: int) -> str:
    """An amount in euros as printed in German: ``25,00 €``, ``1.250,00 €``."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", ".") + f",{rest:02d}\u00a0€"


def format_date(value: date | None) -> str:
    """``05.12.2026``; empty for None."""
    return value.strftime("%d.%m.%Y") if value is not None else ""


def format_datetime(value: datetime | None) -> str:
    """``05.12.2026, 14:05 Uhr`` in German local time; empty for None."""
    return local(value).strftime("%d.%m.%Y, %H:%M Uhr") if value is not None else ""
