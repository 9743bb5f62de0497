"""The clerk's contracts and payments, finance's target, carry-over and closure:
each refusal, the over-approval reason, closure blocking writes, history rows."""

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone, translation

from accounts.models import User
from audit.models import Event
from execution import services
from execution.figures import execution_of
from execution.models import CarryOver, CarryOverState, Closure, Contract, Payment
from execution.services import ExecutionError, PaymentIn, record_batch
from projects.models import Project, ProjectState

pytestmark = pytest.mark.django_db
DAY = datetime.date(2027, 3, 1)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def contract(
    project: Project, clerk: User, amount: str, *, over_approval_reason: str = ""
) -> Contract:
    return services.record_contract(
        project,
        actor=clerk,
        supplier="广州某科技有限公司",
        amount=Decimal(amount),
        signed_on=DAY,
        over_approval_reason=over_approval_reason,
    )


def pay(project: Project, clerk: User, amount: str, **more: Any) -> Payment:
    return services.record_payment(
        project, actor=clerk, amount=Decimal(amount), paid_on=DAY, **more
    )


def test_the_clerk_records_a_contract_and_a_payment_with_history(
    approved: Project, submitter: User
) -> None:
    signed = contract(approved, submitter, "300000.00")
    paid = pay(approved, submitter, "100000.00", contract=signed)
    assert signed.reference == f"{approved.code}-HT001"
    assert paid.reference == f"{approved.code}-ZF001"
    assert paid.recorded_by == submitter
    figures = execution_of(approved)
    assert (figures.approved, figures.contracted, figures.paid) == (
        Decimal("500000.00"),
        Decimal("300000.00"),
        Decimal("100000.00"),
    )
    assert figures.rate == Decimal("20.00")
    types = list(
        Event.objects.filter(target_key=approved.code, event_type__startswith="execution.")
        .order_by("pk")
        .values_list("event_type", flat=True)
    )
    assert types == ["execution.contract.recorded", "execution.payment.recorded"]


def test_over_the_approval_only_with_a_reason(approved: Project, submitter: User) -> None:
    with pytest.raises(ExecutionError, match="more than the approved") as refused:
        contract(approved, submitter, "500000.01")
    assert refused.value.field == "over_approval_reason"
    assert not Contract.objects.exists()
    signed = contract(approved, submitter, "600000.00", over_approval_reason="补充协议")
    assert signed.over_approval_reason == "补充协议"
    assert Event.objects.get(event_type="execution.contract.recorded").comment == "补充协议"
    pay(approved, submitter, "500000.00")
    with pytest.raises(ExecutionError, match="Payments would total"):
        pay(approved, submitter, "0.01")
    assert pay(approved, submitter, "0.01", over_approval_reason="调整").amount == Decimal("0.01")


def test_a_contract_s_payments_stay_within_it(approved: Project, submitter: User) -> None:
    signed = contract(approved, submitter, "1000.00")
    pay(approved, submitter, "800.00", contract=signed)
    with pytest.raises(ExecutionError, match="Payments on contract"):
        pay(approved, submitter, "200.01", contract=signed)
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("amount", ["0", "-1", "0.001", "1000000000000.00"])
def test_an_amount_outside_the_limits_is_refused(
    approved: Project, submitter: User, amount: str
) -> None:
    with pytest.raises(ExecutionError):
        contract(approved, submitter, amount)
    assert not Contract.objects.exists()


def test_only_the_unit_s_clerk_records_and_only_when_approved(
    approved: Project, at_finance: Project, submitter: User, outsider: User, finance_reviewer: User
) -> None:
    for someone in (outsider, finance_reviewer):
        with pytest.raises(ExecutionError, match="Only the unit's submitters"):
            contract(approved, someone, "1.00")
    with pytest.raises(ExecutionError, match="Only an approved project"):
        contract(at_finance, submitter, "1.00")


def test_the_treasury_batch_keeps_the_same_rule(approved: Project) -> None:
    item = PaymentIn("ZF-1", approved.code, Decimal("500000.01"), DAY)
    with pytest.raises(services.BatchRefusedError) as refused:
        record_batch([], [item], projects=Project.objects.all(), source="test")
    assert refused.value.problems[0][0] == "payments[0].amount"
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "day",
    [
        datetime.date(9999, 12, 31),
        datetime.date(1, 1, 1),
        datetime.date(1999, 12, 31),
        datetime.date(2100, 12, 31),
        # Past the end of next year, the budget year being prepared.
        datetime.date(timezone.localdate().year + 2, 1, 1),
    ],
)
def test_a_date_outside_the_budget_years_is_refused_everywhere(
    approved: Project, submitter: User, day: datetime.date
) -> None:
    """A contract signed or a payment made in 9999 (or year 1) is a typing slip: refused
    at its field by the clerk's forms and, by the same rule, the treasury's batches."""
    with pytest.raises(ExecutionError) as refused:
        services.record_contract(
            approved, actor=submitter, supplier="某公司", amount=Decimal("1.00"), signed_on=day
        )
    assert refused.value.field == "signed_on"
    with pytest.raises(ExecutionError) as refused:
        services.record_payment(approved, actor=submitter, amount=Decimal("1.00"), paid_on=day)
    assert refused.value.field == "paid_on"
    contract_in = services.ContractIn("HT-1", approved.code, "某公司", Decimal("1.00"), day)
    item = PaymentIn("ZF-1", approved.code, Decimal("1.00"), day)
    with pytest.raises(services.BatchRefusedError) as batch:
        record_batch([contract_in], [item], projects=Project.objects.all(), source="test")
    assert [where for where, _message in batch.value.problems] == [
        "contracts[0].signed_on",
        "payments[0].paid_on",
    ]
    assert not Contract.objects.exists() and not Payment.objects.exists()


def test_finance_sets_the_year_s_target(finance_reviewer: User, submitter: User) -> None:
    target = services.set_target(
        2027, actor=finance_reviewer, rate=Decimal("50"), due_on=datetime.date(2027, 9, 30)
    )
    again = services.set_target(
        2027, actor=finance_reviewer, rate=Decimal("60"), due_on=datetime.date(2027, 9, 30)
    )
    assert again.pk == target.pk and again.rate == Decimal("60")
    events = Event.objects.filter(event_type="execution.target.set").order_by("pk")
    assert events.last().data["before"]["rate"] == "50.00"  # type: ignore[union-attr]
    with pytest.raises(ExecutionError, match="Only finance"):
        services.set_target(2027, actor=submitter, rate=Decimal("50"), due_on=DAY)
    for rate in ("0", "100.01"):
        with pytest.raises(ExecutionError):
            services.set_target(2027, actor=finance_reviewer, rate=Decimal(rate), due_on=DAY)
    with pytest.raises(ExecutionError):
        services.set_target(
            2027, actor=finance_reviewer, rate=Decimal(50), due_on=datetime.date(2030, 1, 1)
        )


def test_carry_over_requested_then_approved_at_the_unspent_amount(
    approved: Project, submitter: User, finance_reviewer: User
) -> None:
    pay(approved, submitter, "100000.00")
    with pytest.raises(ExecutionError, match="reason"):
        services.request_carry_over(approved, actor=submitter, reason="  ")
    with pytest.raises(ExecutionError, match="Only the unit"):
        services.request_carry_over(approved, actor=finance_reviewer, reason="x")
    carry = services.request_carry_over(approved, actor=submitter, reason="工期延后")
    assert (carry.amount, carry.to_year, carry.state) == (
        Decimal("400000.00"),
        2028,
        CarryOverState.REQUESTED,
    )
    with pytest.raises(ExecutionError, match="already"):
        services.request_carry_over(approved, actor=submitter, reason="again")
    with pytest.raises(ExecutionError, match="Only finance"):
        services.decide_carry_over(approved, actor=submitter, approve=True)
    pay(approved, submitter, "50000.00")  # paid meanwhile: less is carried
    decided = services.decide_carry_over(approved, actor=finance_reviewer, approve=True)
    assert (decided.amount, decided.state) == (Decimal("350000.00"), CarryOverState.APPROVED)
    assert execution_of(approved).carried_over == Decimal("350000.00")
    with pytest.raises(ExecutionError, match="No carry-over request"):
        services.decide_carry_over(approved, actor=finance_reviewer, approve=True)
    # What was carried over is no longer this year's to spend.
    with pytest.raises(ExecutionError, match=r"more than the approved 150,000\.00"):
        pay(approved, submitter, "0.01")
    events = Event.objects.filter(event_type__startswith="execution.carry_over").order_by("pk")
    assert [e.event_type for e in events] == [
        "execution.carry_over.requested",
        "execution.carry_over.approved",
    ]


def test_a_refused_carry_over_needs_a_comment_and_may_be_asked_again(
    approved: Project, submitter: User, finance_reviewer: User
) -> None:
    services.request_carry_over(approved, actor=submitter, reason="延期")
    with pytest.raises(ExecutionError, match="why"):
        services.decide_carry_over(approved, actor=finance_reviewer, approve=False)
    services.decide_carry_over(approved, actor=finance_reviewer, approve=False, comment="不符合")
    assert CarryOver.objects.get().state == CarryOverState.REFUSED
    again = services.request_carry_over(approved, actor=submitter, reason="补充说明")
    assert again.state == CarryOverState.REQUESTED and CarryOver.objects.count() == 1


def test_closure_freezes_the_figures_and_blocks_writes(
    approved: Project, submitter: User, finance_reviewer: User
) -> None:
    signed = contract(approved, submitter, "300000.00")
    pay(approved, submitter, "280000.00", contract=signed)
    with pytest.raises(ExecutionError, match="Only finance"):
        services.close_project(approved, actor=submitter, expected_version=approved.version)
    with pytest.raises(ExecutionError, match="Someone acted"):
        services.close_project(
            approved, actor=finance_reviewer, expected_version=approved.version - 1
        )
    services.request_carry_over(approved, actor=submitter, reason="尾款")
    with pytest.raises(ExecutionError, match="still waiting"):
        services.close_project(approved, actor=finance_reviewer, expected_version=approved.version)
    services.decide_carry_over(approved, actor=finance_reviewer, approve=True)
    closure = services.close_project(
        approved, actor=finance_reviewer, expected_version=approved.version, comment="验收"
    )
    assert (closure.approved, closure.contracted, closure.paid, closure.carried_over) == (
        Decimal("500000.00"),
        Decimal("300000.00"),
        Decimal("280000.00"),
        Decimal("220000.00"),
    )
    approved.refresh_from_db()
    assert approved.state == ProjectState.CLOSED
    event = Event.objects.get(event_type="execution.project.closed")
    assert (event.from_state, event.to_state) == ("approved", "closed")
    with pytest.raises(ExecutionError, match="closed"):
        pay(approved, submitter, "1.00")
    with pytest.raises(ExecutionError, match="closed"):
        contract(approved, submitter, "1.00")
    with pytest.raises(ExecutionError, match="not possible"):
        services.close_project(approved, actor=finance_reviewer, expected_version=approved.version)
    item = PaymentIn("ZF-9", approved.code, Decimal("1.00"), DAY)
    with pytest.raises(services.BatchRefusedError, match="closed"):
        record_batch([], [item], projects=Project.objects.all(), source="test")
    assert Closure.objects.count() == 1


def test_another_jurisdiction_s_finance_neither_carries_over_nor_closes(
    approved: Project, submitter: User, finance_reviewer: User
) -> None:
    """Issue #18: once the unit is a city's, the province's finance no longer decides."""
    from accounts.models import AdministrativeLevel, Jurisdiction

    province = Jurisdiction.objects.get(parent=None)
    city = Jurisdiction.objects.create(
        code="GD-GZ", name="广州市", level=AdministrativeLevel.CITY, parent=province
    )
    services.request_carry_over(approved, actor=submitter, reason="工期延后")
    approved.organization.jurisdiction = city
    approved.organization.save(update_fields=["jurisdiction"])
    with pytest.raises(ExecutionError, match="Only finance"):
        services.decide_carry_over(approved, actor=finance_reviewer, approve=True)
    with pytest.raises(ExecutionError, match="Only finance"):
        services.close_project(approved, actor=finance_reviewer, expected_version=approved.version)
    assert CarryOver.objects.get(project=approved).state == CarryOverState.REQUESTED
    assert not Closure.objects.filter(project=approved).exists()
