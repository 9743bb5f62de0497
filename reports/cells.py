"""The budget summary from kept totals, flat however many projects and lines (issue #21).

Summing a province's year live (100,000 projects, 1,000,000 lines, each line's latest
review decision) took 1.7 s a page. ``refresh`` counts a year once into
``SummaryCell`` rows: per combination of everything the summary groups or scopes by
(unit, reached review stages, the classifications, state) the projects' kept totals
(``Project.requested_amount``, kept by the services with the lines, and
``approved_amount``, fixed at approval), and per such combination and fee class the
lines' (the same expressions as the live summary, ``reports.summary``). A page then
sums a few hundred cells instead of the year's rows.

The cells are read only while they are the database's figures: ``SummaryStamp`` keeps
the page generation (``ops.page_cache``: a sequence moved after every committed
write) read before counting; when it has moved since, the page sums live, as before,
and asks the background worker to count again (``refresh_task``). So a figure is
never stale, and the pages are flat between writes.
"""

from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks import task

from accounts.models import User
from classification.rules import PROJECT_CODE_FIELDS
from ops.page_cache import current_generation
from projects.models import EstimateLine, Project
from projects.permissions import project_scope
from reports.models import SummaryCell, SummaryStamp
from reports.summary import (
    MONEY,
    ZERO,
    Dimension,
    SummaryRow,
    line_amount_after,
    rows_from,
)

# What a cell is keyed by: the project's fields the summary groups or scopes by.
KEYS = (
    "organization",
    "reached_roles",
    "kind",
    "continuity",
    "managed_by_data_admin",
    "budget_category",
    "procurement_method",
    "state",
    *PROJECT_CODE_FIELDS.values(),
)

# The stamp's generation once a page has asked for a count (no generation is negative).
ASKED = -1


def refresh(year: int) -> int:
    """Count ``year`` into its cells again, all or nothing; returns the number of cells."""
    # Read first: a write committed while counting moves the generation past it, so
    # these cells are then never taken for the database's figures.
    generation = current_generation()
    projects = Project.objects.filter(budget_year=year)
    has_lines = Exists(EstimateLine.objects.filter(project=OuterRef("pk")))
    decided = Q(approved_amount__isnull=False)
    project_rows = (
        projects.order_by()
        .values(*KEYS)
        .annotate(
            n=Count("pk"),
            n_lines=Count("pk", filter=has_lines),
            req=Coalesce(Sum("requested_amount"), ZERO, output_field=MONEY),
            appr=Coalesce(Sum("approved_amount"), ZERO, output_field=MONEY),
            req_decided=Coalesce(Sum("requested_amount", filter=decided), ZERO, output_field=MONEY),
        )
    )
    line_decided = Q(project__approved_amount__isnull=False)
    line_rows = (
        EstimateLine.objects.filter(project__budget_year=year)
        .order_by()
        .values("fee_class", *(f"project__{key}" for key in KEYS))
        .annotate(
            n=Count("project", distinct=True),
            req=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
            appr=Coalesce(Sum(line_amount_after(), filter=line_decided), ZERO, output_field=MONEY),
            req_decided=Coalesce(Sum("amount", filter=line_decided), ZERO, output_field=MONEY),
        )
    )
    cells = [_cell(year, row, "", {key: row[key] for key in KEYS}) for row in project_rows]
    cells += [
        _cell(year, row, row["fee_class"], {key: row[f"project__{key}"] for key in KEYS})
        for row in line_rows
    ]
    with transaction.atomic():
        SummaryCell.objects.filter(budget_year=year).delete()
        SummaryCell.objects.bulk_create(cells, batch_size=5000)
        SummaryStamp.objects.update_or_create(
            budget_year=year,
            defaults={"generation": generation, "refreshed_at": timezone.now()},
        )
    return len(cells)


def _cell(year: int, row: dict[str, Any], fee_class: str, keys: dict[str, Any]) -> SummaryCell:
    organization = keys.pop("organization")
    return SummaryCell(
        budget_year=year,
        organization_id=organization,
        fee_class=fee_class,
        projects=row["n"],
        with_lines=row.get("n_lines", 0),
        requested=row["req"],
        approved=row["appr"],
        requested_of_decided=row["req_decided"],
        **keys,
    )


@task()
def refresh_task(year: int) -> None:
    """The background worker's ``refresh``, asked for by a page that found the cells old."""
    refresh(year)


def fresh_cells(user: User, year: int) -> QuerySet[SummaryCell] | None:
    """The year's cells within the user's scope, if they are the database's figures now;
    None if there are none or a write happened since they were counted (the background
    worker is then asked to count again, once per generation)."""
    stamp = SummaryStamp.objects.filter(budget_year=year).first()
    if stamp is None or stamp.generation == ASKED:
        return None
    if stamp.generation != current_generation():
        # Count again, unless another page asked since the last write already.
        asked = SummaryStamp.objects.filter(pk=stamp.pk, generation=stamp.generation).update(
            generation=ASKED
        )
        if asked:
            refresh_task.enqueue(year)
        return None
    cells = SummaryCell.objects.filter(budget_year=year)
    scope = project_scope(user)
    return cells if scope is None else cells.filter(scope)


def summarise_cells(cells: QuerySet[SummaryCell], dimension: Dimension) -> list[SummaryRow]:
    """``summary.summarise`` of the same projects, from their cells."""
    rows = cells.exclude(fee_class="") if dimension.of_lines else cells.filter(fee_class="")
    data = (
        rows.annotate(group=dimension.group_by)
        .values("group")
        .annotate(
            projects=Coalesce(Sum("projects"), 0),
            requested=Coalesce(Sum("requested"), ZERO, output_field=MONEY),
            approved=Coalesce(Sum("approved"), ZERO, output_field=MONEY),
            requested_of_decided=Coalesce(Sum("requested_of_decided"), ZERO, output_field=MONEY),
        )
        .order_by("group")
    )
    return rows_from([dict(row) for row in data], dimension)


def projects_with_lines(cells: QuerySet[SummaryCell]) -> int:
    """How many of the cells' projects have a line (the fee classes' total of projects)."""
    total: int = cells.filter(fee_class="").aggregate(n=Coalesce(Sum("with_lines"), 0))["n"]
    return total
