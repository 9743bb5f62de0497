"""Record the treasury's contracts and payments: all of a batch or nothing, idempotent
by the treasury's reference. Callers: the API's write endpoint (a client with the
payments scope, its projects only); the actor is the system, the client named in the
history event.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.db.models import BooleanField, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.jurisdictions import lock_jurisdiction
from accounts.models import User
from accounts.permissions import jurisdiction_id_of
from audit.services import record_event, record_events
from budgeting.workflow import LifeAction, Transition, WorkflowError, check_transition
from execution import file_import, payment_file
from execution.figures import execution_of
from execution.limits import (
    ZERO,
    Totals,
    date_refusal,
    excess,
    over_approval,
    paid_by_contract,
)
from execution.messages import already_message, closed_message
from execution.models import (
    CarryOver,
    CarryOverState,
    Closure,
    Contract,
    ExecutionTarget,
    Payment,
)
from execution.permissions import can_record_execution, import_scope, is_finance, is_finance_for
from ops.bulk import copy_rows
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
    actor: User | None = None,
) -> BatchResult:
    """Write the batch's new contracts and payments; leave those already recorded with the same
    figures; refuse the whole batch (``BatchRefusedError``, nothing written) for a project
    outside ``projects`` or not approved, an amount outside 0.01 to 999,999,999,999.99, a
    date outside 2000 to the end of next year (``limits.date_refusal``), a payment's
    contract of another project or unknown, a reference twice in the batch, one already
    recorded with other figures, or new rows that take a project's contracts or payments (or
    a contract's payments) past what was approved (``over_approval``: a batch carries no
    reason for that). The projects are locked in id order, so two batches queue instead of
    racing. ``actor``: the finance user importing a file; None for the API's client."""
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
            for contract in _with_references(
                Contract, [p.contract_reference for p in payments if p.contract_reference]
            )
        }
        known.update({contract.reference: contract for contract in new_contracts})
        new_payments = _payments(payments, locked, known, problems)
        if not problems:
            _within_approval(
                locked.values(), (contracts, payments), new_contracts, new_payments, problems
            )
        if problems:
            raise BatchRefusedError(problems)
        Contract.objects.bulk_create(new_contracts)
        now = timezone.now()
        # COPY: a treasury file may hold a hundred thousand payments (ops.bulk). A payment
        # of a contract new in this batch takes its id from the contract just saved.
        copy_rows(
            Payment,
            (
                (p.reference, p.project_id, p.contract.pk if p.contract else None, p.amount,
                 p.paid_on, now, actor.pk if actor else None, "")
                for p in new_payments
            ),
            PAYMENT_COLUMNS,
        )  # fmt: skip
        new_of = _by_project(new_contracts, new_payments)
        record_events(
            {
                "event_type": "execution.batch.recorded",
                "actor": actor,
                "target": project,
                "target_key": code,
                "comment": source[:200],
                "data": {
                    "contracts": [[c.reference, str(c.amount)] for c in mine_c],
                    "payments": [[p.reference, str(p.amount)] for p in mine_p],
                    "paid": sum((p.amount for p in mine_p), ZERO),
                },
            }
            for code, project in locked.items()
            for mine_c, mine_p in [new_of.get(project.pk, ([], []))]
            if mine_c or mine_p
        )
    created = len(new_contracts) + len(new_payments)
    return BatchResult(created=created, unchanged=len(contracts) + len(payments) - created)


SEPARATOR = "\x1f"  # ASCII unit separator


def _with_references(model: type[Contract] | type[Payment], references: list[str]) -> Any:
    """The rows of ``model`` with these references, the list passed as one array
    (``reference__in`` would spell out a hundred thousand placeholders)."""
    if not references:
        return model.objects.none()
    # Constant SQL, the references a bound parameter.
    return model.objects.filter(
        RawSQL("reference = ANY(%s)", (references,), output_field=BooleanField())
    )


def _project(
    code: str, locked: dict[str, Project], where: str, problems: list[tuple[str, str]]
) -> Project | None:
    project = locked.get(code)
    if project is None:
        problems.append((f"{where}.project_code", _("No such project in your scope.")))
    elif project.state == ProjectState.CLOSED:
        problems.append((f"{where}.project_code", closed_message()))
        return None
    elif project.state != ProjectState.APPROVED:
        problems.append((f"{where}.project_code", _("Only an approved project is executed.")))
        return None
    return project


THE_AMOUNT = gettext_lazy("The amount")


def _amount(amount: Decimal, where: str, problems: list[tuple[str, str]]) -> None:
    try:
        check_amount(amount, THE_AMOUNT)
    except PricingError as error:
        problems.append((f"{where}.amount", error.message))
        return
    if amount <= 0:
        problems.append((f"{where}.amount", _("An amount above zero.")))


def _day(day: datetime.date, where: str, problems: list[tuple[str, str]]) -> None:
    refused = date_refusal(day)
    if refused:
        problems.append((where, refused))


def _unique(reference: str, seen: set[str], where: str, problems: list[tuple[str, str]]) -> bool:
    if reference in seen:
        problems.append((f"{where}.reference", _("The same reference twice in one batch.")))
        return False
    seen.add(reference)
    return True


def _contracts(
    items: list[ContractIn], locked: dict[str, Project], problems: list[tuple[str, str]]
) -> list[Contract]:
    existing = {c.reference: c for c in _with_references(Contract, [i.reference for i in items])}
    seen: set[str] = set()
    new = []
    for index, item in enumerate(items):
        where = f"contracts[{index}]"
        project = _project(item.project_code, locked, where, problems)
        _amount(item.amount, where, problems)
        _day(item.signed_on, f"{where}.signed_on", problems)
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
            problems.append((f"{where}.reference", already_message(item.reference)))
    return new


@dataclass(slots=True)
class NewPayment:
    """A payment of a batch to write: a plain row, not a model object (a treasury file
    holds a hundred thousand of them, written with COPY)."""

    reference: str
    project_id: int
    contract: Contract | None
    amount: Decimal
    paid_on: datetime.date


PAYMENT_COLUMNS = (
    "reference", "project_id", "contract_id", "amount", "paid_on", "recorded_at",
    "recorded_by_id", "over_approval_reason",
)  # fmt: skip


def _payments(
    items: list[PaymentIn],
    locked: dict[str, Project],
    contracts: dict[str, Any],
    problems: list[tuple[str, str]],
) -> list["NewPayment"]:
    existing = {p.reference: p for p in _with_references(Payment, [i.reference for i in items])}
    seen: set[str] = set()
    new = []
    for index, item in enumerate(items):
        where = f"payments[{index}]"
        project = _project(item.project_code, locked, where, problems)
        _amount(item.amount, where, problems)
        _day(item.paid_on, f"{where}.paid_on", problems)
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
            new.append(NewPayment(item.reference, project.pk, contract, item.amount, item.paid_on))
        elif (old.project_id, old.amount, old.paid_on, old.contract_id) != (
            project.pk,
            item.amount,
            item.paid_on,
            contract.pk if contract else None,
        ):
            problems.append((f"{where}.reference", already_message(item.reference)))
    return new


def _by_project(
    contracts: list[Contract], payments: list[NewPayment]
) -> dict[int, tuple[list[Contract], list[NewPayment]]]:
    grouped: dict[int, tuple[list[Contract], list[NewPayment]]] = {}
    for contract in contracts:
        grouped.setdefault(contract.project_id, ([], []))[0].append(contract)
    for payment in payments:
        grouped.setdefault(payment.project_id, ([], []))[1].append(payment)
    return grouped


def _within_approval(
    projects: Any,
    items: tuple[list[ContractIn], list[PaymentIn]],
    contracts: list[Contract],
    payments: list[NewPayment],
    problems: list[tuple[str, str]],
) -> None:
    """Each project's new rows against what it may spend (``limits.excess``), reported
    at the project's first new row (``contracts[i]`` or ``payments[i]``). Four queries
    for any number of projects."""
    by_project = _by_project(contracts, payments)
    totals = Totals.of(by_project)
    on_contracts = [p for p in payments if p.contract is not None]
    before = paid_by_contract({p.contract.pk for p in on_contracts if p.contract.pk})  # type: ignore[union-attr]
    index_of = (
        {item.reference: i for i, item in enumerate(items[0])},
        {item.reference: i for i, item in enumerate(items[1])},
    )
    new_on: dict[int, dict[str, tuple[Contract, Decimal]]] = {}
    for payment in on_contracts:
        contract = payment.contract
        assert contract is not None
        mine = new_on.setdefault(payment.project_id, {})
        paid = mine.get(contract.reference, (contract, ZERO))[1]
        mine[contract.reference] = (contract, paid + payment.amount)
    for project in projects:
        if project.pk not in by_project:
            continue
        mine_c, mine_p = by_project[project.pk]
        found = excess(
            project,
            totals,
            contracts=sum((c.amount for c in mine_c), ZERO),
            payments=sum((p.amount for p in mine_p), ZERO),
            per_contract=[
                (contract, before.get(contract.pk, ZERO) if contract.pk else ZERO, new)
                for contract, new in new_on.get(project.pk, {}).values()
            ],
        )
        if found:
            kind, at = (
                ("payments", index_of[1][mine_p[0].reference])
                if mine_p
                else ("contracts", index_of[0][mine_c[0].reference])
            )
            problems.append((f"{kind}[{at}].amount", " ".join(found)))


# --- The unit's clerk, finance: contracts and payments typed in, carry-over, closure -------


class ExecutionError(Exception):
    """A refused execution action, with a message for the user; ``field`` names the
    form field it is about, if one is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def record_contract(
    project: Project,
    *,
    actor: User,
    supplier: str,
    amount: Decimal,
    signed_on: datetime.date,
    over_approval_reason: str = "",
    listed: int | None = None,
) -> Contract:
    """The unit's clerk records a contract of an approved project. Refused for another unit's
    clerk, a project not approved (or closed), an amount outside 0.01 to 999,999,999,999.99,
    a date outside 2000 to the end of next year, and contracts totalling more than the
    approved amount unless ``over_approval_reason`` says why (kept on the contract and in
    the history). ``listed``: how many contracts the clerk's page showed; with more recorded
    by now (the same form sent twice), nothing is recorded."""
    with transaction.atomic():
        locked = _lock_for_recording(project, actor)
        _check_listed(locked.contracts, listed)
        _check_amount(amount)
        _check_day(signed_on, "signed_on")
        reason = _reason_for(over_approval(locked, contracts=amount), over_approval_reason.strip())
        contract = Contract.objects.create(
            reference=_next_reference(Contract, locked, "HT"),
            project=locked,
            supplier=supplier.strip(),
            amount=amount,
            signed_on=signed_on,
            recorded_by=actor,
            over_approval_reason=reason,
        )
        record_event(
            "execution.contract.recorded",
            actor=actor,
            target=locked,
            target_key=locked.code,
            comment=reason,
            data={
                "reference": contract.reference,
                "supplier": contract.supplier,
                "amount": amount,
                "signed_on": signed_on.isoformat(),
            },
        )
    return contract


def record_payment(
    project: Project,
    *,
    actor: User,
    amount: Decimal,
    paid_on: datetime.date,
    contract: Contract | None = None,
    over_approval_reason: str = "",
    listed: int | None = None,
) -> Payment:
    """The unit's clerk records a payment of an approved project, perhaps against one of
    its contracts. Refused as ``record_contract``, and for payments totalling more than
    the approved amount, or a contract's payments more than the contract, unless
    ``over_approval_reason`` says why; ``listed`` as ``record_contract``'s."""
    with transaction.atomic():
        locked = _lock_for_recording(project, actor)
        _check_listed(locked.payments, listed)
        _check_amount(amount)
        _check_day(paid_on, "paid_on")
        if contract is not None and contract.project_id != locked.pk:
            raise ExecutionError(_("No such contract of this project."), field="contract")
        reason = _reason_for(
            over_approval(locked, payments=amount, contract=contract),
            over_approval_reason.strip(),
        )
        payment = Payment.objects.create(
            reference=_next_reference(Payment, locked, "ZF"),
            project=locked,
            contract=contract,
            amount=amount,
            paid_on=paid_on,
            recorded_by=actor,
            over_approval_reason=reason,
        )
        record_event(
            "execution.payment.recorded",
            actor=actor,
            target=locked,
            target_key=locked.code,
            comment=reason,
            data={
                "reference": payment.reference,
                "contract": contract.reference if contract else "",
                "amount": amount,
                "paid_on": paid_on.isoformat(),
            },
        )
    return payment


def _lock_for_recording(project: Project, actor: User) -> Project:
    locked = _lock_project(project)
    if not can_record_execution(actor, locked):
        raise ExecutionError(_("Only the unit's submitters record its contracts and payments."))
    if locked.state == ProjectState.CLOSED:
        raise ExecutionError(closed_message())
    if locked.state != ProjectState.APPROVED:
        raise ExecutionError(_("Only an approved project is executed."))
    return locked


def _check_listed(records: Any, listed: int | None) -> None:
    """Refuse a clerk's form drawn when fewer of the project's contracts (or payments) were
    recorded than now: the same form sent twice (a double click) records once. Checked
    under the project's lock, which every recording takes first."""
    if listed is not None and records.count() != listed:
        raise ExecutionError(
            _(
                "Another entry was recorded on this project after this page was opened "
                "(perhaps this same form, sent twice), so this one was not recorded. Check "
                "the list above before recording it again."
            )
        )


def _lock_project(project: Project) -> Project:
    return (
        Project.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=project.pk)
    )


def _check_amount(amount: Decimal) -> None:
    try:
        check_amount(amount, _("The amount"))
    except PricingError as error:
        raise ExecutionError(error.message, field="amount") from error
    if amount <= 0:
        raise ExecutionError(_("An amount above zero."), field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ExecutionError(_("At most two decimal places (fen)."), field="amount")


def _check_day(day: datetime.date, field: str) -> None:
    refused = date_refusal(day)
    if refused:
        raise ExecutionError(refused, field=field)


def _reason_for(excess: list[str], reason: str) -> str:
    """The reason to keep: "" within the approval; the given one beyond it; refused
    beyond it without one."""
    if not excess:
        return ""
    if not reason:
        raise ExecutionError(
            " ".join(
                [*excess, _("Give the reason for exceeding the approved amount to record it.")]
            ),
            field="over_approval_reason",
        )
    return reason


def _next_reference(model: type[Contract] | type[Payment], project: Project, prefix: str) -> str:
    """A reference for a row typed in: the project's code, the kind and a number (the
    treasury's own references look otherwise, so they never meet)."""
    number = model.objects.filter(project=project).count() + 1
    while model.objects.filter(reference=f"{project.code}-{prefix}{number:03d}").exists():
        number += 1
    return f"{project.code}-{prefix}{number:03d}"


def set_target(year: int, *, actor: User, rate: Decimal, due_on: datetime.date) -> ExecutionTarget:
    """Finance sets the year's execution target of its own jurisdiction (rate in %, by a
    date), replacing the one before (kept in the history). Refused for anyone else and a
    rate outside 0 < rate ≤ 100 or a date outside the budget year and the next."""
    # The actor's own jurisdiction's target: a city's finance never moves the province's.
    jurisdiction_id = jurisdiction_id_of(actor)
    if not is_finance(actor) or jurisdiction_id is None:
        raise ExecutionError(_("Only finance sets the execution target."))
    if not (0 < rate <= 100) or rate != rate.quantize(Decimal("0.01")):
        raise ExecutionError(
            _("The target rate is a percentage above 0 and at most 100, two places."),
            field="rate",
        )
    if due_on.year not in (year, year + 1):
        raise ExecutionError(_("The date falls in the budget year (or the next)."), field="due_on")
    with transaction.atomic():
        # Two finance users setting a year's first target at once: the second waits and
        # replaces the first's (no row yet for ``select_for_update`` to lock).
        lock_jurisdiction(jurisdiction_id)
        target = (
            ExecutionTarget.objects.select_for_update()
            .filter(year=year, jurisdiction_id=jurisdiction_id)
            .first()
        )
        before = {"rate": target.rate, "due_on": target.due_on.isoformat()} if target else {}
        if target is None:
            target = ExecutionTarget(year=year, jurisdiction_id=jurisdiction_id)
        target.rate, target.due_on, target.set_by, target.set_at = (
            rate,
            due_on,
            actor,
            timezone.now(),
        )
        target.save()
        record_event(
            "execution.target.set",
            actor=actor,
            target=target,
            target_key=str(year),
            data={
                "jurisdiction": jurisdiction_id,
                "before": before,
                "after": {"rate": rate, "due_on": due_on.isoformat()},
            },
        )
    return target


def request_carry_over(project: Project, *, actor: User, reason: str) -> CarryOver:
    """The unit's clerk asks to carry the unspent amount (approved − paid) of an approved
    project over to the next year, with a reason. Refused for another unit's clerk, a
    project not approved (closed included), nothing unspent, no reason, or a request
    already waiting or approved (a refused one may be asked again)."""
    reason = reason.strip()
    with transaction.atomic():
        locked = _lock_project(project)
        if not can_record_execution(actor, locked):
            raise ExecutionError(_("Only the unit's submitters ask to carry a project over."))
        _check_life(locked, LifeAction.CARRY_OVER)
        if not reason:
            raise ExecutionError(_("Give the reason for the carry-over."), field="reason")
        unspent = _unspent(locked)
        if unspent <= 0:
            raise ExecutionError(_("Nothing is left unspent to carry over."))
        existing = CarryOver.objects.select_for_update().filter(project=locked).first()
        if existing is not None and existing.state != CarryOverState.REFUSED:
            raise ExecutionError(
                _("A carry-over of this project is already %(state)s.")
                % {"state": existing.get_state_display()}
            )
        carry = existing or CarryOver(project=locked)
        assert locked.budget_year is not None  # an approved project has its year
        carry.amount, carry.to_year, carry.reason = unspent, locked.budget_year + 1, reason
        carry.state, carry.requested_by, carry.requested_at = (
            CarryOverState.REQUESTED,
            actor,
            timezone.now(),
        )
        carry.decided_by, carry.decided_at, carry.decision_comment = None, None, ""
        carry.save()
        record_event(
            "execution.carry_over.requested",
            actor=actor,
            target=locked,
            target_key=locked.code,
            comment=reason,
            data={"amount": unspent, "to_year": carry.to_year},
        )
    return carry


def decide_carry_over(
    project: Project, *, actor: User, approve: bool, comment: str = ""
) -> CarryOver:
    """Finance approves or refuses a waiting carry-over request. An approval carries the
    unspent amount as it is now (payments may have come in since the request); refused
    for anyone but finance, no waiting request, a project no longer approved, nothing
    left unspent, or a refusal without a comment."""
    comment = comment.strip()
    with transaction.atomic():
        locked = _lock_project(project)
        if not is_finance_for(actor, locked):
            raise ExecutionError(_("Only finance decides a carry-over."))
        carry = CarryOver.objects.select_for_update().filter(project=locked).first()
        if carry is None or carry.state != CarryOverState.REQUESTED:
            raise ExecutionError(_("No carry-over request of this project is waiting."))
        _check_life(locked, LifeAction.CARRY_OVER)
        if not approve and not comment:
            raise ExecutionError(_("Say why the carry-over is refused."), field="comment")
        requested = carry.amount
        if approve:
            carry.amount = _unspent(locked)
            if carry.amount <= 0:
                raise ExecutionError(_("Nothing is left unspent to carry over."))
        carry.state = CarryOverState.APPROVED if approve else CarryOverState.REFUSED
        carry.decided_by, carry.decided_at, carry.decision_comment = actor, timezone.now(), comment
        carry.save()
        record_event(
            f"execution.carry_over.{carry.state}",
            actor=actor,
            target=locked,
            target_key=locked.code,
            comment=comment,
            data={"requested": requested, "amount": carry.amount, "to_year": carry.to_year},
        )
    return carry


def close_project(
    project: Project, *, actor: User, expected_version: int, comment: str = ""
) -> Closure:
    """Finance closes (结项) an approved project: its final figures (approved,
    contracted, paid, carried over) are frozen and no contract or payment is recorded
    after. Refused for anyone but finance, another state, a page older than the
    project, or a carry-over request still waiting."""
    with transaction.atomic():
        locked = _lock_project(project)
        if not is_finance_for(actor, locked):
            raise ExecutionError(_("Only finance closes a project."))
        if locked.version != expected_version:
            raise ExecutionError(
                _(
                    "Someone acted on this project after you opened it; nothing was changed. "
                    "Reload the page to see its current state."
                )
            )
        transition = _check_life(locked, LifeAction.CLOSE)
        if CarryOver.objects.filter(project=locked, state=CarryOverState.REQUESTED).exists():
            raise ExecutionError(_("A carry-over request is still waiting for finance's decision."))
        figures = execution_of(locked)
        closure = Closure.objects.create(
            project=locked,
            approved=figures.approved,
            contracted=figures.contracted,
            paid=figures.paid,
            carried_over=figures.carried_over,
            comment=comment.strip(),
            closed_by=actor,
        )
        from_state = locked.state
        locked.state = transition.target
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=["state", "version", "updated_at"])
        record_event(
            "execution.project.closed",
            actor=actor,
            target=locked,
            target_key=locked.code,
            from_state=from_state,
            to_state=locked.state,
            comment=closure.comment,
            data={
                "approved": figures.approved,
                "contracted": figures.contracted,
                "paid": figures.paid,
                "carried_over": figures.carried_over,
                "version": locked.version,
            },
        )
    return closure


def _check_life(project: Project, action: LifeAction) -> Transition:
    try:
        return check_transition(project, action)
    except WorkflowError as error:
        raise ExecutionError(error.message) from error


def _unspent(project: Project) -> Decimal:
    paid = Payment.objects.filter(project=project).aggregate(total=Sum("amount"))["total"]
    return (project.approved_amount or ZERO) - (paid or ZERO)


@dataclass(frozen=True)
class ImportResult:
    created: int
    unchanged: int
    total: Decimal  # the file's total, every row


def import_payments(file: IO[bytes], name: str, *, actor: User) -> ImportResult:
    """Finance imports the treasury's payments file (.xlsx or .csv): every row written or
    none, by the batch service's rules (idempotent by the payment reference, within the
    approval: ``file_import``, which checks and writes all rows at once). Refused with
    every problem by sheet, row and column (``FileRefusedError``), or ``ValidationError``
    for a file too large or no workbook."""
    if not is_finance(actor):
        raise ExecutionError(_("Only finance imports the treasury's payments."))
    payments = payment_file.read(file, name)
    sheet = "CSV" if name.lower().endswith(".csv") else payment_file.SHEET
    with transaction.atomic():
        written = file_import.write_rows(
            payments, sheet=sheet, projects=import_scope(actor), source=name, actor=actor
        )
    return ImportResult(created=written.created, unchanged=written.unchanged, total=written.total)
