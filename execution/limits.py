"""The one rule of how much a project may contract and pay: contracts in all, payments
in all, and the payments of one contract never beyond what was approved (less what
finance carried over to the next year), unless a reason is recorded. The clerk's
forms (``over_approval``) and the treasury's batches, API and file import
(``Totals.of`` for all their projects at once), ask the same function, ``excess``."""

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from execution.models import CarryOver, CarryOverState, Contract, Payment
from projects.models import Project
from ui.templatetags.ui import yuan

ZERO = Decimal("0.00")
# A contract's or payment's date: from 2000 to the end of next year (the budget year being
# prepared). 9999-12-31, 2100 or year 1 is a typing slip, which would count as paid "by"
# any date of the dashboard. The clerk's forms, the API's batches and the file alike.
FIRST_DAY = datetime.date(2000, 1, 1)


def last_day() -> datetime.date:
    """The latest date of a contract or payment: 31 December of next year."""
    return datetime.date(timezone.localdate().year + 1, 12, 31)


def date_refusal(day: datetime.date) -> str | None:
    """Why ``day`` is no date of a contract or payment, or None."""
    last = last_day()
    if FIRST_DAY <= day <= last:
        return None
    return _("A date from %(first)s to %(last)s.") % {
        "first": FIRST_DAY.isoformat(),
        "last": last.isoformat(),
    }


# A treasury reference (a payment's, a contract's): what the API's schema takes and the
# payments file alike (issue #17), one rule in one place. Letters and digits, then also
# ". _ / -", at most 64 characters: no space, tab, backslash, ``\N`` or leading "=",
# nothing a spreadsheet, COPY or a URL would read otherwise.
REFERENCE_MAX = 64
REFERENCE_PATTERN = rf"[A-Za-z0-9][A-Za-z0-9._/-]{{0,{REFERENCE_MAX - 1}}}"
REFERENCE = re.compile(REFERENCE_PATTERN)
# A column of references joined by newlines, checked in one match (no Python call a row).
REFERENCES = re.compile(rf"(?:{REFERENCE_PATTERN}\n)*{REFERENCE_PATTERN}")


def reference_refusal(reference: str) -> str | None:
    """Why ``reference`` is no treasury reference, or None."""
    if REFERENCE.fullmatch(reference):
        return None
    return _(
        "A reference is at most %(max)s letters, digits and . _ / -, starting with a "
        "letter or digit."
    ) % {"max": REFERENCE_MAX}


def all_references(references: Sequence[str]) -> bool:
    """Whether every item of a column of text is a treasury reference: one regex match
    over the column joined by newlines (a payments file's hundred thousand in about ten
    milliseconds), and as many lines as items (a newline inside one is no reference)."""
    joined = "\n".join(references)
    return REFERENCES.fullmatch(joined) is not None and joined.count("\n") == len(references) - 1


@dataclass(frozen=True)
class Totals:
    """What projects have contracted, paid and carried over so far, by project id."""

    contracted: Mapping[int, Decimal]
    paid: Mapping[int, Decimal]
    carried: Mapping[int, Decimal]

    @classmethod
    def of(cls, project_ids: Iterable[int] | QuerySet[Any]) -> "Totals":
        """Three queries for any number of projects (ids, or a query of their ids, which
        the three take as a subquery)."""
        ids = project_ids if isinstance(project_ids, QuerySet) else list(project_ids)
        return cls(
            contracted=_by_project(Contract.objects.filter(project_id__in=ids)),
            paid=_by_project(Payment.objects.filter(project_id__in=ids)),
            carried=_by_project(
                CarryOver.objects.filter(project_id__in=ids, state=CarryOverState.APPROVED)
            ),
        )

    def spendable(self, project: Project) -> Decimal:
        """The approved amount less what an approved carry-over took to the next year."""
        return (project.approved_amount or ZERO) - self.carried.get(project.pk, ZERO)


def excess(
    project: Project,
    totals: Totals,
    *,
    contracts: Decimal = ZERO,
    payments: Decimal = ZERO,
    per_contract: Iterable[tuple[Contract, Decimal, Decimal]] = (),
) -> list[str]:
    """What the new ``contracts`` and ``payments`` (and ``per_contract``: each contract
    with what it had paid before and its new payments) would take past its limit, in
    the user's language; empty when nothing."""
    limit = totals.spendable(project)
    found = []
    total = contracts + totals.contracted.get(project.pk, ZERO)
    if contracts and total > limit:
        found.append(
            _("Contracts would total %(total)s yuan, more than the approved %(limit)s yuan.")
            % {"total": yuan(total), "limit": yuan(limit)}
        )
    total = payments + totals.paid.get(project.pk, ZERO)
    if payments and total > limit:
        found.append(
            _("Payments would total %(total)s yuan, more than the approved %(limit)s yuan.")
            % {"total": yuan(total), "limit": yuan(limit)}
        )
    for contract, before, new in per_contract:
        if before + new > contract.amount:
            found.append(
                _(
                    "Payments on contract %(reference)s would total %(total)s yuan, more than "
                    "its %(amount)s yuan."
                )
                % {
                    "reference": contract.reference,
                    "total": yuan(before + new),
                    "amount": yuan(contract.amount),
                }
            )
    return found


def over_approval(
    project: Project,
    *,
    contracts: Decimal = ZERO,
    payments: Decimal = ZERO,
    contract: Contract | None = None,
) -> list[str]:
    """``excess`` for one new row of one project (the clerk's forms). Call it with the
    project row locked, so the totals cannot move meanwhile."""
    per_contract = []
    if contract is not None:
        before = Payment.objects.filter(contract=contract).aggregate(total=Sum("amount"))
        per_contract.append((contract, before["total"] or ZERO, payments))
    return excess(
        project,
        Totals.of([project.pk]),
        contracts=contracts,
        payments=payments,
        per_contract=per_contract,
    )


def paid_by_contract(contract_ids: Iterable[int]) -> dict[int, Decimal]:
    """What each contract has been paid so far (one query)."""
    rows = (
        Payment.objects.filter(contract_id__in=list(contract_ids))
        .values_list("contract_id")
        .annotate(total=Sum("amount"))
    )
    return dict(rows)


def _by_project(rows: Any) -> dict[int, Decimal]:
    return dict(rows.order_by().values_list("project_id").annotate(total=Sum("amount")))
