"""A project's execution at a glance: approved, contracted, paid, carried over, the
execution rate; and the dashboard's projects below the year's target."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from execution.models import CarryOver, CarryOverState, Closure, Contract, Payment
from projects.models import Project

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Execution:
    approved: Decimal
    contracted: Decimal
    paid: Decimal
    carried_over: Decimal = ZERO  # approved by finance, to the next year

    @property
    def rate(self) -> Decimal | None:
        """Paid as a percentage of approved (执行率), two places; None before approval."""
        return rate_of(self.paid, self.approved)

    @property
    def unspent(self) -> Decimal:
        return self.approved - self.paid


def rate_of(paid: Decimal, approved: Decimal | None) -> Decimal | None:
    if not approved:
        return None
    return (paid / approved * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def execution_of(project: Project) -> Execution:
    """One query, whatever the number of contracts and payments."""
    row = (
        Project.objects.filter(pk=project.pk)
        .annotate(**_sums())
        .values("contracted_total", "paid_total", "carried_total")  # type: ignore[misc]
        .get()
    )
    return Execution(
        approved=project.approved_amount or ZERO,
        contracted=row["contracted_total"],
        paid=row["paid_total"],
        carried_over=row["carried_total"],
    )


def _sum_of(model: type, *, extra: dict[str, object] | None = None) -> Coalesce:
    rows = (
        model.objects.filter(project=OuterRef("pk"), **(extra or {}))  # type: ignore[attr-defined]
        .order_by()
        .values("project")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _sums(paid_by: object = None) -> dict[str, Coalesce]:
    """The sums as subqueries of a project query (``paid_by``: only payments on or
    before that date)."""
    return {
        "contracted_total": _sum_of(Contract),
        "paid_total": _sum_of(Payment, extra={"paid_on__lte": paid_by} if paid_by else None),
        "carried_total": _sum_of(CarryOver, extra={"state": CarryOverState.APPROVED}),
    }


def with_execution(projects: QuerySet[Project], *, paid_by: object = None) -> QuerySet[Project]:
    """``projects`` with ``contracted_total``, ``paid_total``, ``carried_total`` and
    ``rate`` (paid ÷ approved × 100) annotated: one query for any number of rows."""
    return projects.annotate(**_sums(paid_by)).annotate(
        rate=ExpressionWrapper(
            F("paid_total") * 100 / F("approved_amount"),
            output_field=DecimalField(max_digits=12, decimal_places=4),
        )
    )


@dataclass(frozen=True)
class PredecessorFigures:
    """What a continuing project's predecessor achieved (the review page's card)."""

    project: Project
    execution: Execution
    closure: Closure | None


def predecessor_figures(project: Project, visible: QuerySet[Project]) -> PredecessorFigures | None:
    """The predecessor's approved, contracted, paid and carried-over figures and its
    closure, if the project continues one among ``visible``; one query."""
    if not project.predecessor_id:
        return None
    predecessor = (
        visible.filter(pk=project.predecessor_id)
        .select_related("organization", "closure")
        .annotate(**_sums())
        .first()
    )
    if predecessor is None:
        return None
    return PredecessorFigures(
        project=predecessor,
        execution=Execution(
            approved=predecessor.approved_amount or ZERO,
            contracted=predecessor.contracted_total,  # type: ignore[attr-defined]
            paid=predecessor.paid_total,  # type: ignore[attr-defined]
            carried_over=predecessor.carried_total,  # type: ignore[attr-defined]
        ),
        closure=getattr(predecessor, "closure", None),
    )
