"""A cycle's review in figures: the waterfall (requested → after each stage) and the
cuts by reason, each summed in PostgreSQL over the estimate lines, never in Python.

They count the same projects as every other total (``projects.models.COUNTED_STATES``): in
review, returned for revision or approved; never a draft, a withdrawn or a rejected one.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext

from budgeting.amounts import Step
from budgeting.models import BudgetCycle, CutReason, LineDecision
from projects.models import EstimateLine, Project
from reports.summary import MONEY, ZERO, counted, line_amount_after


def reviewed_projects(projects: QuerySet[Project], cycle: BudgetCycle) -> QuerySet[Project]:
    """The given projects reviewed in the cycle that count toward its totals."""
    return counted(projects.filter(review__cycle=cycle))


def waterfall(projects: QuerySet[Project], cycle: BudgetCycle) -> list[Step]:
    """Requested, then the total once each stage of the cycle has decided: one query."""
    stages = list(cycle.stages.order_by("order"))
    sums = EstimateLine.objects.filter(project__in=reviewed_projects(projects, cycle)).aggregate(
        requested=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
        **{
            f"stage_{stage.order}": Coalesce(
                Sum(line_amount_after(stage.order)), ZERO, output_field=MONEY
            )
            for stage in stages
        },
    )
    requested: Decimal = sums["requested"]
    steps = [Step(gettext("Requested"), requested, ZERO)]
    for stage in stages:
        after: Decimal = sums[f"stage_{stage.order}"]
        steps.append(Step(str(stage), after, requested - after))
    return steps


@dataclass(frozen=True)
class ReasonRow:
    reason: str
    label: str | Promise
    decisions: int
    amount: Decimal  # cut by these decisions, against the amount before each


def cut_reasons(projects: QuerySet[Project], cycle: BudgetCycle) -> list[ReasonRow]:
    """Cuts by reason, largest amount first: how many line decisions gave the reason and
    how much they cut from the amount the line had before that stage. One query."""
    earlier = (
        LineDecision.objects.filter(
            line=OuterRef("line"), stage__order__lt=OuterRef("stage__order")
        )
        .order_by("-stage__order")
        .values("approved_amount")[:1]
    )
    before = Coalesce(Subquery(earlier), F("line__amount"), output_field=MONEY)
    rows = (
        LineDecision.objects.filter(
            stage__cycle=cycle, line__project__in=reviewed_projects(projects, cycle)
        )
        .exclude(reason="")
        .values("reason")
        .annotate(
            decisions=Count("pk"),
            amount=Coalesce(Sum(before - F("approved_amount")), ZERO, output_field=MONEY),
        )
        .order_by("-amount", "reason")
    )
    labels = dict(CutReason.choices)
    return [
        ReasonRow(
            row["reason"], labels.get(row["reason"], row["reason"]), row["decisions"], row["amount"]
        )
        for row in rows
    ]
