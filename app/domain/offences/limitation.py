"""When the prosecution of an offence becomes time-barred (Verfolgungsverjährung).

- § 31 Abs. 2 OWiG: the period follows the statutory maximum fine: 6 months up to 1,000 €,
  1 year up to 2,500 €, 2 years up to 15,000 €, otherwise 3 years.
- § 17 Abs. 2 OWiG: the statutory maximum is the one for intent; negligence halves it, and the
  halved maximum decides the period.
- § 26 Abs. 3 StVG: traffic offences under § 24 StVG (parking) expire after 3 months, 6 months
  once a Bußgeldbescheid has been issued.
- § 31 Abs. 3 OWiG: the period starts when the act ends; the day of the act is its first day,
  so it ends with the day before the calendar day that corresponds to it (a period from
  15.03. ends with 14.09.); where that month has no corresponding day, with its last day.
- § 33 OWiG: an interruption (first hearing notice, Bußgeldbescheid, …) starts the period
  anew from its day; the first hearing interrupts only once (§ 33 Abs. 1 Nr. 1: "die erste
  Vernehmung"); an interruption after the period has run out revives nothing; and the case is
  time-barred at the latest after twice the statutory period, at least two years (§ 33 Abs. 3).

Weekends and holidays do not extend a limitation period.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from app.platform.i18n import tr


class Culpability(StrEnum):
    """Intent (Vorsatz) or negligence (Fahrlässigkeit), as recorded on the case."""

    INTENT = "intent"
    NEGLIGENCE = "negligence"


class InterruptionKind(StrEnum):
    """Acts that interrupt the limitation period (§ 33 Abs. 1 OWiG)."""

    #: Nr. 1: first hearing or notice that proceedings were opened (Anhörung).
    FIRST_HEARING = "first_hearing"
    #: Nr. 9: the Bußgeldbescheid (issued, if served within two weeks).
    FINE_NOTICE = "fine_notice"
    #: Any other act listed in § 33 Abs. 1 (e.g. a court order, Nr. 4/10/11).
    OTHER = "other"


@dataclass(frozen=True)
class Interruption:
    """An interrupting act on a day."""

    on: date
    kind: InterruptionKind


@dataclass(frozen=True)
class Limitation:
    """The computed limitation of one case."""

    #: Last day on which the case may still be pursued.
    last_day: date
    #: The absolute limit (§ 33 Abs. 3 S. 2 OWiG) no interruption can pass.
    absolute_last_day: date
    #: Length of the period now running.
    months: int
    #: The rule that decides it, in words (German in the workstation).
    basis: str

    def days_left(self, today: date) -> int:
        """Days until the case runs out; 0 on its last day, negative once it has run out."""
        return (self.last_day - today).days

    def expired(self, today: date) -> bool:
        """True once the case can no longer be pursued."""
        return today > self.last_day


def period_end(start: date, months: int) -> date:
    """Last day of a period of ``months`` that starts on (and counts) ``start``."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last_of_month = calendar.monthrange(year, month)[1]
    if start.day > last_of_month:
        return date(year, month, last_of_month)
    return date(year, month, start.day) - timedelta(days=1)


#: § 31 Abs. 2 OWiG: (maximum up to, in cents, months); above the last: 36 months.
_OWIG_PERIODS = ((1_000_00, 6), (2_500_00, 12), (15_000_00, 24))


def owig_months(statutory_max_cents: int | None, culpability: Culpability) -> tuple[int, str]:
    """The § 31 period in months for a maximum fine, with the rule in words."""
    if statutory_max_cents is None:
        return 6, tr(
            "offences", "§ 31 Abs. 2 Nr. 4 OWiG (statutory maximum unknown: shortest period)"
        )
    maximum = statutory_max_cents
    if culpability is Culpability.NEGLIGENCE:
        maximum //= 2
    number, months = next(
        (
            (n, m)
            for n, (up_to, m) in zip((4, 3, 2), _OWIG_PERIODS, strict=True)
            if maximum <= up_to
        ),
        (1, 36),
    )
    basis = tr("offences", "§ 31 Abs. 2 Nr. %1 OWiG (maximum %2 €)", number, _euros(maximum))
    if culpability is Culpability.NEGLIGENCE:
        basis += tr("offences", ", halved for negligence (§ 17 Abs. 2 OWiG)")
    return months, basis


def traffic_months(fine_notice_issued: bool) -> tuple[int, str]:
    """The § 26 Abs. 3 StVG period: 3 months, 6 once a Bußgeldbescheid was issued."""
    if fine_notice_issued:
        return 6, tr("offences", "§ 26 Abs. 3 StVG (6 months after the Bußgeldbescheid)")
    return 3, tr("offences", "§ 26 Abs. 3 StVG (3 months)")


def limitation(
    committed_on: date,
    statutory_max_cents: int | None,
    culpability: Culpability,
    is_traffic: bool,
    interruptions: Sequence[Interruption] = (),
) -> Limitation:
    """Compute when a case runs out, given the act's day and the interruptions so far."""
    if is_traffic:
        months, basis = traffic_months(False)
        statutory = 6  # the longest § 26 Abs. 3 StVG period
    else:
        months, basis = owig_months(statutory_max_cents, culpability)
        statutory = months
    absolute = period_end(committed_on, max(2 * statutory, 24))
    last_day = period_end(committed_on, months)
    hearing_seen = False
    for act in sorted(interruptions, key=lambda i: i.on):
        if act.on > last_day or act.on < committed_on:
            continue  # nothing revives a time-barred case; nothing before the act interrupts
        if act.kind is InterruptionKind.FIRST_HEARING:
            if hearing_seen:
                continue
            hearing_seen = True
        if is_traffic and act.kind is InterruptionKind.FINE_NOTICE:
            months, basis = traffic_months(True)
        last_day = period_end(act.on, months)
    if last_day > absolute:
        last_day = absolute
        basis += tr("offences", "; absolute limit reached (§ 33 Abs. 3 S. 2 OWiG)")
    return Limitation(last_day, absolute, months, basis)


def _euros(cents: int) -> str:
    """German amount without cents where there are none: ``2.500`` / ``1.250,50``."""
    whole, rest = divmod(cents, 100)
    text = f"{whole:,}".replace(",", ".")
    return text if rest == 0 else f"{text},{rest:02d}"
