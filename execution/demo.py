"""The demo's execution (``seed_demo``, through ``budgeting.signals.demo_seeded``): the
year before the demo's budget year (2026, approved by ``budgeting.last_year_demo``) with
a contract and payments on each project, some behind finance's target of 50 % by 30
September and some on track, one carried over to the next year with finance's approval,
one closed with its final figures. The 2027 continuing projects (续建) continue these, so
their review pages show what their predecessors achieved. Idempotent: a year whose
approved projects have any payment is left as it is."""

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from accounts.models import Role, User
from accounts.permissions import can_submit_for_unit
from budgeting.last_year_demo import LAST_YEAR
from budgeting.signals import demo_seeded
from execution import services
from execution.models import Payment
from projects.models import Project, ProjectState

YEAR = LAST_YEAR  # the year executed
TARGET_RATE = Decimal("50")
# The share of its approved amount each project has paid by 20 August (in two payments).
PAID_SHARES = {
    "全民健康信息平台建设": Decimal("0.30"),  # behind; its unspent part carried over
    "教育政务服务平台建设": Decimal("0.97"),  # on track, and closed
    "考试报名系统建设": Decimal("0.20"),  # behind
    "公安大数据平台建设": Decimal("0.35"),  # behind
    "国土空间基础信息平台建设": Decimal("0.72"),  # on track
}
CARRIED_OVER = "全民健康信息平台建设"
CARRY_OVER_REASON = "系统联调延至次年，尾款结转。"
CLOSED = "教育政务服务平台建设"
CLOSURE_COMMENT = "已通过验收。"
SUPPLIERS = ("广州数字政府科技有限公司", "广东政务云服务有限公司", "深圳信息系统集成有限公司")


@receiver(demo_seeded, dispatch_uid="execution.demo")
def seed_on_demo(sender: Any, **kwargs: Any) -> str:
    return seed_execution()


def seed_execution() -> str:
    """Contracts and payments of the approved projects of ``YEAR``, its target, the
    carry-over and the closure."""
    projects = list(
        Project.objects.filter(
            state=ProjectState.APPROVED, budget_year=YEAR, organization__jurisdiction__parent=None
        )
        .select_related("organization")
        .order_by("code")
    )
    if not projects:
        return f"Execution: no approved project of {YEAR} to execute."
    if Payment.objects.filter(project__budget_year=YEAR).exists():
        return f"Execution: {YEAR} already has payments; left as it is."
    finance = User.objects.get(username="finance_reviewer")
    clerks = list(User.objects.filter(roles__contains=[Role.SUBMITTER], is_active=True))
    with transaction.atomic():
        services.set_target(
            YEAR, actor=finance, rate=TARGET_RATE, due_on=datetime.date(YEAR, 9, 30)
        )
        for index, project in enumerate(projects):
            clerk = next((c for c in clerks if can_submit_for_unit(c, project.organization)), None)
            if clerk is not None and project.approved_amount:
                _execute(project, clerk, _share(project), index)
        by_name = {project.name: project for project in projects}
        if (carried := by_name.get(CARRIED_OVER)) is not None:
            services.request_carry_over(
                carried, actor=_clerk_of(carried, clerks), reason=CARRY_OVER_REASON
            )
            services.decide_carry_over(carried, actor=finance, approve=True)
        if (closed := by_name.get(CLOSED)) is not None:
            closed = Project.objects.get(pk=closed.pk)
            services.close_project(
                closed, actor=finance, expected_version=closed.version, comment=CLOSURE_COMMENT
            )
    behind = sum(1 for project in projects if _share(project) * 100 < TARGET_RATE)
    return (
        f"Execution: {len(projects)} approved projects of {YEAR} with contracts and payments, "
        f"{behind} behind the target of {TARGET_RATE} % by 30 September; "
        f"{CARRIED_OVER} carried over to {YEAR + 1}, {CLOSED} closed."
    )


def _share(project: Project) -> Decimal:
    return PAID_SHARES.get(project.name, Decimal("0.40"))


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
