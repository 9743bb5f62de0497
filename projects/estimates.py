"""Pricing a line from the standards: which inputs each method needs, the standard in
force for a project's year, and the quote with its flags."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Organization
from projects.models import EstimateLine, Project
from standards import catalogue, pricing
from standards.models import Grade, ServiceItem, StandardSet

FEE_CLASSES = [
    "软件开发服务费",
    "运行维护服务费",
    "系统业务运营服务费",
    "基础设施服务费",
    "其他服务费",
]


@dataclass(frozen=True)
class InputSpec:
    """One input a pricing method asks of the clerk."""

    name: str
    label: Any
    required: bool = True
    choices: tuple[str, ...] = ()  # for a choice among the item's factors


def input_specs(item: ServiceItem) -> list[InputSpec]:
    """The inputs the item's pricing method needs, in the order a clerk fills them."""
    method, parameters = item.pricing_method, item.parameters
    if method == pricing.Method.UNIT_PRICE:
        return [
            InputSpec("quantity", gettext_lazy("Quantity used")),
            InputSpec("coefficient", gettext_lazy("Coefficient (if the grade has one)"), False),
            InputSpec(
                "unit_price_override",
                gettext_lazy("Own unit price, if above the standard (yuan)"),
                False,
            ),
        ]
    if method == pricing.Method.FUNCTION_POINTS:
        return [
            InputSpec("ufp", gettext_lazy("Unadjusted function points (UFP)")),
            InputSpec(
                "category",
                gettext_lazy("Application category"),
                choices=tuple(parameters.get("category_factors", {})),
            ),
            InputSpec(
                "reuse",
                gettext_lazy("Reuse level"),
                choices=tuple(parameters.get("reuse_factors", {})),
            ),
            InputSpec(
                "productivity", gettext_lazy("Productivity (hours per function point)"), False
            ),
            InputSpec(
                "direct_non_labour_cost", gettext_lazy("Direct non-labour cost (yuan)"), False
            ),
        ]
    if method == pricing.Method.WORKLOAD:
        return [InputSpec(f"stage:{stage}", stage, False) for stage in parameters.get("stages", [])]
    if method == pricing.Method.PERCENTAGE:
        return [
            InputSpec("base", gettext_lazy("Base amount (yuan)")),
            InputSpec("rate", gettext_lazy("Rate (e.g. 0.15)"), False),
        ]
    return [
        InputSpec("one_off_cost", gettext_lazy("One-off cost (yuan)")),
        InputSpec("recurring_costs", gettext_lazy("Recurring costs (yuan)"), False),
        InputSpec("years", gettext_lazy("Amortisation years"), False),
        InputSpec("annual_om", gettext_lazy("Annual O&M (yuan)"), False),
    ]


def pricing_date(project: Project) -> datetime.date:
    """The day a project is priced at: 1 January of its budget year, or, for a project in
    the reserve (no year yet), today."""
    if project.budget_year is None:
        return timezone.localdate()
    return datetime.date(project.budget_year, 1, 1)


def standard_for_year(year: int, unit: Organization | None = None) -> StandardSet | None:
    """The standard in force on 1 January of ``year`` for ``unit``'s jurisdiction (its
    own, its city's or the province's); without a unit, the province's."""
    jurisdiction = unit.jurisdiction if unit is not None else None
    return catalogue.set_in_force_for(jurisdiction, datetime.date(year, 1, 1))


def standard_for(project: Project) -> StandardSet | None:
    """The standard that prices the project: the one in force for its unit's jurisdiction
    (falling back to the city's, then the province's) on 1 January of its budget year, or,
    for a reserve project, today."""
    return catalogue.set_in_force_for(project.organization.jurisdiction, pricing_date(project))


def items_for(project: Project, standard: StandardSet) -> list[ServiceItem]:
    """The standard's items that may price this kind of project."""
    return [
        item
        for item in catalogue.effective_items(standard)
        if not item.project_kinds or project.kind in item.project_kinds
    ]


def attribute_to(line: EstimateLine, standard: StandardSet | None) -> EstimateLine:
    """Record on a line priced by a standard item the set that priced it: ``standard`` (the
    set in force for the project, a city's say) when the item is among its effective items'
    levels, else the item's own set. Returns the line."""
    if line.item is None:
        return line
    levels = catalogue.lineage(standard) if standard is not None else []
    if standard is not None and line.item.standard_set_id in {s.pk for s in levels}:
        line.standard_set = standard
    else:
        line.standard_set_id = line.item.standard_set_id
    return line


def top_fee_class(item: ServiceItem) -> str:
    category = item.category
    return category.parent.name if category.parent_id and category.parent else category.name


@dataclass(frozen=True)
class Quote:
    result: pricing.PriceResult
    inputs: dict[str, str]
    grade: Grade | None
    above_standard: bool

    @property
    def out_of_range(self) -> bool:
        return bool(self.result.out_of_range)

    @property
    def needs_justification(self) -> bool:
        """A price above the standard or an input outside its range is flagged for reviewers."""
        return self.above_standard or self.out_of_range


def quote_item(item: ServiceItem, grade: Grade | None, values: dict[str, Any]) -> Quote:
    """Price the line. An input outside the standard's range is priced with the value
    given and listed in ``result.out_of_range``; a ``pricing.PricingError`` is raised for
    inputs that cannot price at all (missing, negative, an unknown choice, a quantity of
    nothing or a fraction of a unit counted whole, an amount beyond the limit), its
    ``field`` the form's input where the engine can tell."""
    inputs: dict[str, Any] = {}
    stages: dict[str, Any] = {}
    for name, value in values.items():
        if value in (None, ""):
            continue
        if name.startswith("stage:"):
            stages[name.removeprefix("stage:")] = value
        else:
            inputs[name] = value
    if stages:
        inputs["stages"] = stages
    override = inputs.pop("unit_price_override", None)
    frozen = _as_text(inputs)
    figures = _figures(grade)
    above = False
    if override is not None and grade is not None and grade.unit_price is not None:
        name = gettext("Own unit price")
        override = pricing.check_amount(
            pricing.non_negative(override, name), name, "unit_price_override"
        )
        # Kept with the inputs, so re-pricing with a later standard keeps the clerk's price.
        frozen["unit_price_override"] = str(override)
        above = override > grade.unit_price
        # The clerk's own price replaces the grade's; the range check still applies to it.
        figures = pricing.GradeFigures(
            unit_price=override,
            coefficient=grade.coefficient,
            range_min=None if above else grade.range_min,
            range_max=None if above else grade.range_max,
        )
    try:
        result = pricing.quote(
            item.pricing_method,
            item.parameters,
            inputs,
            figures,
            allow_out_of_range=True,
            unit=item.unit,
        )
    except pricing.PricingError as error:
        if error.field == "unit_price":  # the price the engine got is the clerk's own, or none
            error.field = "unit_price_override" if override is not None else None
        raise
    return Quote(result, frozen, grade, above)


def values_from_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """A line's frozen inputs back in the form's shape (stages as ``stage:<name>``)."""
    values = {key: value for key, value in inputs.items() if key != "stages"}
    for stage, months in inputs.get("stages", {}).items():
        values[f"stage:{stage}"] = months
    return values


# What ``price_line`` sets: the columns to save when an existing line is priced again.
PRICED_FIELDS = [
    "fee_class", "standard_set", "item", "item_code", "name", "unit", "pricing_method",
    "parameters", "grade_code", "grade_name", "grade_figures", "inputs", "amount",
    "explanation_zh", "explanation_en", "is_non_standard", "is_above_standard",
    "is_out_of_range", "justification",
]  # fmt: skip


def price_line(
    line: EstimateLine,
    item: ServiceItem,
    priced: Quote,
    justification: str,
    standard: StandardSet | None = None,
) -> EstimateLine:
    """Freeze on ``line`` what its price depends on (standard version, item, method,
    parameters, grade figures, inputs) and the price with its flags. Not saved."""
    grade = priced.grade
    line.fee_class = top_fee_class(item)
    # The set that priced the line (a city's, say), not the level the item comes from:
    # re-pricing compares it with the set in force, and the line's label shows both.
    line.standard_set = standard or item.standard_set
    line.item = item
    line.item_code = item.code
    line.name = item.name
    line.unit = item.unit
    line.pricing_method = item.pricing_method
    line.parameters = item.parameters
    line.grade_code = grade.code if grade else ""
    line.grade_name = grade.name if grade else ""
    line.grade_figures = grade_figures_json(grade)
    line.inputs = priced.inputs
    line.amount = priced.result.amount
    line.explanation_zh = priced.result.explanation_zh
    line.explanation_en = priced.result.explanation_en
    line.is_non_standard = False
    line.is_above_standard = priced.above_standard
    line.is_out_of_range = priced.out_of_range
    line.justification = justification.strip() if priced.needs_justification else ""
    return line


def _figures(grade: Grade | None) -> pricing.GradeFigures | None:
    if grade is None:
        return None
    return pricing.GradeFigures(
        unit_price=grade.unit_price,
        coefficient=grade.coefficient,
        range_min=grade.range_min,
        range_max=grade.range_max,
    )


def grade_figures_json(grade: Grade | None) -> dict[str, str]:
    if grade is None:
        return {}
    values = {
        "unit_price": grade.unit_price,
        "coefficient": grade.coefficient,
        "range_min": grade.range_min,
        "range_max": grade.range_max,
    }
    return {key: str(value) for key, value in values.items() if value is not None}


def _as_text(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        key: ({k: str(v) for k, v in value.items()} if isinstance(value, dict) else str(value))
        for key, value in inputs.items()
    }


def non_standard_quote(quantity: Decimal, unit_price: Decimal, unit: str) -> pricing.PriceResult:
    """Quantity × the clerk's unit price, with the engine's checks (``pricing.PricingError``,
    its ``field`` the form's): a quantity of something, whole for a unit counted whole; a
    unit price and an amount within the limit."""
    name = gettext("Quantity used")
    quantity = pricing.check_quantity(
        pricing.to_decimal(quantity, name), name, unit, field="quantity"
    )
    price_name = gettext("Unit price (yuan)")
    unit_price = pricing.check_amount(
        pricing.to_decimal(unit_price, price_name), price_name, "unit_price"
    )
    amount = pricing.to_amount(quantity * unit_price, pricing.LINE_AMOUNT, "quantity")
    return pricing.PriceResult(
        amount=amount,
        explanation_zh=(
            f"非标准：单价 {pricing.money(unit_price)} 元 × 数量 {pricing.fmt(quantity)}"
            f" = {pricing.money(amount)} 元"
        ),
        explanation_en=(
            f"Non-standard: unit price {pricing.money(unit_price)} × quantity "
            f"{pricing.fmt(quantity)} = {pricing.money(amount)} yuan"
        ),
    )
