"""The control figure's bite (二上): in a round bound by figures (``rounds.bound_by_figures``),
a unit's counted requests may not exceed the figure finance issued to its primary unit.

Counted are the requests of the primary unit and its secondary units submitted in the
round and still asking (in review or approved), plus the one being decided. Three
queries whatever the number of projects: the figure, finance's allowance, one sum (and
one for the largest requests named in a refusal).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from budgeting.models import BudgetRound, ControlFigure, ExcessAllowance
from projects.models import Project, ProjectState

# Listed by name in a refusal, the largest first; the rest are summed up.
LISTED_PROJECTS = 10
TEN_THOUSAND = Decimal("10000")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Excess:
    figure: Decimal
    total: Decimal
    count: int  # the counted requests, this one included
    largest: list[tuple[str, str, Decimal]]  # code, name, requested; the largest first

    @property
    def amount(self) -> Decimal:
        return self.total - self.figure

    def message(self) -> str:
        listed = "; ".join(f"{code} {name} {wan(amount)}" for code, name, amount in self.largest)
        more = self.count - len(self.largest)
        if more > 0:
            listed += " " + _("and %(count)s more") % {"count": more}
        return _(
            "Over the control figure by %(excess)s (10,000 yuan): the unit's figure is "
            "%(figure)s, its counted requests in this round come to %(total)s. Counted: "
            "%(projects)s. Nothing was changed."
        ) % {
            "excess": wan(self.amount),
            "figure": wan(self.figure),
            "total": wan(self.total),
            "projects": listed,
        }


def wan(amount: Decimal) -> str:
    """Yuan in 万元 with two places, half-up, as finance states ceilings."""
    return f"{(amount / TEN_THOUSAND).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


def primary_unit_id(project: Project) -> int:
    return project.organization.parent_id or project.organization_id


@dataclass(frozen=True)
class FigureStanding:
    """The unit's figure against its counted requests with the project counted, for the
    review page: what the refusal would say, and whether finance allowed it."""

    figure: Decimal
    total: Decimal
    allowed: bool
    round_name: str

    @property
    def excess(self) -> Decimal:
        return max(self.total - self.figure, Decimal("0.00"))

    @property
    def remaining(self) -> Decimal:
        return max(self.figure - self.total, Decimal("0.00"))


def figure_standing(project: Project, round_: BudgetRound) -> FigureStanding | None:
    """The unit's figure and counted total with ``project`` counted; None without a figure."""
    figure = _figure(project, round_)
    if figure is None:
        return None
    total = _others(project, round_).aggregate(total=Sum("requested_amount"))["total"]
    allowed = ExcessAllowance.objects.filter(project=project, round=round_).exists()
    return FigureStanding(
        figure=figure,
        total=(total or ZERO) + project.requested_amount,
        allowed=allowed,
        round_name=round_.name,
    )


def _figure(project: Project, round_: BudgetRound) -> Decimal | None:
    return (
        ControlFigure.objects.filter(
            cycle_id=round_.cycle_id, organization_id=primary_unit_id(project)
        )
        .values_list("amount", flat=True)
        .first()
    )


def excess_over_figure(project: Project, round_: BudgetRound) -> Excess | None:
    """How far counting ``project`` would take its unit over the figure in ``round_``;
    None if it stays within, the unit has no figure, or finance allowed the excess.
    The sum is one query, the projects named in a refusal one more."""
    figure = _figure(project, round_)
    if figure is None:
        return None
    if ExcessAllowance.objects.filter(project=project, round=round_).exists():
        return None
    others = _others(project, round_)
    counted = others.aggregate(total=Sum("requested_amount"), count=Count("pk"))
    total = (counted["total"] or ZERO) + project.requested_amount
    if total <= figure:
        return None
    rows = list(
        others.order_by("-requested_amount", "code").values_list(
            "code", "name", "requested_amount"
        )[:LISTED_PROJECTS]
    )
    largest = sorted(
        [*rows, (project.code, project.name, project.requested_amount)],
        key=lambda row: (-row[2], row[0]),
    )[:LISTED_PROJECTS]
    return Excess(figure=figure, total=total, count=counted["count"] + 1, largest=largest)


def _others(project: Project, round_: BudgetRound) -> QuerySet[Project]:
    """The unit's other requests counted in ``round_``: its primary unit's and the
    secondary units', submitted in the round and still asking."""
    primary = primary_unit_id(project)
    return Project.objects.filter(
        Q(organization_id=primary) | Q(organization__parent_id=primary),
        review__round=round_,
        state__in=(ProjectState.IN_REVIEW, ProjectState.APPROVED),
    ).exclude(pk=project.pk)
