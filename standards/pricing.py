"""The pricing engine: one pure function per pricing method.

Every number is data (a standard item's parameters and grades, an estimate
line's quantities); only the shape of each calculation is code. Each function
checks its inputs, computes in full ``Decimal`` precision, rounds the amount
half-up to 2 places exactly once, and explains the calculation with the
numbers filled in, in Chinese and in English. Nothing here touches the database.

An input outside the range the standard allows (a coefficient, a rate, a
productivity, an amortisation period) is refused, unless the caller passes a
list to collect it in (``breaches``; ``quote(..., allow_out_of_range=True)``):
then the amount is computed with the value given and the explanation says which
range it leaves. Inputs that make no sense at all (negative, not a number, a
quantity of nothing or a fraction of something counted whole, a coefficient
the grade does not have) are always refused.

Money has one limit, ``MAX_AMOUNT``: what the database's money columns hold
(14 digits, 2 places). ``check_amount`` is the one check of it; the engine calls
it on every amount it is given or computes, and the services on every total and
figure they write, so a line, a project's total, a cut or a control figure
beyond it is refused with the same words ("exceeds the amount limit"), never
left for the database (or ``Decimal``'s rounding) to fail on.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)
# Factors such as reuse 1/3 are shown to 4 places; the calculation keeps them exact enough.
FACTOR_PLACES = Decimal("0.0001")
# The largest amount any money column holds (DecimalField(max_digits=14, decimal_places=2)):
# a line, a project's total, a plan, a cut, a control figure, a grade's unit price.
MAX_AMOUNT = Decimal("999999999999.99")
# No input of a calculation is this large: at most three of them multiply, so every
# product stays far inside Decimal's exponent range, and no money is this large either.
MAX_INPUT = Decimal(10) ** 18
# Units of measure counted in whole numbers: no fraction of an assessment (次), a set
# (套), a device (台) or a person (人). Person-months, core-years, TB-years and the like
# may be fractional. The standards' own units (``models.Unit``) and the usual units of
# a line without a standard item, which the clerk types.
WHOLE_UNITS = frozenset(
    {"次", "项", "套", "台", "个", "人", "件", "份", "场", "家", "名", "位", "部", "块",
     "张", "条", "本", "篇", "期", "批", "座", "门", "间", "户"}
)  # fmt: skip


class Method(models.TextChoices):
    UNIT_PRICE = "unit_price", gettext_lazy("Unit price × quantity by grade")
    FUNCTION_POINTS = "function_points", gettext_lazy("Function points (GB/T 36964)")
    WORKLOAD = "workload", gettext_lazy("Workload: person-months per stage × rate")
    PERCENTAGE = "percentage", gettext_lazy("Percentage of a base amount, capped")
    AMORTISED = "amortised", gettext_lazy("Amortised annual fee")


class PricingError(ValueError):
    """An input the standard does not allow; the message (translated) names the allowed range.

    ``field`` names the input the refusal is about where the engine knows it (the key of
    ``quote``'s inputs, e.g. ``"quantity"``), so a form or a spreadsheet can show it there.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class RangeBreach:
    """An input outside the range the standard allows (either end may be open)."""

    name: Any  # a lazy translation where the breach may be kept, so both languages can tell it
    value: Decimal
    minimum: Decimal | None
    maximum: Decimal | None
    percent: bool = False

    def message(self) -> str:
        """What the standard allows and what was given, in the active language."""
        show = _percent if self.percent else fmt
        if self.percent:
            if self.maximum is None:
                message = _("The rate must be at least %(min)s; got %(value)s.")
            else:
                message = _("The rate must be between %(min)s and %(max)s; got %(value)s.")
        elif self.maximum is None:
            message = _("%(name)s must be at least %(min)s; got %(value)s.")
        elif self.minimum is None:
            message = _("%(name)s must be at most %(max)s; got %(value)s.")
        else:
            message = _("%(name)s must be between %(min)s and %(max)s; got %(value)s.")
        return message % {
            "name": self.name,
            "min": show(self.minimum) if self.minimum is not None else "",
            "max": show(self.maximum) if self.maximum is not None else "",
            "value": show(self.value),
        }


@dataclass(frozen=True)
class PriceResult:
    """An amount in yuan (2 places) and how it was reached, in both working languages;
    with the inputs outside the standard's ranges when the caller allowed them."""

    amount: Decimal
    explanation_zh: str
    explanation_en: str
    out_of_range: tuple[RangeBreach, ...] = ()

    def explain(self, language: str) -> str:
        """The explanation in ``language`` (a Django language code); Chinese unless English."""
        return self.explanation_en if language.startswith("en") else self.explanation_zh


# What a computed amount beyond the limit is called in the refusal.
LINE_AMOUNT = gettext_lazy("the line's amount")


# --- Numbers -----------------------------------------------------------------------


def to_decimal(value: Any, name: Any) -> Decimal:
    """A Decimal from an int, a Decimal or a string such as "24000", "0.15" or "1/3".

    Floats are refused: money and factors must never pass through binary floating point.
    """
    if isinstance(value, bool | float):
        raise PricingError(
            _("%(name)s must be a decimal number, not %(value)r.") % _args(name, value)
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str) and "/" in value:
        try:
            fraction = Fraction(value.strip())
        except (ValueError, ZeroDivisionError) as error:
            raise PricingError(
                _("%(name)s is not a number: %(value)s.") % _args(name, value)
            ) from error
        result = Decimal(fraction.numerator) / Decimal(fraction.denominator)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", ""))
        except InvalidOperation as error:
            raise PricingError(
                _("%(name)s is not a number: %(value)s.") % _args(name, value)
            ) from error
    else:
        raise PricingError(_("%(name)s is not a number: %(value)s.") % _args(name, value))
    if not result.is_finite():
        raise PricingError(_("%(name)s is not a number: %(value)s.") % _args(name, value))
    if abs(result) >= MAX_INPUT:
        raise PricingError(
            _("%(name)s is too large: %(value)s.") % {"name": name, "value": _shown(result)}
        )
    return result


def round_money(value: Decimal) -> Decimal:
    """Yuan to 2 places, half-up: the one rounding each line gets."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def check_amount(value: Decimal, name: Any, field: str | None = None) -> Decimal:
    """``value`` if a money column can hold it (at most ``MAX_AMOUNT`` either way), else
    PricingError "exceeds the amount limit" naming ``name`` (and the input ``field``).

    The one check of the limit: the engine, the services (lines, totals, plans, cuts,
    control figures) and the spreadsheet readers call it. Compares only, so it never
    fails on a value too large to round, or on an infinity; NaN is "not a number".
    """
    if value.is_nan():
        raise PricingError(
            _("%(name)s is not a number: %(value)s.") % _args(name, value), field=field
        )
    if value.is_infinite() or abs(value) > MAX_AMOUNT:
        raise PricingError(
            _("Exceeds the amount limit: %(name)s is %(value)s yuan, at most %(max)s yuan.")
            % {"name": name, "value": _shown(value), "max": f"{MAX_AMOUNT:,.2f}"},
            field=field,
        )
    return value


def to_amount(value: Decimal, name: Any, field: str | None = None) -> Decimal:
    """A computed amount rounded half-up to cents, once; PricingError (``check_amount``)
    beyond the limit. Checked before rounding too, which larger values would break."""
    if value.is_finite() and abs(value) <= MAX_AMOUNT + CENT:
        value = round_money(value)
    return check_amount(value, name, field)


def check_quantity(value: Decimal, name: Any, unit: str = "", field: str | None = None) -> Decimal:
    """``value`` if it is a quantity of something: more than zero, and whole when ``unit``
    is counted in whole numbers (``WHOLE_UNITS``); else PricingError."""
    if value <= 0:
        raise PricingError(
            _("%(name)s must be more than 0; got %(value)s.") % {"name": name, "value": fmt(value)},
            field=field,
        )
    if unit.strip() in WHOLE_UNITS and value != value.to_integral_value():
        raise PricingError(
            _("%(name)s must be a whole number: %(unit)s is counted whole; got %(value)s.")
            % {"name": name, "unit": unit.strip(), "value": fmt(value)},
            field=field,
        )
    return value


def check_range(
    value: Decimal, name: Any, minimum: Decimal | None = None, maximum: Decimal | None = None
) -> Decimal:
    """``value`` if within [minimum, maximum] (either end may be open), else PricingError."""
    return within_standard(value, name, minimum, maximum, None)


def within_standard(
    value: Decimal,
    name: Any,
    minimum: Decimal | None,
    maximum: Decimal | None,
    breaches: list[RangeBreach] | None,
    *,
    percent: bool = False,
) -> Decimal:
    """``value``; outside [minimum, maximum] a PricingError, or, when the caller collects
    ``breaches``, the breach noted there and the value kept."""
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        breach = RangeBreach(name, value, minimum, maximum, percent)
        if breaches is None:
            raise PricingError(breach.message())
        breaches.append(breach)
    return value


def non_negative(value: Any, name: str) -> Decimal:
    return check_range(to_decimal(value, name), name, minimum=ZERO)


def money(value: Decimal) -> str:
    """12345.6 -> "12,345.60"."""
    return f"{round_money(value):,.2f}"


def fmt(value: Decimal) -> str:
    """A factor or quantity without trailing zeros, to 4 places at most: 1.20 -> "1.2"."""
    rounded = value.quantize(FACTOR_PLACES, rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _args(name: Any, value: Any) -> dict[str, Any]:
    return {"name": name, "value": value}


# Amounts up to here are shown digit by digit in a refusal; larger ones as 1.000E+30.
SHOWN_IN_FULL = Decimal(10) ** 30


def _shown(value: Decimal) -> str:
    """An amount as a message shows it: 1,000,000,000,000.00; past any sensible
    amount in scientific notation (an input of a million digits is no message)."""
    if value.is_infinite():
        return "∞" if value > 0 else "-∞"
    if abs(value) < SHOWN_IN_FULL:
        # As typed past the fen (999,999,999,999.995, not rounded up to the limit's
        # next yuan), to six places at most.
        exponent = value.normalize().as_tuple().exponent
        places = min(max(2, -exponent if isinstance(exponent, int) else 2), 6)
        return f"{value:,.{places}f}"
    return f"{value:.3E}"


def _percent(rate: Decimal) -> str:
    return f"{fmt(rate * 100)}%"


# --- The five methods ------------------------------------------------------------


def price_by_unit(
    *,
    unit_price: Any,
    quantity: Any,
    coefficient: Any = ONE,
    coefficient_range: tuple[Decimal | None, Decimal | None] | None = None,
    unit: str = "",
    breaches: list[RangeBreach] | None = None,
) -> PriceResult:
    """Unit price × grade coefficient × quantity (e.g. 等保 level 3: 100,000 × 1.2 × 1).

    The quantity is more than 0, and whole for a unit counted whole (``WHOLE_UNITS``).
    """
    price = check_amount(non_negative(unit_price, _("Unit price")), _("Unit price"), "unit_price")
    quantity_name = INPUT_LABELS["quantity"]
    amount_of = check_quantity(
        to_decimal(quantity, quantity_name), quantity_name, unit, field="quantity"
    )
    factor = non_negative(coefficient, _("Coefficient"))
    if coefficient_range is not None:
        within_standard(factor, gettext_lazy("Coefficient"), *coefficient_range, breaches)
    amount = to_amount(price * factor * amount_of, LINE_AMOUNT, "quantity")
    coefficient_zh = f" × 系数 {fmt(factor)}" if factor != ONE else ""
    coefficient_en = f" × coefficient {fmt(factor)}" if factor != ONE else ""
    return PriceResult(
        amount,
        f"单价 {money(price)} 元{coefficient_zh} × 数量 {fmt(amount_of)}{unit}"
        f" = {money(amount)} 元",
        f"unit price {money(price)} yuan{coefficient_en} × quantity {fmt(amount_of)}"
        f"{' ' + unit if unit else ''} = {money(amount)} yuan",
    )


def price_by_function_points(
    *,
    ufp: Any,
    category_factor: Any,
    reuse_factor: Any,
    productivity: Any,
    hours_per_person_month: Any,
    person_month_rate: Any,
    direct_non_labour_cost: Any = ZERO,
    productivity_baseline: Any = None,
    productivity_float: Any = Decimal("0.20"),
    breaches: list[RangeBreach] | None = None,
) -> PriceResult:
    """Custom software development after GB/T 36964 (Guangdong 5.1.1).

    fee = UFP × category factor × reuse factor × productivity (hours/FP)
          ÷ hours per person-month × person-month rate + direct non-labour cost.
    With a baseline, productivity may float by ``productivity_float`` (±20%) around it.
    """
    points = non_negative(ufp, _("Unadjusted function points"))
    category = check_range(
        to_decimal(category_factor, _("Category factor")), _("Category factor"), Decimal("0.01")
    )
    reuse = check_range(
        to_decimal(reuse_factor, _("Reuse factor")), _("Reuse factor"), Decimal("0.01"), ONE
    )
    hours_per_point = check_range(
        to_decimal(productivity, _("Productivity")), _("Productivity"), Decimal("0.01")
    )
    if productivity_baseline is not None:
        baseline = to_decimal(productivity_baseline, _("Productivity"))
        spread = non_negative(productivity_float, _("Productivity float"))
        within_standard(
            hours_per_point,
            gettext_lazy("Productivity"),
            baseline * (ONE - spread),
            baseline * (ONE + spread),
            breaches,
        )
    hours = check_range(
        to_decimal(hours_per_person_month, _("Hours per person-month")),
        _("Hours per person-month"),
        ONE,
    )
    rate = check_amount(
        non_negative(person_month_rate, _("Person-month rate")), _("Person-month rate")
    )
    other = check_amount(
        non_negative(direct_non_labour_cost, _("Direct non-labour cost")),
        _("Direct non-labour cost"),
        "direct_non_labour_cost",
    )
    adjusted_points = points * category * reuse
    labour = adjusted_points * hours_per_point / hours * rate
    amount = to_amount(labour + other, LINE_AMOUNT, "ufp")
    numbers = f"{fmt(adjusted_points)} × {fmt(hours_per_point)} ÷ {fmt(hours)} × {money(rate)}"
    other_zh = f" + 直接非人力成本 {money(other)} 元" if other else ""
    other_en = f" + direct non-labour cost {money(other)} yuan" if other else ""
    return PriceResult(
        amount,
        f"功能点数 = 未调整功能点 {fmt(points)} × 类别调整因子 {fmt(category)} × 复用系数 "
        f"{fmt(reuse)} = {fmt(adjusted_points)}；开发费 = {numbers}{other_zh} "
        f"(生产率 人时/功能点，人月折算 人时/人月，人月费率 元/人月) = {money(amount)} 元",
        f"function points = UFP {fmt(points)} × category factor {fmt(category)} × reuse factor "
        f"{fmt(reuse)} = {fmt(adjusted_points)}; fee = {numbers}{other_en} "
        f"(productivity hours/FP, hours per person-month, rate yuan/person-month) "
        f"= {money(amount)} yuan",
    )


def price_by_workload(
    *,
    stages: Mapping[str, Any],
    person_month_rate: Any,
    reuse_factor: Any = ONE,
) -> PriceResult:
    """Workload method (Guangdong 5.1.2): Σ person-months per stage × rate × reuse factor."""
    if not stages:
        raise PricingError(_("Give the person-months of at least one stage."))
    months = {stage: non_negative(value, stage) for stage, value in stages.items()}
    rate = check_amount(
        non_negative(person_month_rate, _("Person-month rate")), _("Person-month rate")
    )
    reuse = check_range(to_decimal(reuse_factor, _("Reuse factor")), _("Reuse factor"), ZERO, ONE)
    total_months = sum(months.values(), ZERO)
    amount = to_amount(total_months * rate * reuse, LINE_AMOUNT, "stages")
    parts = " + ".join(f"{stage} {fmt(value)}" for stage, value in months.items())
    reuse_zh = f" × 复用度调整系数 {fmt(reuse)}" if reuse != ONE else ""
    reuse_en = f" × reuse factor {fmt(reuse)}" if reuse != ONE else ""
    return PriceResult(
        amount,
        f"({parts}) = {fmt(total_months)} 人月 × {money(rate)} 元/人月{reuse_zh}"
        f" = {money(amount)} 元",
        f"({parts}) = {fmt(total_months)} person-months × {money(rate)} yuan/person-month"
        f"{reuse_en} = {money(amount)} yuan",
    )


def price_by_percentage(
    *,
    base: Any,
    rate: Any,
    rate_min: Any = ZERO,
    rate_max: Any = None,
    breaches: list[RangeBreach] | None = None,
) -> PriceResult:
    """A percentage of a base amount, the rate capped by the standard.

    Upgrade of custom software: development fee × change rate (≤ 30%); hardware
    O&M: original value × 5–8%.
    """
    base_amount = check_amount(non_negative(base, _("Base amount")), _("Base amount"), "base")
    low = non_negative(rate_min, _("Rate"))
    high = None if rate_max is None else non_negative(rate_max, _("Rate"))
    # A negative rate makes no sense whatever the standard says.
    share = non_negative(rate, _("Rate"))
    within_standard(share, gettext_lazy("Rate"), low, high, breaches, percent=True)
    amount = to_amount(base_amount * share, LINE_AMOUNT, "base")
    return PriceResult(
        amount,
        f"基数 {money(base_amount)} 元 × 比例 {_percent(share)} = {money(amount)} 元",
        f"base {money(base_amount)} yuan × rate {_percent(share)} = {money(amount)} yuan",
    )


def price_amortised(
    *,
    one_off_cost: Any,
    recurring_costs: Any = ZERO,
    years: Any,
    min_years: Any = ONE,
    adjustment: Any = ZERO,
    annual_om: Any = ZERO,
    breaches: list[RangeBreach] | None = None,
) -> PriceResult:
    """An amortised annual fee.

    fee = (one-off cost + Σ O&M or capital cost) ÷ years × (1 + W) + annual O&M.

    Rental of custom software (W = 0 at budget time) and hardware as a service
    (years ≥ 6 for computers, plus annual O&M as a % of original value).
    """
    one_off = check_amount(
        non_negative(one_off_cost, _("One-off cost")), _("One-off cost"), "one_off_cost"
    )
    recurring = check_amount(
        non_negative(recurring_costs, _("Recurring costs")), _("Recurring costs"), "recurring_costs"
    )
    shortest = check_range(
        to_decimal(min_years, _("Amortisation years")), _("Amortisation years"), ONE
    )
    # Under a year is no annual fee at all; under the standard's shortest period is a breach.
    period = check_range(to_decimal(years, _("Amortisation years")), _("Amortisation years"), ONE)
    within_standard(period, gettext_lazy("Amortisation years"), shortest, None, breaches)
    w = check_range(to_decimal(adjustment, _("Adjustment W")), _("Adjustment W"), -ONE, ONE)
    om = check_amount(non_negative(annual_om, _("Annual O&M")), _("Annual O&M"), "annual_om")
    amount = to_amount((one_off + recurring) / period * (ONE + w) + om, LINE_AMOUNT, "one_off_cost")
    om_zh = f" + 年运维费 {money(om)} 元" if om else ""
    om_en = f" + annual O&M {money(om)} yuan" if om else ""
    return PriceResult(
        amount,
        f"({money(one_off)} + {money(recurring)}) 元 ÷ {fmt(period)} 年 × (1 + W {fmt(w)})"
        f"{om_zh} = {money(amount)} 元/年",
        f"({money(one_off)} + {money(recurring)}) yuan ÷ {fmt(period)} years × (1 + W {fmt(w)})"
        f"{om_en} = {money(amount)} yuan/year",
    )


# --- Parameters an item stores for its method ------------------------------------

NUMBER, MAPPING, NAMES = "number", "mapping", "names"
# name -> (kind, required). Everything else a line supplies (quantity, UFP, base, ...).
PARAMETERS: dict[str, dict[str, tuple[str, bool]]] = {
    Method.UNIT_PRICE: {},
    Method.FUNCTION_POINTS: {
        "category_factors": (MAPPING, True),
        "reuse_factors": (MAPPING, True),
        "productivity": (NUMBER, True),
        "productivity_float": (NUMBER, False),
        "hours_per_person_month": (NUMBER, True),
        "person_month_rate": (NUMBER, True),
    },
    Method.WORKLOAD: {"stages": (NAMES, True), "person_month_rate": (NUMBER, True)},
    Method.PERCENTAGE: {
        "rate_min": (NUMBER, False),
        "rate_max": (NUMBER, True),
        "rate_default": (NUMBER, False),
    },
    Method.AMORTISED: {
        "min_years": (NUMBER, True),
        "default_years": (NUMBER, False),
        "adjustment": (NUMBER, False),
        "om_rate": (NUMBER, False),
    },
}


FORMULAS: dict[str, Any] = {
    Method.UNIT_PRICE: gettext_lazy("amount = unit price of the grade × coefficient × quantity"),
    Method.FUNCTION_POINTS: gettext_lazy(
        "amount = UFP × category factor × reuse factor × productivity (hours per function point)"
        " ÷ hours per person-month × person-month rate + direct non-labour cost"
    ),
    Method.WORKLOAD: gettext_lazy(
        "amount = Σ person-months of each stage × person-month rate × reuse factor"
    ),
    Method.PERCENTAGE: gettext_lazy("amount = base amount × rate, the rate within the range"),
    Method.AMORTISED: gettext_lazy(
        "annual amount = (one-off cost + Σ O&M or capital cost) ÷ amortisation years × (1 + W)"
        " + annual O&M"
    ),
}

PARAMETER_LABELS = {
    "category_factors": gettext_lazy("Category factors"),
    "reuse_factors": gettext_lazy("Reuse factors"),
    "productivity": gettext_lazy("Productivity (hours per function point)"),
    "productivity_float": gettext_lazy("Allowed productivity float"),
    "hours_per_person_month": gettext_lazy("Hours per person-month"),
    "person_month_rate": gettext_lazy("Person-month rate (yuan)"),
    "stages": gettext_lazy("Stages"),
    "rate_min": gettext_lazy("Lowest rate"),
    "rate_max": gettext_lazy("Highest rate"),
    "rate_default": gettext_lazy("Rate when unknown"),
    "min_years": gettext_lazy("Shortest amortisation (years)"),
    "default_years": gettext_lazy("Usual amortisation (years)"),
    "adjustment": gettext_lazy("Adjustment W"),
    "om_rate": gettext_lazy("Annual O&M rate"),
}


def validate_parameters(method: str, parameters: Any) -> dict[str, Any]:
    """Check an item's JSON parameters against its method; return them, or raise PricingError.

    Numbers are stored as strings ("24000", "1/3") so JSON never turns them into floats.
    """
    if method not in PARAMETERS:
        raise PricingError(_("Unknown pricing method: %(method)s.") % {"method": method})
    if not isinstance(parameters, dict):
        raise PricingError(_("Parameters must be a JSON object."))
    spec = PARAMETERS[method]
    unknown = sorted(set(parameters) - set(spec))
    if unknown:
        raise PricingError(
            _("Unknown parameters for this method: %(names)s. Allowed: %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(spec) or "—"}
        )
    for name, (kind, required) in spec.items():
        if name in parameters:
            _check_parameter(name, kind, parameters[name])
        elif required:
            raise PricingError(_("The parameter %(name)s is required.") % {"name": name})
    if method == Method.PERCENTAGE:
        low = to_decimal(parameters.get("rate_min", "0"), "rate_min")
        high = to_decimal(parameters["rate_max"], "rate_max")
        check_range(high, "rate_max", low, ONE)
        if "rate_default" in parameters:
            check_range(
                to_decimal(parameters["rate_default"], "rate_default"), "rate_default", low, high
            )
    return parameters


# Parameters in yuan: within the amount limit like every amount.
MONEY_PARAMETERS = frozenset({"person_month_rate"})


def _check_parameter(name: str, kind: str, value: Any) -> None:
    if kind == NUMBER:
        number = non_negative(value, name)
        if name in MONEY_PARAMETERS:
            check_amount(number, name)
    elif kind == MAPPING:
        if not isinstance(value, dict) or not value:
            raise PricingError(
                _("The parameter %(name)s must map names to numbers.") % {"name": name}
            )
        for key, factor in value.items():
            non_negative(factor, f"{name}.{key}")
    elif not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        raise PricingError(_("The parameter %(name)s must list names.") % {"name": name})


# --- From an item's data to a price ---------------------------------------------------


@dataclass(frozen=True)
class GradeFigures:
    """The figures of one grade, as plain values (no model), for ``quote``."""

    unit_price: Decimal | None = None
    coefficient: Decimal | None = None
    range_min: Decimal | None = None
    range_max: Decimal | None = None


def quote(
    method: str,
    parameters: Mapping[str, Any],
    inputs: Mapping[str, Any],
    grade: GradeFigures | None = None,
    *,
    allow_out_of_range: bool = False,
    unit: str = "",
) -> PriceResult:
    """Price one line: the item's method and parameters (and grade), the line's inputs,
    the item's ``unit`` of measure (a quantity of a unit counted whole must be whole).

    Inputs by method: unit_price ``quantity`` [``coefficient``] (needs a grade);
    function_points ``ufp``, ``category``, ``reuse`` [``productivity``,
    ``direct_non_labour_cost``]; workload ``stages`` [``reuse_factor``];
    percentage ``base`` [``rate``]; amortised ``one_off_cost`` [``recurring_costs``,
    ``years``, ``annual_om``]. A missing default or an unknown choice is a PricingError.
    An input outside the standard's range is one too, unless ``allow_out_of_range``:
    then it prices with the value given, and the result lists it in ``out_of_range``
    and says so in its explanation. A coefficient given for a grade without one is
    refused; one given for a grade with a coefficient but no range must be the grade's
    (else it is outside the standard's range, as above).
    """
    validate_parameters(method, dict(parameters))
    breaches: list[RangeBreach] | None = [] if allow_out_of_range else None
    result = _quote(method, parameters, inputs, grade, breaches, unit=unit)
    return _noted(result, breaches) if breaches else result


def _noted(result: PriceResult, breaches: list[RangeBreach]) -> PriceResult:
    with translation.override("zh-hans"):
        zh = "".join(breach.message() for breach in breaches)
    with translation.override("en"):
        en = " ".join(breach.message() for breach in breaches)
    return replace(
        result,
        explanation_zh=f"{result.explanation_zh}（超出标准允许范围：{zh}）",
        explanation_en=f"{result.explanation_en} (outside the standard's allowed range: {en})",
        out_of_range=tuple(breaches),
    )


def _quote(
    method: str,
    parameters: Mapping[str, Any],
    inputs: Mapping[str, Any],
    grade: GradeFigures | None,
    breaches: list[RangeBreach] | None,
    *,
    unit: str,
) -> PriceResult:
    if method == Method.UNIT_PRICE:
        return _quote_unit_price(inputs, grade, breaches, unit)
    if method == Method.FUNCTION_POINTS:
        return price_by_function_points(
            ufp=_required(inputs, "ufp"),
            category_factor=_choice(parameters["category_factors"], inputs.get("category")),
            reuse_factor=_choice(parameters["reuse_factors"], inputs.get("reuse")),
            productivity=inputs.get("productivity", parameters["productivity"]),
            productivity_baseline=parameters["productivity"],
            productivity_float=parameters.get("productivity_float", "0.20"),
            hours_per_person_month=parameters["hours_per_person_month"],
            person_month_rate=parameters["person_month_rate"],
            direct_non_labour_cost=inputs.get("direct_non_labour_cost", ZERO),
            breaches=breaches,
        )
    if method == Method.WORKLOAD:
        # No stage given is price_by_workload's to refuse, in words (not the input's name).
        stages = inputs.get("stages") or {}
        unknown = set(stages) - set(parameters["stages"])
        if unknown:
            raise PricingError(
                _("Unknown stage %(stage)s; the standard has %(stages)s.")
                % {"stage": ", ".join(sorted(unknown)), "stages": "、".join(parameters["stages"])}
            )
        return price_by_workload(
            stages=stages,
            person_month_rate=parameters["person_month_rate"],
            reuse_factor=inputs.get("reuse_factor", ONE),
        )
    if method == Method.PERCENTAGE:
        rate = inputs.get("rate", parameters.get("rate_default"))
        return price_by_percentage(
            base=_required(inputs, "base"),
            rate=_required({"rate": rate} if rate is not None else {}, "rate"),
            rate_min=parameters.get("rate_min", ZERO),
            rate_max=parameters["rate_max"],
            breaches=breaches,
        )
    return _quote_amortised(parameters, inputs, breaches)


def _quote_unit_price(
    inputs: Mapping[str, Any],
    grade: GradeFigures | None,
    breaches: list[RangeBreach] | None,
    unit: str,
) -> PriceResult:
    if grade is None or grade.unit_price is None:
        raise PricingError(_("Choose a grade with a unit price."))
    bounds = (grade.range_min, grade.range_max)
    if grade.coefficient is None:
        if inputs.get("coefficient") is not None:
            # Pricing without it would silently drop what the clerk asked for.
            raise PricingError(
                _("This grade has no coefficient: leave the coefficient empty."),
                field="coefficient",
            )
        # A range on a grade without coefficient bounds the unit price itself.
        within_standard(grade.unit_price, gettext_lazy("Unit price"), *bounds, breaches)
        return price_by_unit(
            unit_price=grade.unit_price, quantity=_required(inputs, "quantity"), unit=unit
        )
    if bounds == (None, None):
        # No range given: the standard allows the grade's own coefficient, and no other.
        bounds = (grade.coefficient, grade.coefficient)
    return price_by_unit(
        unit_price=grade.unit_price,
        quantity=_required(inputs, "quantity"),
        coefficient=inputs.get("coefficient", grade.coefficient),
        coefficient_range=bounds,
        unit=unit,
        breaches=breaches,
    )


def _quote_amortised(
    parameters: Mapping[str, Any], inputs: Mapping[str, Any], breaches: list[RangeBreach] | None
) -> PriceResult:
    one_off = _required(inputs, "one_off_cost")
    annual_om = inputs.get("annual_om")
    if annual_om is None and "om_rate" in parameters:
        annual_om = to_decimal(one_off, _("One-off cost")) * to_decimal(
            parameters["om_rate"], "om_rate"
        )
    years = inputs.get("years", parameters.get("default_years"))
    return price_amortised(
        one_off_cost=one_off,
        recurring_costs=inputs.get("recurring_costs", ZERO),
        years=_required({"years": years} if years is not None else {}, "years"),
        min_years=parameters["min_years"],
        adjustment=parameters.get("adjustment", ZERO),
        annual_om=annual_om if annual_om is not None else ZERO,
        breaches=breaches,
    )


# What a missing input is called in the refusal: the clerk's label, never the input's key.
INPUT_LABELS = {
    "quantity": gettext_lazy("Quantity used"),
    "ufp": gettext_lazy("Unadjusted function points (UFP)"),
    "base": gettext_lazy("Base amount (yuan)"),
    "rate": gettext_lazy("Rate"),
    "one_off_cost": gettext_lazy("One-off cost (yuan)"),
    "years": gettext_lazy("Amortisation years"),
}


def _required(inputs: Mapping[str, Any], name: str) -> Any:
    if inputs.get(name) is None:
        raise PricingError(_("Give %(name)s.") % {"name": INPUT_LABELS.get(name, name)}, field=name)
    return inputs[name]


def _choice(factors: Mapping[str, Any], key: Any) -> Any:
    if key not in factors:
        raise PricingError(
            _("Choose one of %(choices)s.") % {"choices": "、".join(str(k) for k in factors)}
        )
    return factors[key]
