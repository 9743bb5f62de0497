"""The one rule of how much a project may contract and pay: contracts in all, payments
in all, and the payments of one contract never beyond what was approved (less what
finance carried over to the next year), unless a reason is recorded. The clerk's
forms and the treasury's batches (API and file import) ask the same function."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from execution.models import CarryOver, CarryOverState, Contract, Payment
from projects.models import Project
from ui.templatetags.ui import yuan

ZERO = Decimal("0.00")


def spendable(project: Project) -> Decimal:
    """The approved amount less what an approved carry-over took to the next year."""
    carried = (
        CarryOver.objects.filter(project=project, state=CarryOverState.APPROVED).aggregate(
            total=Sum("amount")
        )["total"]
        or ZERO
    )
    return (project.approved_amount or ZERO) - carried


def over_approval(
    project: Project,
    *,
    contracts: Decimal = ZERO,
    payments: Decimal = ZERO,
    per_contract: Mapping[str, tuple[Contract, Decimal]] | None = None,
) -> list[str]:
    """What the new ``contracts`` and ``payments`` (and ``per_contract``: new payments by
    contract reference, with the contract) would take past its limit, in the user's
    language; empty when nothing.
    Call it with the project row locked, so the totals cannot move meanwhile."""
    limit = spendable(project)
    excess = []
    if contracts:
        total = contracts + _sum(Contract.objects.filter(project=project))
        if total > limit:
            excess.append(
                _("Contracts would total %(total)s yuan, more than the approved %(limit)s yuan.")
                % {"total": yuan(total), "limit": yuan(limit)}
            )
    if payments:
        total = payments + _sum(Payment.objects.filter(project=project))
        if total > limit:
            excess.append(
                _("Payments would total %(total)s yuan, more than the approved %(limit)s yuan.")
                % {"total": yuan(total), "limit": yuan(limit)}
            )
    for contract, amount in (per_contract or {}).values():
        total = amount + (_sum(Payment.objects.filter(contract=contract)) if contract.pk else ZERO)
        if total > contract.amount:
            excess.append(
                _(
                    "Payments on contract %(reference)s would total %(total)s yuan, more than "
                    "its %(amount)s yuan."
                )
                % {
                    "reference": contract.reference,
                    "total": yuan(total),
                    "amount": yuan(contract.amount),
                }
            )
    return excess


def _sum(rows: Any) -> Decimal:
    return rows.aggregate(total=Sum("amount"))["total"] or ZERO
