"""The demo's execution (``seed_demo``, through ``budgeting.signals.demo_seeded``): the
approved year's projects with a contract and payments, most behind finance's target of
50 % by 30 September, one carried over to the next year, one closed. Idempotent: a year
whose approved projects have any payment is left as it is."""

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from accounts.models import Role, User
from accounts.permissions import can_submit_for_unit
from budgeting.signals import demo_seeded
from execution import services
from execution.models import Payment
from projects.models import Project, ProjectState

# Each approved project in code order takes the next share paid (of its approved
# amount); the first two are the carried-over one and the closed one.
PAID_SHARES = (Decimal("0.30"), Decimal("0.97"), Decimal("0.20"), Decimal("0.35"), Decimal("0.72"))
SUPPLIERS = ("广州数字政府科技有限公司", "广东政务云服务有限公司", "深圳信息系统集成有限公司")


@receiver(demo_seeded, dispatch_uid="execution.demo")
def seed_on_demo(sender: Any, **kwargs: Any) -> str:
    return seed_execution()


def seed_execution() -> str:
    """Contracts and payments of the approved projects of the demo's latest approved year."""
    approved = list(
        Project.objects.filter(state=ProjectState.APPROVED).select_related("organization")
    )
    if not approved:
        return "Execution: no approved project to execute."
    # Approved projects always have a budget year (only reserve projects lack one).
    year = max(project.budget_year or 0 for project in approved)
    projects = sorted((p for p in approved if p.budget_year == year), key=lambda p: p.code)
    if Payment.objects.filter(project__in=projects).exists():
        return f"Execution: {year} already has payments; left as it is."
    finance = User.objects.filter(roles__contains=[Role.FINANCE_REVIEWER]).first()
    clerks = list(User.objects.filter(roles__contains=[Role.SUBMITTER], is_active=True))
    assert finance is not None
    with transaction.atomic():
        services.set_target(
            year, actor=finance, rate=Decimal("50"), due_on=datetime.date(year, 9, 30)
        )
        for index, project in enumerate(projects):
            clerk = next((c for c in clerks if can_submit_for_unit(c, project.organization)), None)
            if clerk is None or not project.approved_amount:
                continue
            _execute(project, clerk, PAID_SHARES[index % len(PAID_SHARES)], index)
        if projects:
            services.request_carry_over(
                projects[0],
                actor=_clerk_of(projects[0], clerks),
                reason="系统联调延至次年，尾款结转。",
            )
            services.decide_carry_over(projects[0], actor=finance, approve=True)
        if len(projects) > 1:
            project = Project.objects.get(pk=projects[1].pk)
            services.close_project(
                project, actor=finance, expected_version=project.version, comment="已通过验收。"
            )
    return (
        f"Execution: {len(projects)} approved projects of {year} with contracts and payments, "
        "a target of 50 % by 30 September, one carried over, one closed."
    )


def _clerk_of(project: Project, clerks: list[User]) -> User:
    return next(c for c in clerks if can_submit_for_unit(c, project.organization))


def _execute(project: Project, clerk: User, share: Decimal, index: int) -> None:
    assert project.budget_year is not None  # approved projects have their year
    approved = project.approved_amount or Decimal("0")
    contract = services.record_contract(
        project,
        actor=clerk,
        supplier=SUPPLIERS[index % len(SUPPLIERS)],
        amount=_part(approved, max(Decimal("0.90"), share)),
        signed_on=datetime.date(project.budget_year, 3, 15),
    )
    paid = _part(approved, share)
    first = _part(paid, Decimal("0.5"))
    for amount, month in ((first, 5), (paid - first, 8)):
        if amount > 0:
            services.record_payment(
                project,
                actor=clerk,
                amount=amount,
                paid_on=datetime.date(project.budget_year, month, 20),
                contract=contract,
            )


def _part(amount: Decimal, share: Decimal) -> Decimal:
    return (amount * share).quantize(Decimal("0.01"), ROUND_HALF_UP)
