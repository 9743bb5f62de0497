"""The budget summary from kept totals, flat however many projects and lines (issue #21).

Summing a province's year live (100,000 projects, 1,000,000 lines, each line's latest
review decision) took 1.7 s a page. ``SummaryCell`` rows hold the year's sums per
combination of everything the summary groups or scopes by (unit, reached review
stages, the classifications and finance codes, state): the projects' kept totals
(``Project.requested_amount``, kept by the services with the lines, and
``approved_amount``, fixed at approval), and per such combination and fee class the
lines' (the same expressions as the live summary, ``reports.summary``). A page then
sums the cells instead of the year's rows: far fewer, but they grow with the
combinations present (12,748 cells for 20,000 synthetic projects), so the page is not
flat yet (docs/performance.md, "Run 4").

The cells are kept current by PostgreSQL, in the transaction of the write
(``reports.migrations.0005_kept_totals_by_trigger``): statement triggers on projects,
estimate lines, line decisions and review stages hand the ids of the projects a
statement touched to ``reports_summary_fold``, which subtracts what those projects
added to the cells (``SummaryShare``), counts their shares afresh and adds them. So
every writer is caught (the services, ``bulk_create``, ``QuerySet.update``, COPY, the
admin, psql), a total is never stale, and the summary never sums live after a write.
A change that leaves a project's figures as they were touches no cell (no lock).

The page's default view (by unit, level, state, fee class) and its round columns read
coarser kept totals, ``UnitCell`` (``reports.migrations.0011_unit_cells_kept``): the
same sums per unit, reached stages, state and fee class, and per submission round, a
number of rows that does not grow with the projects (889 at 100,000 projects against
12,966 fine cells). The fold keeps them from the same shares, in the same statement.
"""

from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from projects.permissions import project_jurisdictions, project_scope
from reports.models import SummaryCell, UnitCell
from reports.summary import MONEY, ZERO, Dimension, SummaryRow, rows_from


def refresh(year: int | None = None) -> int:
    """Count ``year``'s cells (every year's when None) again from the projects, in one
    transaction; returns the number of cells. Not needed after writes (the triggers
    keep the cells): for repairs, and the benchmarks' and tests' checks."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT reports_summary_recount(%s)", [year])
    cells = SummaryCell.objects.all()
    return (cells if year is None else cells.filter(budget_year=year)).count()


# The dimensions the coarse unit cells can group by (the unit, its level, the state,
# the fee class): the page's default view reads a number of rows that does not grow
# with the projects; the others read the fine cells.
COARSE = frozenset({"unit", "level", "state", "fee_class"})


def fresh_unit_cells(user: User, year: int) -> QuerySet[UnitCell]:
    """The year's unit cells within the user's scope: ``fresh_cells``' rule on the
    coarse cells, which carry every field it filters on (unit, reached stages, state,
    jurisdiction). Their projects' rows and fee classes' rows alone (``round_id``
    empty); ``rounds.kept_round_summary`` reads the rounds' rows."""
    return _scoped(UnitCell.objects.filter(budget_year=year), user)


def cells_for(user: User, year: int, by: str) -> QuerySet[Any]:
    """The cells the summary by ``by`` sums: the coarse ones when they group by it."""
    if by in COARSE:
        return fresh_unit_cells(user, year).filter(round_id__isnull=True)
    return fresh_cells(user, year)


def _scoped(cells: QuerySet[Any], user: User) -> QuerySet[Any]:
    for scope in (project_jurisdictions(user), project_scope(user)):
        if scope is not None:
            cells = cells.filter(scope)
    return cells


def fresh_cells(user: User, year: int) -> QuerySet[SummaryCell]:
    """The year's cells within the user's scope (always the database's figures).

    First the cells of the jurisdictions the user's scope can reach at all, by the
    cells' own jurisdiction and its index (a city's or the province's own cells: 5,802
    of 249,913 at 100,000 projects), then the scope's rule on those: read the other way,
    the rule's join to the units made every reviewer's page read the whole province's
    year (issue #21)."""
    return _scoped(SummaryCell.objects.filter(budget_year=year), user)


def summarise_cells(cells: QuerySet[Any], dimension: Dimension) -> list[SummaryRow]:
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


def projects_with_lines(cells: QuerySet[Any]) -> int:
    """How many of the cells' projects have a line (the fee classes' total of projects)."""
    total: int = cells.filter(fee_class="").aggregate(n=Coalesce(Sum("with_lines"), 0))["n"]
    return total
