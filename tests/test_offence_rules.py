"""The limitation clock (§ 31, § 33 OWiG, § 26 Abs. 3 StVG) and the Verwarnung (§ 56 OWiG),
each rule with a worked example; dates are the simulated clock."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.offences.caution import caution_terms, check_fee, period_proposed
from app.domain.offences.limitation import (
    Culpability,
    Interruption,
    InterruptionKind,
    limitation,
    period_end,
)
from app.platform.errors import ValidationError

INTENT, NEGLIGENCE = Culpability.INTENT, Culpability.NEGLIGENCE
HEARING, NOTICE, OTHER = (
    InterruptionKind.FIRST_HEARING,
    InterruptionKind.FINE_NOTICE,
    InterruptionKind.OTHER,
)
ACT = date(2026, 1, 10)


def euros(n: int) -> int:
    return n * 100


# --- counting a period -------------------------------------------------------------------------


def test_a_period_counts_the_day_of_the_act_15_march_plus_6_months_ends_14_september() -> None:
    assert period_end(date(2026, 3, 15), 6) == date(2026, 9, 14)


def test_a_period_from_31_august_ends_with_the_last_day_of_february() -> None:
    assert period_end(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert period_end(date(2027, 8, 31), 6) == date(2028, 2, 29)  # leap year


def test_a_period_from_1_january_ends_on_new_years_eve_of_the_same_year() -> None:
    assert period_end(date(2026, 1, 1), 12) == date(2026, 12, 31)


# --- § 31 Abs. 2 OWiG with § 17 Abs. 2 ---------------------------------------------------------


def test_dog_off_the_lead_max_1000_euros_runs_out_after_6_months() -> None:
    result = limitation(ACT, euros(1_000), INTENT, is_traffic=False)
    assert (result.months, result.last_day) == (6, date(2026, 7, 9))
    assert "Nr. 4" in result.basis


def test_max_2000_euros_is_one_year_for_intent_but_6_months_for_negligence() -> None:
    assert limitation(ACT, euros(2_000), INTENT, False).last_day == date(2027, 1, 9)
    negligent = limitation(ACT, euros(2_000), NEGLIGENCE, False)
    assert negligent.last_day == date(2026, 7, 9)
    assert "§ 17 Abs. 2 OWiG" in negligent.basis


def test_max_5000_euros_is_two_years_for_intent_and_one_year_for_negligence() -> None:
    assert limitation(ACT, euros(5_000), INTENT, False).months == 24
    assert limitation(ACT, euros(5_000), NEGLIGENCE, False).months == 12


def test_max_20000_euros_is_three_years_for_intent_and_two_for_negligence() -> None:
    assert limitation(ACT, euros(20_000), INTENT, False).last_day == date(2029, 1, 9)
    assert limitation(ACT, euros(20_000), NEGLIGENCE, False).months == 24


def test_the_limits_belong_to_the_shorter_period_exactly_1000_and_2500_and_15000() -> None:
    assert limitation(ACT, euros(1_000), INTENT, False).months == 6
    assert limitation(ACT, euros(1_000) + 1, INTENT, False).months == 12
    assert limitation(ACT, euros(2_500), INTENT, False).months == 12
    assert limitation(ACT, euros(15_000), INTENT, False).months == 24
    assert limitation(ACT, euros(15_000) + 1, INTENT, False).months == 36


def test_an_unknown_statutory_maximum_assumes_the_shortest_period_so_warnings_come_early() -> None:
    assert limitation(ACT, None, INTENT, False).months == 6


# --- § 26 Abs. 3 StVG -------------------------------------------------------------------------


def test_parking_on_15_march_runs_out_with_14_june_whatever_the_maximum() -> None:
    result = limitation(date(2026, 3, 15), euros(2_000), INTENT, is_traffic=True)
    assert (result.months, result.last_day) == (3, date(2026, 6, 14))
    assert "§ 26 Abs. 3 StVG" in result.basis


def test_parking_with_a_bussgeldbescheid_on_1_may_runs_6_months_from_it_to_31_october() -> None:
    notice = Interruption(date(2026, 5, 1), NOTICE)
    result = limitation(date(2026, 3, 15), euros(2_000), INTENT, True, [notice])
    assert (result.months, result.last_day) == (6, date(2026, 10, 31))


def test_a_bussgeldbescheid_after_the_three_months_revives_nothing() -> None:
    late = Interruption(date(2026, 6, 20), NOTICE)
    result = limitation(date(2026, 3, 15), euros(2_000), INTENT, True, [late])
    assert result.last_day == date(2026, 6, 14)
    assert result.expired(date(2026, 6, 15))


# --- § 33 OWiG ---------------------------------------------------------------------------------


def test_the_first_hearing_on_1_march_restarts_6_months_to_31_august_a_second_one_does_not() -> (
    None
):
    first = Interruption(date(2026, 3, 1), HEARING)
    second = Interruption(date(2026, 6, 1), HEARING)
    result = limitation(ACT, euros(1_000), INTENT, False, [second, first])
    assert result.last_day == date(2026, 8, 31)
    court = Interruption(date(2026, 8, 1), OTHER)
    assert limitation(ACT, euros(1_000), INTENT, False, [first, second, court]).last_day == date(
        2027, 1, 31
    )


def test_interruptions_never_pass_the_absolute_limit_of_twice_the_period_at_least_two_years() -> (
    None
):
    acts = [Interruption(date(2026 + m // 12, m % 12 + 1, 1), OTHER) for m in range(4, 40, 4)]
    result = limitation(ACT, euros(1_000), INTENT, False, acts)
    assert result.absolute_last_day == date(2028, 1, 9)
    assert result.last_day == date(2028, 1, 9)
    assert "§ 33 Abs. 3" in result.basis
    three_years = limitation(ACT, euros(20_000), INTENT, False)
    assert three_years.absolute_last_day == date(2032, 1, 9)  # twice 3 years


def test_days_left_count_down_to_zero_on_the_last_day() -> None:
    result = limitation(ACT, euros(1_000), INTENT, False)
    assert result.days_left(date(2026, 7, 1)) == 8
    assert result.days_left(date(2026, 7, 9)) == 0
    assert not result.expired(date(2026, 7, 9))
    assert result.expired(date(2026, 7, 10))


def test_the_rule_is_named_in_german() -> None:
    result = limitation(ACT, euros(2_000), NEGLIGENCE, False)
    assert "fahrlässig" in result.basis.lower() or "Fahrlässigkeit" in result.basis


# --- § 56 OWiG ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cents", [0, 499, 5501, euros(60)])
def test_a_verwarnungsgeld_outside_5_to_55_euros_is_refused_in_german(cents: int) -> None:
    with pytest.raises(ValidationError, match="5 bis 55 Euro"):
        check_fee(cents)


@pytest.mark.parametrize("cents", [None, 500, 1000, 5500])
def test_5_and_55_euros_and_no_fee_at_all_are_valid(cents: int | None) -> None:
    check_fee(cents)


def test_without_consent_after_the_instruction_there_is_no_verwarnung() -> None:
    with pytest.raises(ValidationError, match="Weigerungsrecht"):
        caution_terms(euros(20), False, True, date(2026, 5, 4))


def test_a_fee_over_10_euros_not_paid_at_once_is_due_one_week_later() -> None:
    terms = caution_terms(euros(25), True, False, date(2026, 5, 4))
    assert (terms.pay_at_once, terms.due_on) == (False, date(2026, 5, 11))
    assert period_proposed(euros(25)) and not period_proposed(euros(10))


def test_a_payment_period_of_more_than_four_weeks_is_refused() -> None:
    with pytest.raises(ValidationError, match="Zahlungsfrist"):
        caution_terms(euros(25), True, False, date(2026, 5, 4), date(2026, 6, 30))


def test_a_caution_without_a_fee_has_nothing_to_pay() -> None:
    terms = caution_terms(None, True, False, date(2026, 5, 4))
    assert (terms.fee_cents, terms.pay_at_once, terms.due_on) == (None, False, None)
