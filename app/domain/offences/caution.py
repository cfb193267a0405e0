"""The Verwarnung with Verwarnungsgeld (§ 56 OWiG).

- The fee is 5 to 55 euros, or the caution is given without a fee (Abs. 1).
- It is valid only if the person agrees after being told they may refuse (Abs. 2 S. 1).
- The fee is paid at once or within a period that should be one week; the period should be
  granted when the fee is over 10 euros or the person cannot pay at once (Abs. 2 S. 1, 2).
- A certificate (Bescheinigung) is issued; no costs are charged (Abs. 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.platform.errors import ValidationError
from app.platform.i18n import tr

MIN_FEE_CENTS = 5_00
MAX_FEE_CENTS = 55_00
#: Above this a payment period should be granted (§ 56 Abs. 2 S. 2 OWiG).
PERIOD_THRESHOLD_CENTS = 10_00
DEFAULT_PERIOD = timedelta(weeks=1)


@dataclass(frozen=True)
class CautionTerms:
    """What the caution says about paying: at once, or by a due date."""

    fee_cents: int | None
    pay_at_once: bool
    due_on: date | None


def check_fee(fee_cents: int | None) -> None:
    """Refuse a Verwarnungsgeld outside 5–55 € (None: a caution without a fee)."""
    if fee_cents is None:
        return
    if not MIN_FEE_CENTS <= fee_cents <= MAX_FEE_CENTS:
        raise ValidationError(
            tr(
                "offences",
                "A Verwarnungsgeld is 5 to 55 euros, or the caution is given without a fee "
                "(§ 56 Abs. 1 OWiG). Above that the case goes to the Bußgeldstelle.",
            ),
            "fee",
        )


def period_proposed(fee_cents: int | None) -> bool:
    """True if a payment period should be granted for this fee (over 10 €)."""
    return fee_cents is not None and fee_cents > PERIOD_THRESHOLD_CENTS


def caution_terms(
    fee_cents: int | None,
    consent_after_instruction: bool,
    pay_at_once: bool,
    issued_on: date,
    due_on: date | None = None,
) -> CautionTerms:
    """Check a Verwarnung and settle its payment terms.

    ``due_on`` defaults to one week after ``issued_on`` when the fee is not paid at once; a due
    date before the day of issue, or more than four weeks after it, is refused.
    """
    check_fee(fee_cents)
    if not consent_after_instruction:
        raise ValidationError(
            tr(
                "offences",
                "A Verwarnung is valid only if the person agrees after being told that they "
                "may refuse (§ 56 Abs. 2 OWiG). Without consent: Anhörung and Bußgeldverfahren.",
            ),
            "consent",
        )
    if fee_cents is None or pay_at_once:
        return CautionTerms(fee_cents, fee_cents is not None, None)
    due = due_on or issued_on + DEFAULT_PERIOD
    if not issued_on <= due <= issued_on + timedelta(weeks=4):
        raise ValidationError(
            tr(
                "offences",
                "The payment period must end between the day of the caution and four weeks "
                "after it (usually one week, § 56 Abs. 2 OWiG).",
            ),
            "due_on",
        )
    return CautionTerms(fee_cents, False, due)
