"""Re-pricing with the current standard: which lines a newer standard would price
differently, and by how much. Nothing here writes; ``services.reprice_lines`` does.

A line keeps the standard version, parameters and grade figures it was priced
with. When the standard in force for the project's budget year has another
item for the line's code (a newer version, or a changed standard), the line can
be priced again with the same inputs and grade; a line whose item or grade the
current standard no longer has, whose inputs it refuses, or which would now be
flagged without a justification stays as it is and is listed with the reason.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from projects import estimates
from projects.models import EstimateLine, Project
from standards import pricing
from standards.models import ServiceItem, StandardSet

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class RepriceRow:
    line: EstimateLine
    item: ServiceItem | None = None  # the current standard's item for the line's code
    quote: estimates.Quote | None = None
    problem: str = ""  # why the line stays as it is

    @property
    def new_amount(self) -> Decimal | None:
        return self.quote.result.amount if self.quote else None

    @property
    def difference(self) -> Decimal | None:
        return None if self.quote is None else self.quote.result.amount - self.line.amount

    @property
    def old_unit_price(self) -> Decimal | None:
        line = self.line
        return unit_price_of(line.pricing_method, line.parameters, line.grade_figures, line.inputs)

    @property
    def new_unit_price(self) -> Decimal | None:
        if self.item is None or self.quote is None:
            return None
        return unit_price_of(
            self.item.pricing_method,
            self.item.parameters,
            estimates.grade_figures_json(self.quote.grade),
            self.quote.inputs,
        )


@dataclass(frozen=True)
class RepricePlan:
    standard: StandardSet
    rows: list[RepriceRow]  # only lines priced by another standard than ``standard``
    requested_before: Decimal

    @property
    def repriced(self) -> list[RepriceRow]:
        return [row for row in self.rows if row.quote is not None]

    @property
    def kept(self) -> list[RepriceRow]:
        return [row for row in self.rows if row.quote is None]

    @property
    def old_total(self) -> Decimal:
        return sum((row.line.amount for row in self.repriced), ZERO)

    @property
    def new_total(self) -> Decimal:
        return sum((row.quote.result.amount for row in self.repriced if row.quote), ZERO)

    @property
    def difference(self) -> Decimal:
        return self.new_total - self.old_total

    @property
    def requested_after(self) -> Decimal:
        return self.requested_before - self.old_total + self.new_total


def unit_price_of(
    method: str, parameters: dict, grade_figures: dict, inputs: dict
) -> Decimal | None:
    """The price per unit a line is charged at: the clerk's own price, the grade's, or
    the person-month rate; None for methods without one (a percentage, an amortised fee)."""
    raw = (
        inputs.get("unit_price_override")
        or grade_figures.get("unit_price")
        or parameters.get("person_month_rate")
    )
    if method in (pricing.Method.PERCENTAGE, pricing.Method.AMORTISED) or raw is None:
        return None
    return pricing.to_decimal(raw, "unit_price")


def offered(project: Project) -> bool:
    """Whether a line was priced by another standard than the one in force for the
    project's year: two queries, whatever the lines (``plan`` says what would change)."""
    standard = estimates.standard_for(project)
    return (
        standard is not None
        and project.lines.filter(standard_set__isnull=False).exclude(standard_set=standard).exists()
    )


def plan(project: Project, standard: StandardSet | None = None) -> RepricePlan | None:
    """What re-pricing with the standard in force (or with ``standard``: the one of the
    year a project is declared for) would change; None without a standard."""
    standard = standard or estimates.standard_for(project)
    if standard is None:
        return None
    current = {item.code: item for item in estimates.items_for(project, standard)}
    rows = [
        _row(line, current.get(line.item_code))
        for line in project.lines.filter(item__isnull=False).select_related("standard_set")
        if current.get(line.item_code) is None
        or current[line.item_code].pk != line.item_id
        or line.standard_set_id != standard.pk
    ]
    return RepricePlan(standard, rows, project.requested_amount)


def _row(line: EstimateLine, item: ServiceItem | None) -> RepriceRow:
    if item is None:
        return RepriceRow(line, problem=_("The current standard has no such item."))
    grade = None
    if line.grade_code:
        grade = next((g for g in item.grades.all() if g.code == line.grade_code), None)
        if grade is None:
            return RepriceRow(
                line,
                item,
                problem=_("The current standard has no grade %(grade)s for this item.")
                % {"grade": line.grade_name or line.grade_code},
            )
    try:
        quote = estimates.quote_item(item, grade, estimates.values_from_inputs(line.inputs))
    except pricing.PricingError as error:
        return RepriceRow(line, item, problem=error.message)
    if quote.needs_justification and not line.justification.strip():
        return RepriceRow(
            line,
            item,
            problem=_(
                "With the current standard this line would be flagged and needs a "
                "justification: remove it and add it again with one."
            ),
        )
    return RepriceRow(line, item, quote)
