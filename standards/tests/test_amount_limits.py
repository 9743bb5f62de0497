"""The engine's limits (issue #15): one amount limit for every amount, quantities of
something (whole where the unit is counted whole), coefficients only where a grade
has one. Each refusal is a PricingError naming the input, never a decimal error."""

from collections.abc import Iterator
from decimal import Decimal, DivisionByZero, InvalidOperation, Overflow

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from standards import pricing
from standards.pricing import Method, PricingError

D = Decimal
LIMIT = "Exceeds the amount limit"
L2 = pricing.GradeFigures(unit_price=D("80000.00"))  # 等保 level 2: no coefficient
L3 = pricing.GradeFigures(D("100000.00"), D("1.0"), D("1.0"), D("1.3"))


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_the_limit_is_what_a_money_column_holds() -> None:
    assert pricing.check_amount(D("999999999999.99"), "x") == D("999999999999.99")
    assert pricing.check_amount(D("-999999999999.99"), "x") == D("-999999999999.99")
    for beyond in ("1000000000000.00", "999999999999.991", "1e30", "Infinity", "-1e13"):
        with pytest.raises(PricingError, match=f"^{LIMIT}: x is "):
            pricing.check_amount(D(beyond), "x")
    with pytest.raises(PricingError, match="not a number"):
        pricing.check_amount(D("NaN"), "x")


def test_the_refusal_starts_alike_in_chinese_and_names_the_amount() -> None:
    with translation.override("zh-hans"), pytest.raises(PricingError) as error:
        pricing.check_amount(D("1e12"), "控制数")
    assert error.value.message == (
        "超出金额上限：控制数为 1,000,000,000,000.00 元，最多为 999,999,999,999.99 元。"
    )


def test_a_value_past_the_fen_is_shown_as_typed_not_rounded_to_the_next_yuan() -> None:
    with pytest.raises(PricingError) as error:
        pricing.check_amount(D("999999999999.995"), "x")
    assert error.value.message == (
        "Exceeds the amount limit: x is 999,999,999,999.995 yuan, at most 999,999,999,999.99 yuan."
    )
    with pytest.raises(PricingError) as computed:
        pricing.check_amount(D("1300000000000.0000"), "x")
    assert "x is 1,300,000,000,000.00 yuan" in computed.value.message


def test_an_absurd_value_is_shown_short() -> None:
    with pytest.raises(PricingError) as error:
        pricing.check_amount(D("1e999999"), "x")
    assert "1.000E+999999" in error.value.message
    assert len(error.value.message) < 120


def test_a_line_of_a_trillion_yuan_is_refused_at_its_quantity() -> None:
    # One cent past the limit.
    with pytest.raises(PricingError) as error:
        pricing.price_by_unit(unit_price="500000000000", quantity="2")
    assert error.value.message == (
        "Exceeds the amount limit: the line's amount is 1,000,000,000,000.00 yuan, "
        "at most 999,999,999,999.99 yuan."
    )
    assert error.value.field == "quantity"


def test_a_quadrillion_units_exceed_the_limit_instead_of_overflowing_the_column() -> None:
    with pytest.raises(PricingError, match=f"^{LIMIT}") as error:
        pricing.price_by_unit(unit_price="83900", quantity="1000000000000000")
    assert "83,900,000,000,000,000,000.00" in error.value.message
    assert error.value.field == "quantity"


def test_sixteen_digits_by_sixteen_digits_is_refused_not_an_invalid_operation() -> None:
    # Before: Decimal's quantize raised InvalidOperation on a 32-digit product.
    with pytest.raises(PricingError, match=f"^{LIMIT}: the line's amount"):
        pricing.price_by_function_points(
            ufp="9999999999999999",
            category_factor="1",
            reuse_factor="1",
            productivity="9999999999999999",
            hours_per_person_month="1",
            person_month_rate="1",
        )
    with pytest.raises(PricingError, match=f"^{LIMIT}: Unit price"):
        pricing.price_by_unit(unit_price="9999999999999999", quantity="9999999999999999")


def test_rounding_to_the_limit_is_within_it_and_past_it_is_not() -> None:
    # 999,999,999,999.993 rounds down to the limit; 999,999,999,999.996 up past it.
    assert pricing.price_by_unit(unit_price="333333333333.331", quantity=3).amount == D(
        "999999999999.99"
    )
    with pytest.raises(PricingError, match=f"{LIMIT}: the line's amount is 1,000,000,000,000.00"):
        pricing.price_by_unit(unit_price="333333333333.332", quantity=3)


@pytest.mark.parametrize(
    ("price", "inputs", "name"),
    [
        (pricing.price_by_percentage, {"base": "1e12", "rate": "0.1", "rate_max": "0.3"}, "Base"),
        (pricing.price_amortised, {"one_off_cost": "1e12", "years": 3}, "One-off cost"),
        (pricing.price_amortised, {"one_off_cost": "1", "years": 3, "annual_om": "1e12"}, "O&M"),
        (
            pricing.price_by_workload,
            {"stages": {"编码": "1"}, "person_month_rate": "1e12"},
            "Person-month rate",
        ),
        (
            pricing.price_by_workload,
            {"stages": {"编码": "1e9"}, "person_month_rate": "24000"},
            "line",
        ),
    ],
)
def test_every_method_refuses_amounts_beyond_the_limit_naming_them(price, inputs, name) -> None:
    with pytest.raises(PricingError, match=f"^{LIMIT}: .*{name}"):
        price(**inputs)


def test_a_money_parameter_of_a_standard_is_within_the_limit() -> None:
    with pytest.raises(PricingError, match=LIMIT):
        pricing.validate_parameters(
            Method.WORKLOAD, {"stages": ["编码"], "person_month_rate": "1e12"}
        )


def test_an_input_beyond_any_sense_is_refused_as_too_large() -> None:
    with pytest.raises(PricingError, match="too large"):
        pricing.price_by_unit(unit_price="1", quantity="1e999999", coefficient="1e-999999")


huge = st.decimals(allow_nan=False, allow_infinity=False)


@given(price=huge, quantity=huge, coefficient=huge)
def test_no_magnitude_breaks_the_arithmetic(price, quantity, coefficient) -> None:
    """Whatever the numbers, a price within the limit or a PricingError: never a
    decimal exception (which would be a server error)."""
    try:
        result = pricing.price_by_unit(unit_price=price, quantity=quantity, coefficient=coefficient)
    except PricingError:
        return
    except (InvalidOperation, Overflow, DivisionByZero) as error:  # pragma: no cover
        pytest.fail(f"{type(error).__name__} for {price} × {coefficient} × {quantity}")
    assert D(0) <= result.amount <= pricing.MAX_AMOUNT


@given(ufp=huge, rate=huge, base=huge, cost=huge)
def test_no_magnitude_breaks_the_other_methods(ufp, rate, base, cost) -> None:
    calls = [
        lambda: pricing.quote(
            Method.FUNCTION_POINTS,
            {
                "category_factors": {"a": "1"},
                "reuse_factors": {"b": "1"},
                "productivity": "6.51",
                "hours_per_person_month": "174",
                "person_month_rate": "24000",
            },
            {"ufp": ufp, "category": "a", "reuse": "b", "direct_non_labour_cost": cost},
            allow_out_of_range=True,
        ),
        lambda: pricing.price_by_percentage(base=base, rate=rate, rate_max="1"),
        lambda: pricing.price_amortised(one_off_cost=cost, recurring_costs=base, years=rate),
    ]
    for call in calls:
        try:
            result = call()
        except PricingError:
            continue
        assert result.amount <= pricing.MAX_AMOUNT


# --- Quantities -------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["0", "-1", "0.00"])
def test_a_quantity_of_nothing_is_refused(quantity: str) -> None:
    with pytest.raises(PricingError, match="more than 0") as error:
        pricing.price_by_unit(unit_price="83900", quantity=quantity, unit="人年")
    assert error.value.field == "quantity"


def test_a_fraction_of_a_unit_counted_whole_is_refused() -> None:
    with pytest.raises(PricingError, match="whole number: 次") as error:
        pricing.quote(Method.UNIT_PRICE, {}, {"quantity": "1.5"}, L2, unit="次")
    assert error.value.field == "quantity"
    assert pricing.quote(Method.UNIT_PRICE, {}, {"quantity": "2"}, L2, unit="次").amount == D(
        "160000.00"
    )
    # Person-years may be fractional: half a year of on-site staff.
    half = pricing.quote(Method.UNIT_PRICE, {}, {"quantity": "0.5"}, L2, unit="人年")
    assert half.amount == D("40000.00")
    assert "数量 0.5人年" in half.explanation_zh


def test_every_standard_unit_counted_whole_is_listed() -> None:
    from standards.models import Unit

    assert {Unit.TIME.value, Unit.ITEM.value, Unit.SET.value} <= pricing.WHOLE_UNITS
    units = (Unit.PERSON_MONTH, Unit.PERSON_YEAR, Unit.PERSON_DAY, Unit.CORE_YEAR)
    fractional = {unit.value for unit in units}
    assert not fractional & pricing.WHOLE_UNITS


# --- Coefficients -----------------------------------------------------------------------


def test_a_coefficient_for_a_grade_without_one_is_refused_not_ignored() -> None:
    # Before: priced at 80,000 as if the clerk had given no coefficient.
    with pytest.raises(PricingError, match="no coefficient") as error:
        pricing.quote(
            Method.UNIT_PRICE,
            {},
            {"quantity": 1, "coefficient": "1.2"},
            L2,
            allow_out_of_range=True,
        )
    assert error.value.field == "coefficient"


def test_a_coefficient_other_than_the_grades_own_leaves_its_range_when_it_has_none() -> None:
    fixed = pricing.GradeFigures(unit_price=D("100000.00"), coefficient=D("1.2"))
    assert pricing.quote(Method.UNIT_PRICE, {}, {"quantity": 1}, fixed).amount == D("120000.00")
    with pytest.raises(PricingError, match=r"1\.2"):
        pricing.quote(Method.UNIT_PRICE, {}, {"quantity": 1, "coefficient": "5"}, fixed)
    flagged = pricing.quote(
        Method.UNIT_PRICE, {}, {"quantity": 1, "coefficient": "5"}, fixed, allow_out_of_range=True
    )
    assert flagged.amount == D("500000.00")
    assert len(flagged.out_of_range) == 1


def test_a_coefficient_outside_the_grades_range_is_flagged_as_before() -> None:
    flagged = pricing.quote(
        Method.UNIT_PRICE, {}, {"quantity": 1, "coefficient": "1.5"}, L3, allow_out_of_range=True
    )
    assert flagged.out_of_range and "1.3" in flagged.out_of_range[0].message()
