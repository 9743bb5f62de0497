"""The pricing engine: worked examples from BRIEF.md, range errors and properties."""

from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from standards import pricing
from standards.pricing import Method, PricingError

D = Decimal
money_values = st.decimals(min_value=0, max_value=10**9, places=2)
quantities = st.decimals(min_value=0, max_value=10**6, places=2)
# A quantity of a unit price is of something: more than 0.
positive_quantities = st.decimals(min_value=D("0.01"), max_value=10**6, places=2)
factors = st.decimals(min_value=D("0.01"), max_value=D(5), places=4)

GUANGDONG_FP: dict[str, Any] = {
    "category_factor": "1.0",
    "reuse_factor": "1",
    "productivity": "6.51",
    "hours_per_person_month": "174",
    "person_month_rate": "24000",
}


def assert_cents(amount: Decimal) -> None:
    assert isinstance(amount, Decimal)
    assert amount.as_tuple().exponent == -2
    assert amount >= 0
    assert amount <= pricing.MAX_AMOUNT


def amount_or_over_limit(price: Any, **inputs: Any) -> Decimal | None:
    """The amount in cents, or None where the engine refuses it as beyond the amount limit."""
    with translation.override("en"):
        try:
            amount = price(**inputs).amount
        except PricingError as error:
            assert error.message.startswith("Exceeds the amount limit"), error.message
            return None
    assert_cents(amount)
    return amount


def assert_grows(low: Decimal | None, high: Decimal | None) -> None:
    """More in gives more out, up to the amount limit and refused past it."""
    if low is None:
        assert high is None
    elif high is not None:
        assert low <= high


# --- Worked examples ------------------------------------------------------------


def test_level_protection_assessment_level_3_with_coefficient():
    result = pricing.price_by_unit(
        unit_price="100000", quantity=1, coefficient="1.2", coefficient_range=(D(1), D("1.3"))
    )
    assert result.amount == D("120000.00")
    assert result.explanation_zh == "单价 100,000.00 元 × 系数 1.2 × 数量 1 = 120,000.00 元"
    assert result.explain("en") == (
        "unit price 100,000.00 yuan × coefficient 1.2 × quantity 1 = 120,000.00 yuan"
    )


def test_unit_price_coefficient_outside_range_names_the_range():
    with pytest.raises(PricingError) as error:
        pricing.price_by_unit(
            unit_price="100000", quantity=1, coefficient="1.4", coefficient_range=(D(1), D("1.3"))
        )
    assert "1" in error.value.message
    assert "1.3" in error.value.message
    assert "1.4" in error.value.message


def test_om_staff_by_person_year():
    result = pricing.price_by_unit(unit_price="83900", quantity="2.5", unit="人年")
    assert result.amount == D("209750.00")
    assert "数量 2.5人年" in result.explanation_zh


def test_function_points_guangdong_business_processing():
    # 1000 FP × 1.0 × 1 × 6.51 h/FP ÷ 174 h/PM × 24,000 = 897,931.034... -> 897,931.03
    result = pricing.price_by_function_points(ufp=1000, **GUANGDONG_FP)
    assert result.amount == D("897931.03")
    assert "897,931.03" in result.explanation_zh
    assert "24,000.00" in result.explanation_en


def test_function_points_integration_with_medium_reuse_and_non_labour_cost():
    # 1000 × 1.2 × 2/3 = 800 FP; 800 × 6.51 ÷ 174 × 24,000 = 718,344.8275... + 50,000
    params = {**GUANGDONG_FP, "category_factor": "1.2", "reuse_factor": "2/3"}
    result = pricing.price_by_function_points(ufp=1000, direct_non_labour_cost="50000", **params)
    assert result.amount == D("768344.83")
    assert "直接非人力成本 50,000.00 元" in result.explanation_zh
    assert "= 800; fee = 800 × 6.51 ÷ 174 × 24,000.00" in result.explanation_en


def test_function_points_productivity_may_float_20_percent_only():
    params = {**GUANGDONG_FP, "productivity": "7.8"}
    within = pricing.price_by_function_points(ufp=100, productivity_baseline="6.51", **params)
    assert within.amount > 0
    params["productivity"] = "8"
    with pytest.raises(PricingError) as error:
        pricing.price_by_function_points(ufp=100, productivity_baseline="6.51", **params)
    assert "5.208" in error.value.message
    assert "7.812" in error.value.message


def test_workload_four_stages():
    result = pricing.price_by_workload(
        stages={"需求设计": "3.0", "编码": "6.0", "测试": "2.5", "部署": "1.0"},
        person_month_rate="24000",
    )
    assert result.amount == D("300000.00")
    assert result.explanation_zh.startswith("(需求设计 3 + 编码 6 + 测试 2.5 + 部署 1) = 12.5 人月")


def test_workload_needs_a_stage():
    with pytest.raises(PricingError):
        pricing.price_by_workload(stages={}, person_month_rate="24000")


def test_upgrade_at_recommended_15_percent():
    result = pricing.price_by_percentage(base="1000000", rate="0.15", rate_max="0.30")
    assert result.amount == D("150000.00")
    assert result.explanation_zh == "基数 1,000,000.00 元 × 比例 15% = 150,000.00 元"


def test_upgrade_above_30_percent_is_refused_with_the_range():
    with pytest.raises(PricingError) as error:
        pricing.price_by_percentage(base="1000000", rate="0.35", rate_max="0.30")
    assert "0%" in error.value.message
    assert "30%" in error.value.message


def test_hardware_om_5_percent_of_original_value():
    result = pricing.price_by_percentage(
        base="2000000", rate="0.05", rate_min="0.05", rate_max="0.08"
    )
    assert result.amount == D("100000.00")


def test_rental_of_custom_software_w_zero():
    result = pricing.price_amortised(one_off_cost="900000", recurring_costs="300000", years=3)
    assert result.amount == D("400000.00")
    assert "÷ 3 年 × (1 + W 0)" in result.explanation_zh


def test_hardware_as_a_service_six_years_plus_om():
    result = pricing.price_amortised(
        one_off_cost="600000", recurring_costs="36000", years=6, min_years=6, annual_om="30000"
    )
    assert result.amount == D("136000.00")
    assert "annual O&M 30,000.00 yuan" in result.explanation_en


def test_hardware_amortised_over_fewer_than_six_years_is_refused():
    with pytest.raises(PricingError) as error:
        pricing.price_amortised(one_off_cost="600000", years=5, min_years=6)
    assert "6" in error.value.message


def test_rounds_half_up_once():
    assert pricing.price_by_unit(unit_price="0.01", quantity="0.5").amount == D("0.01")
    assert pricing.price_amortised(one_off_cost="200", years=3).amount == D("66.67")


@pytest.mark.parametrize("value", [1.5, True, "abc", "1/0", None, "NaN"])
def test_floats_and_garbage_are_refused(value):
    with pytest.raises(PricingError):
        pricing.price_by_unit(unit_price=value, quantity=1)


def test_negative_quantity_is_refused():
    with pytest.raises(PricingError) as error:
        pricing.price_by_unit(unit_price="10", quantity="-1")
    assert "0" in error.value.message


def test_explain_picks_the_language():
    result = pricing.price_by_unit(unit_price="10", quantity="2")
    assert result.explain("zh-hans") == result.explanation_zh
    assert result.explain("en") == result.explanation_en


# --- Parameters -------------------------------------------------------------------


def test_valid_parameters_pass():
    parameters = {
        "category_factors": {"业务处理": "1.0", "人工智能": "1.5"},
        "reuse_factors": {"高": "1/3", "中": "2/3", "低": "1"},
        "productivity": "6.51",
        "productivity_float": "0.20",
        "hours_per_person_month": "174",
        "person_month_rate": "24000",
    }
    assert pricing.validate_parameters(Method.FUNCTION_POINTS, parameters) == parameters


@pytest.mark.parametrize(
    ("method", "parameters"),
    [
        ("nonsense", {}),
        (Method.UNIT_PRICE, []),
        (Method.UNIT_PRICE, {"rate": "1"}),
        (Method.WORKLOAD, {"person_month_rate": "24000"}),
        (Method.WORKLOAD, {"stages": [], "person_month_rate": "24000"}),
        (Method.FUNCTION_POINTS, {"category_factors": {}}),
        (Method.PERCENTAGE, {"rate_max": "1.5"}),
        (Method.PERCENTAGE, {"rate_max": "0.3", "rate_default": "0.4"}),
        (Method.AMORTISED, {"min_years": 6.0}),
    ],
)
def test_invalid_parameters_are_refused(method, parameters):
    with pytest.raises(PricingError):
        pricing.validate_parameters(method, parameters)


# --- Properties -------------------------------------------------------------------


@given(price=money_values, small=positive_quantities, extra=quantities, coefficient=factors)
def test_unit_price_rounds_never_negative_and_grows_with_quantity(price, small, extra, coefficient):
    low = amount_or_over_limit(
        pricing.price_by_unit, unit_price=price, quantity=small, coefficient=coefficient
    )
    high = amount_or_over_limit(
        pricing.price_by_unit, unit_price=price, quantity=small + extra, coefficient=coefficient
    )
    assert_grows(low, high)


@given(small=quantities, extra=quantities, reuse=st.sampled_from(["1/3", "2/3", "1"]))
def test_function_points_rounds_never_negative_and_grows_with_ufp(small, extra, reuse):
    params = {**GUANGDONG_FP, "reuse_factor": reuse}
    low = pricing.price_by_function_points(ufp=small, **params)
    high = pricing.price_by_function_points(ufp=small + extra, **params)
    assert_cents(low.amount)
    assert low.amount <= high.amount


@given(months=st.lists(quantities, min_size=1, max_size=4), extra=quantities, rate=money_values)
def test_workload_rounds_never_negative_and_grows_with_months(months, extra, rate):
    stages = {f"stage {i}": value for i, value in enumerate(months)}
    low = amount_or_over_limit(pricing.price_by_workload, stages=stages, person_month_rate=rate)
    stages["stage 0"] += extra
    high = amount_or_over_limit(pricing.price_by_workload, stages=stages, person_month_rate=rate)
    assert_grows(low, high)


@given(base=money_values, extra=money_values, rate=st.decimals(0, D("0.3"), places=4))
def test_percentage_rounds_never_negative_and_grows_with_base(base, extra, rate):
    low = pricing.price_by_percentage(base=base, rate=rate, rate_max="0.30")
    high = pricing.price_by_percentage(base=base + extra, rate=rate, rate_max="0.30")
    assert_cents(low.amount)
    assert low.amount <= high.amount


@given(
    cost=money_values,
    extra=money_values,
    years=st.integers(1, 20),
    w=st.decimals(-1, 1, places=2),
)
def test_amortised_rounds_never_negative_and_grows_with_cost(cost, extra, years, w):
    low = pricing.price_amortised(one_off_cost=cost, years=years, adjustment=w)
    high = pricing.price_amortised(one_off_cost=cost + extra, years=years, adjustment=w)
    assert_cents(low.amount)
    assert low.amount <= high.amount


# --- quote: from an item's parameters and grade to a price ---------------------------------

FP_PARAMETERS = {
    "category_factors": {"业务处理": "1.0", "应用集成和科学计算": "1.2"},
    "reuse_factors": {"高": "1/3", "中": "2/3", "低": "1"},
    "productivity": "6.51",
    "productivity_float": "0.20",
    "hours_per_person_month": "174",
    "person_month_rate": "24000",
}


def test_quote_function_points_by_category_and_reuse_names():
    result = pricing.quote(
        Method.FUNCTION_POINTS, FP_PARAMETERS, {"ufp": 1000, "category": "业务处理", "reuse": "低"}
    )
    assert result.amount == D("897931.03")


def test_quote_function_points_refuses_unknown_category_and_productivity_out_of_band():
    with pytest.raises(PricingError) as error:
        pricing.quote(
            Method.FUNCTION_POINTS, FP_PARAMETERS, {"ufp": 1, "category": "游戏", "reuse": "低"}
        )
    assert "业务处理" in error.value.message
    with pytest.raises(PricingError):
        pricing.quote(
            Method.FUNCTION_POINTS,
            FP_PARAMETERS,
            {"ufp": 1, "category": "业务处理", "reuse": "低", "productivity": "9"},
        )


def test_quote_unit_price_with_coefficient_range_from_the_grade():
    level_3 = pricing.GradeFigures(D("100000.00"), D("1.0"), D("1.0"), D("1.3"))
    result = pricing.quote(Method.UNIT_PRICE, {}, {"quantity": 1, "coefficient": "1.3"}, level_3)
    assert result.amount == D("130000.00")
    with pytest.raises(PricingError):
        pricing.quote(Method.UNIT_PRICE, {}, {"quantity": 1, "coefficient": "1.5"}, level_3)
    with pytest.raises(PricingError):
        pricing.quote(Method.UNIT_PRICE, {}, {"quantity": 1})


def test_quote_workload_checks_stage_names():
    parameters = {"stages": ["需求设计", "编码"], "person_month_rate": "24000"}
    result = pricing.quote(Method.WORKLOAD, parameters, {"stages": {"编码": "2.5"}})
    assert result.amount == D("60000.00")
    with pytest.raises(PricingError):
        pricing.quote(Method.WORKLOAD, parameters, {"stages": {"运维": "1"}})


def test_quote_percentage_uses_the_default_rate_when_unknown():
    parameters = {"rate_max": "0.30", "rate_default": "0.15"}
    assert pricing.quote(Method.PERCENTAGE, parameters, {"base": "1000000"}).amount == D(
        "150000.00"
    )
    with pytest.raises(PricingError):
        pricing.quote(Method.PERCENTAGE, {"rate_max": "0.30"}, {"base": "1000000"})


def test_a_missing_input_is_named_as_the_clerk_knows_it_not_by_its_key():
    with translation.override("en"):
        with pytest.raises(PricingError, match=r"^Give Rate\.$"):
            pricing.quote(Method.PERCENTAGE, {"rate_max": "0.30"}, {"base": "1000000"})
        parameters = {"stages": ["需求设计", "编码"], "person_month_rate": "24000"}
        with pytest.raises(PricingError, match="at least one stage"):
            pricing.quote(Method.WORKLOAD, parameters, {})


def test_quote_amortised_hardware_adds_om_as_a_share_of_original_value():
    parameters = {"min_years": "6", "default_years": "6", "om_rate": "0.05"}
    result = pricing.quote(
        Method.AMORTISED, parameters, {"one_off_cost": "600000", "recurring_costs": "36000"}
    )
    assert result.amount == D("136000.00")


# --- Out of range, allowed by the caller -----------------------------------------------

LEVEL_3 = pricing.GradeFigures(D("100000.00"), D("1.0"), D("1.0"), D("1.3"))
OUT_OF_RANGE = [
    # method, parameters, inputs, grade, amount with the value given, what the breach names
    (Method.UNIT_PRICE, {}, {"quantity": 1, "coefficient": "1.5"}, LEVEL_3, "150000.00", "1.3"),
    (
        Method.FUNCTION_POINTS,
        FP_PARAMETERS,
        {"ufp": 100, "category": "业务处理", "reuse": "低", "productivity": "9"},
        None,
        "124137.93",  # 100 × 9 ÷ 174 × 24,000
        "7.812",
    ),
    (Method.PERCENTAGE, {"rate_max": "0.30"}, {"base": "1000000", "rate": "0.4"}, None,
     "400000.00", "30%"),
    (Method.AMORTISED, {"min_years": "6"}, {"one_off_cost": "600000", "years": "3"}, None,
     "200000.00", "6"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "parameters", "inputs", "grade", "amount", "limit"), OUT_OF_RANGE
)
def test_an_input_outside_the_range_prices_with_the_value_given_when_allowed(
    method, parameters, inputs, grade, amount, limit
):
    with pytest.raises(PricingError):
        pricing.quote(method, parameters, inputs, grade)
    result = pricing.quote(method, parameters, inputs, grade, allow_out_of_range=True)
    assert result.amount == D(amount)
    assert len(result.out_of_range) == 1
    assert limit in result.out_of_range[0].message()
    assert "超出标准允许范围" in result.explanation_zh and limit in result.explanation_zh
    assert "outside the standard's allowed range" in result.explanation_en
    assert limit in result.explanation_en


def test_within_the_range_nothing_is_noted_and_nonsense_is_still_refused():
    result = pricing.quote(
        Method.PERCENTAGE,
        {"rate_max": "0.30"},
        {"base": "1000000", "rate": "0.3"},
        allow_out_of_range=True,
    )
    assert result.out_of_range == ()
    assert "超出" not in result.explanation_zh
    for inputs in ({"base": "1000000", "rate": "-0.1"}, {"base": "-1", "rate": "0.1"}):
        with pytest.raises(PricingError):
            pricing.quote(Method.PERCENTAGE, {"rate_max": "0.30"}, inputs, allow_out_of_range=True)
    with pytest.raises(PricingError):  # under a year is no annual fee at all
        pricing.quote(
            Method.AMORTISED,
            {"min_years": "6"},
            {"one_off_cost": "1", "years": "0.5"},
            allow_out_of_range=True,
        )
