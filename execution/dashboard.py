"""The execution progress dashboard (执行进度): the approved projects of a year whose
execution rate by finance's date is below finance's target, per unit, paged. A constant
number of queries whatever the number of projects (benchmarks/test_execution.py)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, QuerySet, Sum
from django.utils import timezone

from accounts.models import Organization
from accounts.permissions import jurisdiction_id_of
from execution.figures import with_execution
from execution.models import ExecutionTarget
from execution.permissions import execution_projects
from projects.models import APPROVED_STATES, Project, ProjectState

PAGE_SIZE = 50


@dataclass(frozen=True)
class Dashboard:
    year: int
    target: ExecutionTarget | None
    page: Page[Any]
    units: list[dict[str, Any]]  # per unit: name, code, projects, approved, paid

    @property
    def paid_by(self) -> datetime.date | None:
        return self.target.due_on if self.target else None


def target_of(user: Any, year: int) -> ExecutionTarget | None:
    """The year's target of the user's jurisdiction (for a clerk: their unit's); each
    jurisdiction's finance sets its own (issue #18)."""
    jurisdiction_id = jurisdiction_id_of(user)
    if jurisdiction_id is None:
        return None
    return ExecutionTarget.objects.filter(year=year, jurisdiction_id=jurisdiction_id).first()


def years_with_approvals(user: Any) -> list[int]:
    years = (
        execution_projects(user)
        .filter(state__in=(ProjectState.APPROVED, ProjectState.CLOSED))
        .order_by("-budget_year")
        .values_list("budget_year", flat=True)
        .distinct()
    )
    return [year for year in years if year is not None]


def default_year(user: Any, years: list[int]) -> int:
    """The year the dashboard opens on: the latest of ``years`` (those with approvals,
    latest first) that has the target of the user's jurisdiction, the year being
    executed (a later year approved ahead waits for its own target); else the latest of
    ``years``; else this year. One query."""
    jurisdiction_id = jurisdiction_id_of(user)
    targeted = (
        ExecutionTarget.objects.filter(jurisdiction_id=jurisdiction_id, year__in=years)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
        if jurisdiction_id is not None and years
        else None
    )
    return targeted or (years[0] if years else timezone.localdate().year)


def dashboard(
    user: Any,
    *,
    year: int,
    unit: Organization | None = None,
    everything: bool = False,
    page_number: Any = 1,
) -> Dashboard:
    """The year's approved projects the user sees (of ``unit`` if given), with their
    contracted and paid amounts and rate as of the target's date; only those below the
    target unless ``everything`` (the closed ones too); without a target: every project
    still executed, paid as of today."""
    target = target_of(user, year)
    # Below the target: the projects still executed. Every project: the closed (结项) too,
    # whose payments are part of the year's execution.
    states = APPROVED_STATES if everything else (ProjectState.APPROVED,)
    projects: QuerySet[Project] = execution_projects(user).filter(
        budget_year=year, state__in=states, approved_amount__gt=0
    )
    if unit is not None:
        projects = projects.filter(organization=unit)
    paid_by = target.due_on if target else timezone.localdate()
    projects = with_execution(projects, paid_by=paid_by)
    if target is not None and not everything:
        projects = projects.filter(rate__lt=target.rate)  # type: ignore[misc]
    units: list[dict[str, Any]] = [
        dict(row)
        for row in projects.order_by()
        .values("organization__code", "organization__name")
        .annotate(
            projects=Count("pk"),
            approved=Sum("approved_amount"),
            paid=Sum(F("paid_total")),
        )
        .order_by("organization__name")
    ]
    ordered = projects.select_related("organization").order_by(  # type: ignore[misc]
        "organization__name", "rate", "code"
    )
    page = Paginator(ordered, PAGE_SIZE).get_page(page_number)
    for row in units:
        approved = row["approved"] or Decimal("0")
        row["rate"] = (row["paid"] / approved * 100).quantize(Decimal("0.01")) if approved else None
    return Dashboard(year=year, target=target, page=page, units=units)
