"""A project's execution at a glance: approved, contracted, paid, execution rate."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from execution.models import Contract, Payment
from projects.models import Project

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Execution:
    approved: Decimal
    contracted: Decimal
    paid: Decimal

    @property
    def rate(self) -> Decimal | None:
        """Paid as a percentage of approved (执行率), two places; None before approval."""
        if not self.approved:
            return None
        return (self.paid / self.approved * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def execution_of(project: Project) -> Execution:
    """Two aggregate queries, whatever the number of contracts and payments."""
    contracted = Contract.objects.filter(project=project).aggregate(total=Sum("amount"))["total"]
    paid = Payment.objects.filter(project=project).aggregate(total=Sum("amount"))["total"]
    return Execution(
        approved=project.approved_amount or ZERO,
        contracted=contracted or ZERO,
        paid=paid or ZERO,
    )
