"""Record the treasury's contracts and payments: all of a batch or nothing, idempotent
by the treasury's reference. Callers: the API's write endpoint (a client with the
payments scope, its projects only); the actor is the system, the client named in the
history event.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from audit.services import record_event
from execution.models import Contract, Payment
from projects.models import Project, ProjectState
from standards.pricing import PricingError, check_amount


@dataclass(frozen=True)
class ContractIn:
    reference: str
    project_code: str
    supplier: str
    amount: Decimal
    signed_on: datetime.date


@dataclass(frozen=True)
class PaymentIn:
    reference: str
    project_code: str
    amount: Decimal
    paid_on: datetime.date
    contract_reference: str | None = None


@dataclass(frozen=True)
class BatchResult:
    created: int
    unchanged: int


class BatchRefusedError(Exception):
    """A batch with problems, each with where it is (``payments[3].amount``)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{where}: {message}" for where, message in problems))
        self.problems = problems


def record_batch(
    contracts: list[ContractIn],
    payments: list[PaymentIn],
    *,
    projects: QuerySet[Project],
    source: str,
) -> BatchResult:
    """Write the batch's new contracts and payments; leave those already recorded
    with the same figures; refuse the whole batch (``BatchRefusedError``, nothing
    written) for a project outside ``projects`` or not approved, an amount outside
    0.01 to 999,999,999,999.99, a payment's contract of another project or unknown,
    a reference twice in the batch, or one already recorded with other figures.
    The projects are locked in id order, so two batches queue instead of racing."""
    codes = {item.project_code for item in contracts} | {item.project_code for item in payments}
    with transaction.atomic():
        locked = {
            project.code: project
            for project in projects.select_for_update(of=("self",))
            .filter(code__in=codes)
            .order_by("pk")
        }
        problems: list[tuple[str, str]] = []
        new_contracts = _contracts(contracts, locked, problems)
        known = {
            contract.reference: contract
            for contract in Contract.objects.filter(
                reference__in=[p.contract_reference for p in payments if p.contract_reference]
            )
        }
        known.update({contract.reference: contract for contract in new_contracts})
        new_payments = _payments(payments, locked, known, problems)
        if problems:
            raise BatchRefusedError(problems)
        Contract.objects.bulk_create(new_contracts)
        # A payment of a contract new in this batch takes its id from the saved object.
        Payment.objects.bulk_create(new_payments)
        for code, project in locked.items():
            mine_c = [c for c in new_contracts if c.project_id == project.pk]
            mine_p = [p for p in new_payments if p.project_id == project.pk]
            if mine_c or mine_p:
                record_event(
                    "execution.batch.recorded",
                    actor=None,
                    target=project,
                    target_key=code,
                    comment=source[:200],
                    data={
                        "contracts": [[c.reference, c.amount] for c in mine_c],
                        "payments": [[p.reference, p.amount] for p in mine_p],
                    },
                )
    created = len(new_contracts) + len(new_payments)
    return BatchResult(created=created, unchanged=len(contracts) + len(payments) - created)


def _project(
    code: str, locked: dict[str, Project], where: str, problems: list[tuple[str, str]]
) -> Project | None:
    project = locked.get(code)
    if project is None:
        problems.append((f"{where}.project_code", _("No such project in your scope.")))
    elif project.state != ProjectState.APPROVED:
        problems.append((f"{where}.project_code", _("Only an approved project is executed.")))
        return None
    return project


def _amount(amount: Decimal, where: str, problems: list[tuple[str, str]]) -> None:
    try:
        check_amount(amount, _("The amount"))
    except PricingError as error:
        problems.append((f"{where}.amount", error.message))
        return
    if amount <= 0:
        problems.append((f"{where}.amount", _("An amount above zero.")))


def _unique(reference: str, seen: set[str], where: str, problems: list[tuple[str, str]]) -> bool:
    if reference in seen:
        problems.append((f"{where}.reference", _("The same reference twice in one batch.")))
        return False
    seen.add(reference)
    return True


def _contracts(
    items: list[ContractIn], locked: dict[str, Project], problems: list[tuple[str, str]]
) -> list[Contract]:
    existing = {
        c.reference: c for c in Contract.objects.filter(reference__in=[i.reference for i in items])
    }
    seen: set[str] = set()
    new = []
    for index, item in enumerate(items):
        where = f"contracts[{index}]"
        project = _project(item.project_code, locked, where, problems)
        _amount(item.amount, where, problems)
        if not _unique(item.reference, seen, where, problems) or project is None:
            continue
        figures = (project.pk, item.supplier, item.amount, item.signed_on)
        old = existing.get(item.reference)
        if old is None:
            new.append(
                Contract(
                    reference=item.reference,
                    project=project,
                    supplier=item.supplier,
                    amount=item.amount,
                    signed_on=item.signed_on,
                )
            )
        elif (old.project_id, old.supplier, old.amount, old.signed_on) != figures:
            problems.append((f"{where}.reference", _already(item.reference)))
    return new


def _payments(
    items: list[PaymentIn],
    locked: dict[str, Project],
    contracts: dict[str, Any],
    problems: list[tuple[str, str]],
) -> list[Payment]:
    existing = {
        p.reference: p for p in Payment.objects.filter(reference__in=[i.reference for i in items])
    }
    seen: set[str] = set()
    new = []
    for index, item in enumerate(items):
        where = f"payments[{index}]"
        project = _project(item.project_code, locked, where, problems)
        _amount(item.amount, where, problems)
        contract = contracts.get(item.contract_reference) if item.contract_reference else None
        if item.contract_reference and (
            contract is None or (project is not None and contract.project_id != project.pk)
        ):
            problems.append((f"{where}.contract_reference", _("No such contract of this project.")))
            continue
        if not _unique(item.reference, seen, where, problems) or project is None:
            continue
        old = existing.get(item.reference)
        if old is None:
            new.append(
                Payment(
                    reference=item.reference,
                    project=project,
                    contract=contract,
                    amount=item.amount,
                    paid_on=item.paid_on,
                )
            )
        elif (old.project_id, old.amount, old.paid_on, old.contract_id) != (
            project.pk,
            item.amount,
            item.paid_on,
            contract.pk if contract else None,
        ):
            problems.append((f"{where}.reference", _already(item.reference)))
    return new


def _already(reference: str) -> str:
    return _("%(reference)s is already recorded with other figures.") % {"reference": reference}
