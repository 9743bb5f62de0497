"""规划与申报对比: each unit's three-year plan figure for a budget year against what its
projects of that year request and are approved (issue #17). Counted projects only
(``COUNTED_STATES``), as every total; the plan figure is each project's plan for the year
(``YearPlan``), so a project whose request departs from its plan shows in both."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.models import Organization
from projects.models import APPROVED_STATES, COUNTED_STATES, Project, YearPlan

ZERO = Decimal("0.00")
TOTAL = DecimalField(max_digits=20, decimal_places=2)


@dataclass(frozen=True)
class CompareRow:
    unit: Organization | None  # None: the total
    projects: int
    planned: Decimal
    requested: Decimal
    approved: Decimal
    differing: int  # projects whose request is not their plan figure

    @property
    def request_minus_plan(self) -> Decimal:
        return self.requested - self.planned


def plan_vs_request(projects: QuerySet[Project], year: int) -> tuple[list[CompareRow], CompareRow]:
    """Per unit, the year's counted projects among ``projects`` (already scoped): their
    plan figures for ``year``, requested and approved amounts. Two queries."""
    plan = YearPlan.objects.filter(project=OuterRef("pk"), year=year).values("amount")[:1]
    annotated = projects.filter(budget_year=year, state__in=COUNTED_STATES).annotate(
        planned=Coalesce(Subquery(plan, output_field=TOTAL), ZERO, output_field=TOTAL)
    )
    data = (
        annotated.values("organization")
        .annotate(
            n=Count("pk"),
            differing=Count("pk", filter=~Q(planned=F("requested_amount"))),
            plan_total=Coalesce(Sum("planned"), ZERO, output_field=TOTAL),
            requested=Coalesce(Sum("requested_amount"), ZERO, output_field=TOTAL),
            approved=Coalesce(
                Sum("approved_amount", filter=Q(state__in=APPROVED_STATES)),
                ZERO,
                output_field=TOTAL,
            ),
        )
        .order_by("organization")
    )
    rows_data = list(data)
    units = Organization.objects.in_bulk([row["organization"] for row in rows_data])
    rows = sorted(
        (
            CompareRow(
                unit=units[row["organization"]],
                projects=row["n"],
                planned=row["plan_total"],
                requested=row["requested"],
                approved=row["approved"],
                differing=row["differing"],
            )
            for row in rows_data
        ),
        key=lambda row: row.unit.code if row.unit else "",
    )
    total = CompareRow(
        unit=None,
        projects=sum(row.projects for row in rows),
        planned=sum((row.planned for row in rows), ZERO),
        requested=sum((row.requested for row in rows), ZERO),
        approved=sum((row.approved for row in rows), ZERO),
        differing=sum(row.differing for row in rows),
    )
    return rows, total
