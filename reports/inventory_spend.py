"""IT spend against what the units already run: each unit's requests for a budget year
(construction and operation, counted as in every total) beside its inventory of the
survey the year before (系统建设投资, 硬件原值, 年运维费), for the units the user may see.

The survey of year N is the baseline of budget year N + 1 (a 2026 survey prices the
2027 budget). Four queries for the inventory (``inventory.baseline``) and one for
the requests, whatever the number of units.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Sum

from accounts.permissions import AnyUser
from inventory import baseline
from inventory.models import REPORTED_STATES, Device, InformationSystem, SurveyCampaign
from inventory.permissions import campaigns_visible_to, surveys_visible_to
from projects.permissions import projects_visible_to
from reports.summary import counted
from standards.models import ProjectKind

ZERO = Decimal("0.00")


@dataclass
class SpendRow:
    unit: str
    inventory_value: Decimal = ZERO  # systems' construction cost + hardware original value
    inventory_om: Decimal = ZERO  # the yearly O&M cost the inventory reports
    construction: Decimal = ZERO  # requested for construction projects
    operation: Decimal = ZERO  # requested for operation projects

    @property
    def operation_share(self) -> Decimal | None:
        """Requested O&M as a percentage of the inventory's value (None without one)."""
        if not self.inventory_value:
            return None
        return (self.operation * 100 / self.inventory_value).quantize(Decimal("0.1"))


def spend_against_inventory(
    user: AnyUser, campaign: SurveyCampaign
) -> tuple[int, list[SpendRow], SpendRow]:
    """The budget year, each reported unit's row and the total."""
    year = campaign.year + 1
    surveys = list(baseline.reported(surveys_visible_to(user), campaign))
    figures, _total = baseline.baselines(surveys, campaign.year)
    rows: dict[int, SpendRow] = {}
    for survey, figure in zip(surveys, figures, strict=True):
        rows[survey.organization_id] = SpendRow(
            figure.unit,
            inventory_value=figure.construction_cost + figure.device_value,
            inventory_om=figure.yearly_om_cost,
        )
    requested = (
        counted(projects_visible_to(user))
        .filter(budget_year=year, organization_id__in=list(rows))
        .values("organization_id")
        .annotate(
            construction=Sum("requested_amount", filter=Q(kind=ProjectKind.CONSTRUCTION)),
            operation=Sum("requested_amount", filter=Q(kind=ProjectKind.OPERATION)),
        )
    )
    for amounts in requested:
        row = rows[amounts["organization_id"]]
        row.construction = amounts["construction"] or ZERO
        row.operation = amounts["operation"] or ZERO
    total = SpendRow("")
    for row in rows.values():
        total.inventory_value += row.inventory_value
        total.inventory_om += row.inventory_om
        total.construction += row.construction
        total.operation += row.operation
    return year, list(rows.values()), total


@dataclass
class YearSpend:
    """One survey year in all: the reported inventories' value beside what their units
    requested for the budget year after (construction and operation)."""

    survey_year: int
    inventory_value: Decimal = ZERO
    requested: Decimal = ZERO

    @property
    def budget_year(self) -> int:
        return self.survey_year + 1

    @property
    def requested_share(self) -> Decimal | None:
        if not self.inventory_value:
            return None
        return (self.requested * 100 / self.inventory_value).quantize(Decimal("0.1"))


def spend_by_year(user: AnyUser) -> list[YearSpend]:
    """Every survey year, oldest first: three queries whatever the number of years and
    units. A unit's requests count in a year when its survey of that year was reported."""
    reported = surveys_visible_to(user).filter(state__in=REPORTED_STATES)
    years: dict[int, YearSpend] = {
        year: YearSpend(year)
        for year in campaigns_visible_to(user).order_by("year").values_list("year", flat=True)
    }
    for model, value in ((InformationSystem, "construction_cost"), (Device, "original_value")):
        sums = (
            model._default_manager.filter(survey__in=reported.values("pk"))
            .values("survey__campaign__year")
            .annotate(total=Sum(value))
        )
        for year, total in sums.values_list("survey__campaign__year", "total"):
            years[year].inventory_value += total or ZERO
    surveyed = reported.filter(
        organization_id=OuterRef("organization_id"), campaign__year=OuterRef("budget_year") - 1
    )
    requested = (
        counted(projects_visible_to(user))
        .filter(budget_year__in=[year + 1 for year in years])
        .filter(Exists(surveyed))
        .values("budget_year")
        .annotate(total=Sum("requested_amount"))
    )
    for budget_year, total in requested.values_list("budget_year", "total"):
        if budget_year is not None:  # reserve projects have no year
            years[budget_year - 1].requested = total or ZERO
    return list(years.values())
