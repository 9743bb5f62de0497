"""The summary's round columns (两上两下) by primary unit: what each unit requested in each
submission round and what the reviewers made of it, the control figure, and what was
approved. Only for a year of more than one submission round; aggregated in PostgreSQL,
seven queries whatever the number of units and projects (``round_summary``). The page
reads the same figures kept (``kept_round_summary``, from ``reports.models.UnitCell``,
issue #21): one query over rows that do not grow with the projects.

Per submission round (一上, 二上, ...):

- requested (申报数): a project that has left the round counts with the figures it had
  when the next round opened (``RoundResult``), if it was a request then (submitted and
  not withdrawn: still asking, or rejected, 不予安排, with 0 reviewed); a project still in
  the round (its review's round) counts live, if it counts toward the totals now
  (``COUNTED_STATES``), with its requested amount;
- reviewed (审核数), for every round but the last (whose review ends in the approval):
  the recorded reviewed amount, or live the lines' amounts after the reviews so far.

Then the control figure (控制数) after the first round, and the approved amount (批复数) of
the approved projects. Units group as on the summary: a secondary unit's projects count
for its primary unit, whose figure it is.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from accounts.models import Organization
from budgeting.models import BudgetCycle, BudgetRound, ControlFigure, RoundKind, RoundResult
from projects.models import APPROVED_STATES, COUNTED_STATES, EstimateLine, Project, ProjectState
from reports.models import UnitCell
from reports.summary import MONEY, ZERO, line_amount_after

# The states a request recorded at the end of its round had (see the module's docstring).
RECORDED_REQUEST_STATES = (*COUNTED_STATES, ProjectState.REJECTED)
PRIMARY = "organization__parent_id", "organization_id"


@dataclass(frozen=True)
class Column:
    label: str | Promise
    value: Callable[["RoundRow"], Decimal | None]
    chart: bool = False  # drawn in the chart per unit (requested, figure, approved)


@dataclass(frozen=True)
class RoundRow:
    unit: Organization | None  # None: the total
    requested: tuple[Decimal, ...]  # per submission round
    reviewed: tuple[Decimal, ...]  # per submission round but the last
    figure: Decimal | None
    approved: Decimal

    @property
    def label(self) -> str | Promise:
        return self.unit.name if self.unit else _("Total")


@dataclass(frozen=True)
class RoundSummary:
    rounds: list[BudgetRound]  # the submission rounds, in order
    rows: list[RoundRow]
    total: RoundRow

    @property
    def columns(self) -> list[Column]:
        columns: list[Column] = []
        last = len(self.rounds) - 1
        for index, round_ in enumerate(self.rounds):
            columns.append(
                Column(_column("%(round)s requested") % {"round": round_.name}, _at(index), True)
            )
            if index < last:
                columns.append(
                    Column(
                        _column("%(round)s reviewed") % {"round": round_.name}, _reviewed_at(index)
                    )
                )
            if index == 0:
                columns.append(Column(_column("Control figure"), lambda row: row.figure, True))
        columns.append(Column(_column("Approved"), lambda row: row.approved, True))
        return columns

    def cells(self, row: RoundRow) -> list[Decimal | None]:
        return [column.value(row) for column in self.columns]


def _column(label: str) -> str:
    """A column's label, translated apart from the same words elsewhere (一上申报数, 批复数)."""
    return pgettext("round column", label)


def _at(index: int) -> Callable[[RoundRow], Decimal]:
    return lambda row: row.requested[index]


def _reviewed_at(index: int) -> Callable[[RoundRow], Decimal]:
    return lambda row: row.reviewed[index]


def round_summary(
    projects: QuerySet[Project],
    year: int,
    figure_units: QuerySet[Organization],
    cycles: QuerySet[BudgetCycle] | None = None,
) -> RoundSummary | None:
    """The round columns of ``year`` over ``projects`` (those the user may see), with the
    figures of ``figure_units`` (those whose figure the user may see); None for a year
    of one submission round (or none), whose summary has no round columns. ``cycles``:
    those of the user's jurisdiction (None: the province's)."""
    year_cycles, submission = _submission(year, cycles)
    if len(submission) < 2:
        return None
    columns = _Columns(submission)
    for row in _recorded(projects, submission):
        columns.add(row["primary"], row["round_id"], row["requested"], row["reviewed"])
    live = _live(projects, submission)
    for row in _by_primary(live, "review__round_id").annotate(requested=Sum("requested_amount")):
        columns.add(row["primary"], row["review__round_id"], row["requested"], None)
    # The last round has no reviewed column (its review ends in the approval).
    for row in _live_reviewed(live.filter(review__round__in=submission[:-1])):
        columns.add(row["primary"], row["project__review__round_id"], None, row["reviewed"])
    approved = dict(
        _by_primary(projects.filter(state__in=APPROVED_STATES))
        .annotate(approved=Sum("approved_amount"))
        .values_list("primary", "approved")
    )
    return _summary(columns, approved, year_cycles, figure_units)


def kept_round_summary(
    cells: QuerySet[UnitCell],
    year: int,
    figure_units: QuerySet[Organization],
    cycles: QuerySet[BudgetCycle] | None = None,
) -> RoundSummary | None:
    """``round_summary`` of the same projects from their kept totals (issue #21): the
    year's unit cells in the user's scope (``reports.cells.fresh_unit_cells``), in one
    query over a number of rows that does not grow with the projects. The same rules
    on the cells' keys: a round's recorded rows count if their recorded state was a
    request, its live rows if the project counts now; the approved, the projects'
    rows of the approved states."""
    year_cycles, submission = _submission(year, cycles)
    if len(submission) < 2:
        return None
    columns = _Columns(submission)
    rounds = Q(round_id__in=[round_.pk for round_ in submission])
    sums = (
        cells.filter(
            (rounds & (Q(recorded_state__in=RECORDED_REQUEST_STATES) | Q(recorded_state="")))
            | Q(round_id__isnull=True, fee_class="", state__in=APPROVED_STATES)
        )
        .annotate(primary=Coalesce(*PRIMARY))
        .values("primary", "round_id", "recorded_state", "state")
        .annotate(requested=Sum("requested"), reviewed=Sum("reviewed"), approved=Sum("approved"))
    )
    approved: dict[int, Decimal] = {}
    last = submission[-1].pk
    for row in sums:
        if row["round_id"] is None:
            approved[row["primary"]] = approved.get(row["primary"], ZERO) + row["approved"]
        elif row["recorded_state"]:
            columns.add(row["primary"], row["round_id"], row["requested"], row["reviewed"])
        elif row["state"] in COUNTED_STATES:
            # Live: the last round has no reviewed column (its review ends in the approval).
            reviewed = row["reviewed"] if row["round_id"] != last else None
            columns.add(row["primary"], row["round_id"], row["requested"], reviewed)
    return _summary(columns, approved, year_cycles, figure_units)


def _submission(
    year: int, cycles: QuerySet[BudgetCycle] | None
) -> tuple[QuerySet[BudgetCycle], list[BudgetRound]]:
    """The year's cycles (the province's when None) and their submission rounds."""
    if cycles is None:
        cycles = BudgetCycle.objects.filter(jurisdiction__parent__isnull=True)
    year_cycles = cycles.filter(year=year)
    submission = list(
        BudgetRound.objects.filter(cycle__in=year_cycles, kind=RoundKind.SUBMISSION).order_by(
            "order"
        )
    )
    return year_cycles, submission


class _Columns:
    """The requested and reviewed figures per unit and submission round, added up."""

    def __init__(self, submission: list[BudgetRound]) -> None:
        self.submission = submission
        self.position = {round_.pk: index for index, round_ in enumerate(submission)}
        self.requested: dict[int, list[Decimal]] = {}
        self.reviewed: dict[int, list[Decimal]] = {}

    def add(self, unit: int, round_id: int, asked: Decimal | None, decided: Decimal | None) -> None:
        index = self.position[round_id]
        empty = len(self.submission)
        self.requested.setdefault(unit, [ZERO] * empty)[index] += asked or ZERO
        self.reviewed.setdefault(unit, [ZERO] * empty)[index] += decided or ZERO


def _summary(
    columns: _Columns,
    approved: dict[int, Decimal],
    year_cycles: QuerySet[BudgetCycle],
    figure_units: QuerySet[Organization],
) -> RoundSummary:
    submission, requested, reviewed = columns.submission, columns.requested, columns.reviewed
    figures = dict(
        ControlFigure.objects.filter(
            cycle__in=year_cycles, organization__in=figure_units
        ).values_list("organization_id", "amount")
    )
    units = Organization.objects.filter(pk__in={*requested, *approved, *figures}).order_by("code")
    last = len(submission) - 1
    rows = [
        RoundRow(
            unit=unit,
            requested=tuple(requested.get(unit.pk, [ZERO] * len(submission))),
            reviewed=tuple(reviewed.get(unit.pk, [ZERO] * len(submission))[:last]),
            figure=figures.get(unit.pk),
            approved=approved.get(unit.pk) or ZERO,
        )
        for unit in units
    ]
    return RoundSummary(submission, rows, _total(rows, len(submission)))


def _total(rows: Sequence[RoundRow], rounds: int) -> RoundRow:
    """The rows added up: every total is the sum of its column."""
    return RoundRow(
        unit=None,
        requested=tuple(sum((row.requested[i] for row in rows), ZERO) for i in range(rounds)),
        reviewed=tuple(sum((row.reviewed[i] for row in rows), ZERO) for i in range(rounds - 1)),
        figure=sum(figures, ZERO)
        if (figures := [r.figure for r in rows if r.figure is not None])
        else None,
        approved=sum((row.approved for row in rows), ZERO),
    )


def _by_primary(rows: QuerySet[Any], *group: str, path: str = "") -> QuerySet[Any]:
    parent, own = (f"{path}{field}" for field in PRIMARY)
    return rows.annotate(primary=Coalesce(parent, own)).values("primary", *group)


def _recorded(projects: QuerySet[Project], submission: list[BudgetRound]) -> QuerySet[Any]:
    """The figures recorded when each project left a round, summed by unit and round."""
    return _by_primary(
        RoundResult.objects.filter(
            round__in=submission, project__in=projects, state__in=RECORDED_REQUEST_STATES
        ),
        "round_id",
        path="project__",
    ).annotate(
        requested=Coalesce(Sum("requested_amount"), ZERO, output_field=MONEY),
        reviewed=Coalesce(Sum("reviewed_amount"), ZERO, output_field=MONEY),
    )


def _live(projects: QuerySet[Project], submission: list[BudgetRound]) -> QuerySet[Project]:
    """The projects still in their submission round (no figures recorded for it yet)."""
    left = RoundResult.objects.filter(project=OuterRef("pk"), round=OuterRef("review__round"))
    return projects.filter(state__in=COUNTED_STATES, review__round__in=submission).exclude(
        Exists(left)
    )


def _live_reviewed(live: QuerySet[Project]) -> QuerySet[Any]:
    """Their lines' amounts after the reviews so far, summed by unit and round."""
    return _by_primary(
        EstimateLine.objects.filter(project__in=live), "project__review__round_id", path="project__"
    ).annotate(reviewed=Coalesce(Sum(line_amount_after()), ZERO, output_field=MONEY))
