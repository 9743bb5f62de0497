"""The project library (项目库): a unit's reserve and all its projects across years, the
copy of a project into a later year as its continuation (续建), and the rolling
three-year plan. Reads, and the writes the declaration services of ``budgeting.library``
make inside their transaction; the states and who may act are budgeting's.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import DecimalField, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from classification.models import ClassificationCode
from classification.rules import PROJECT_CODE_FIELDS
from projects import repricing, services
from projects.models import (
    Attachment,
    Continuity,
    EstimateLine,
    LineBasis,
    PerformanceTarget,
    Project,
    ProjectState,
    YearPlan,
)
from standards.models import StandardSet

ZERO = Decimal("0.00")
# A sum of a project's plan: larger than any one amount.
TOTAL = DecimalField(max_digits=20, decimal_places=2)
PLAN_YEARS = 3

# What a continuation takes over as it is: the classification, the description and the
# contact. Its year, code, state, predecessor and amounts are its own.
COPIED_FIELDS = [
    name
    for name in services.PROJECT_FIELDS
    if name not in {"budget_year", "continuity", "predecessor", "plan_deviation_reason"}
    and name not in PROJECT_CODE_FIELDS.values()
]


@dataclass(frozen=True)
class Continuation:
    project: Project
    repricing: repricing.RepricePlan | None
    repriced_lines: list[dict[str, Any]]


def continue_into(
    source: Project, *, year: int, actor: User, standard: StandardSet | None
) -> Continuation:
    """A new draft project of ``year`` continuing ``source`` (续建, ``predecessor``), in the
    caller's transaction (``budgeting.library.declare_for_year`` locks and checks):
    classification and description as they are; the plan's years from ``year`` on;
    performance targets copied; documents by reference (new rows on the same stored
    files, so nothing is uploaded twice); the estimate lines copied with their inventory
    bases, then priced again with ``standard`` (the one in force for ``year``) wherever
    it can (``repricing.plan``: the same rules as re-pricing a project). The requested
    amount is the lines' sum; beyond the amount limit ProjectError, the caller's
    transaction undoes it all."""
    project = Project(
        **{name: getattr(source, name) for name in COPIED_FIELDS},
        budget_year=year,
        continuity=Continuity.CONTINUING,
        predecessor=source,
        state=ProjectState.DRAFT,
        declared_from_library=True,
        created_by=actor,
    )
    project.end_year = max(project.end_year, year)
    project.start_year = min(project.start_year, project.end_year)
    _codes_of_year(source, project, year)
    project.code = services.next_code(source.organization, year)
    project.save()
    YearPlan.objects.bulk_create(
        YearPlan(project=project, year=plan.year, amount=plan.amount)
        for plan in source.year_plans.filter(year__gte=year)
    )
    PerformanceTarget.objects.bulk_create(
        PerformanceTarget(
            project=project,
            tier=target.tier,
            indicator=target.indicator,
            name=target.name,
            target_value=target.target_value,
            unit=target.unit,
        )
        for target in source.targets.all()
    )
    Attachment.objects.bulk_create(
        Attachment(
            project=project,
            kind=document.kind,
            file=document.file.name,
            original_name=document.original_name,
            size=document.size,
            content_type=document.content_type,
            sha256=document.sha256,
            uploaded_by=document.uploaded_by,
            uploaded_at=document.uploaded_at,
        )
        for document in source.attachments.filter(is_removed=False)
    )
    _copy_lines(source, project)
    changes = repricing.plan(project, standard) if standard is not None else None
    repriced, _changed = services.apply_repricing(changes) if changes else ([], [])
    project.requested_amount = services.check_requested_total(
        project.lines.aggregate(total=Sum("amount"))["total"] or ZERO
    )
    project.save(update_fields=["requested_amount"])
    return Continuation(project, changes, repriced)


def _codes_of_year(source: Project, project: Project, year: int) -> None:
    """The finance codes of ``source``'s year, as the same codes of ``year``'s lists where
    those have them (one query); empty otherwise, for the clerk to choose."""
    chosen = {
        name: getattr(source, name)
        for name in PROJECT_CODE_FIELDS.values()
        if getattr(source, name)
    }
    wanted = Q(pk__in=[])
    for code in chosen.values():
        wanted |= Q(kind=code.kind, code=code.code)
    found = {
        (code.kind, code.code): code
        for code in ClassificationCode.objects.filter(wanted, year=year)
    }
    for name, code in chosen.items():
        setattr(project, name, found.get((code.kind, code.code)))


def _copy_lines(source: Project, project: Project) -> None:
    lines = list(source.lines.prefetch_related("bases"))
    copies = []
    for line in lines:
        copy = EstimateLine(
            **{
                field.attname: getattr(line, field.attname)
                for field in EstimateLine._meta.concrete_fields
                if field.attname not in {"id", "project_id"}
            }
        )
        copy.project = project
        copies.append(copy)
    EstimateLine.objects.bulk_create(copies)
    LineBasis.objects.bulk_create(
        (
            LineBasis(
                **{
                    field.attname: getattr(basis, field.attname)
                    for field in LineBasis._meta.concrete_fields
                    if field.attname not in {"id", "line_id"}
                },
                line=copy,
            )
            for line, copy in zip(lines, copies, strict=True)
            for basis in line.bases.all()
        ),
        batch_size=5000,
    )


# --- The library page and the rolling plan (reads) ---------------------------------------


def library_projects(projects: QuerySet[Project]) -> QuerySet[Project]:
    """The library's rows: ``projects`` (already scoped) with their planned total and
    the years they were already continued into, in one query whatever the rows."""
    planned = (
        YearPlan.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    continued = Project.objects.filter(predecessor=OuterRef("pk")).values("budget_year")
    return projects.select_related("organization").annotate(
        planned_total=Coalesce(Subquery(planned, output_field=TOTAL), ZERO, output_field=TOTAL),
        continued_years=ArraySubquery(continued),
    )


@dataclass(frozen=True)
class PlanRow:
    project: Project
    amounts: list[Decimal | None]  # one per year of the table, None where no plan

    @property
    def total(self) -> Decimal:
        return _sum(self.amounts)


@dataclass(frozen=True)
class RollingPlan:
    """The rolling three-year table from a first year: the projects with a plan figure in
    one of its years (a queryset, to page), and the column totals over all of them."""

    years: list[int]
    projects: QuerySet[Project]
    totals: list[Decimal]

    def rows(self, projects: Iterable[Project]) -> list[PlanRow]:
        """The rows of ``projects`` (a page of ``self.projects``): one query."""
        projects = list(projects)
        figures: dict[int, dict[int, Decimal]] = {}
        for project_id, year, amount in YearPlan.objects.filter(
            project__in=projects, year__in=self.years
        ).values_list("project_id", "year", "amount"):
            figures.setdefault(project_id, {})[year] = amount
        return [
            PlanRow(project, [figures.get(project.pk, {}).get(year) for year in self.years])
            for project in projects
        ]


def rolling_plan(projects: QuerySet[Project], first_year: int) -> RollingPlan:
    """The rolling three-year table of ``projects`` (already scoped) from ``first_year``:
    each project with a plan figure in year N, N+1 or N+2, by unit and code, and the
    column totals (one query; the rows' figures one more per page)."""
    years = list(range(first_year, first_year + PLAN_YEARS))
    in_years = YearPlan.objects.filter(project=OuterRef("pk"), year__in=years)
    planned = (
        projects.filter(Exists(in_years))
        .select_related("organization")
        .order_by("organization__code", "code")
    )
    sums = dict(
        YearPlan.objects.filter(project__in=projects, year__in=years)
        .values("year")
        .annotate(total=Sum("amount"))
        .values_list("year", "total")
    )
    return RollingPlan(years, planned, [sums.get(year, ZERO) for year in years])


def _sum(values: Iterable[Decimal | None]) -> Decimal:
    return sum((value for value in values if value is not None), ZERO)
