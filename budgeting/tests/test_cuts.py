from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from audit.models import Event
from budgeting import amounts, services
from budgeting.models import BudgetCycle
from budgeting.workflow import WorkflowError
from projects.models import Project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def at_finance(
    ready_project: Project, submitter: User, department_approver: User, data_reviewer: User
) -> Project:
    project = services.submit(
        ready_project, actor=submitter, expected_version=ready_project.version
    )
    for reviewer in (department_approver, data_reviewer):
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
    return project


def _cut(project: Project, actor: User, amount: str, reason: str = "workload_high") -> Project:
    services.set_line_amount(
        project,
        actor=actor,
        expected_version=project.version,
        line_id=project.lines.get().pk,
        approved_amount=Decimal(amount),
        reason=reason,
        comment="开发工作量偏高",
    )
    return Project.objects.get(pk=project.pk)


def test_finance_cuts_a_line_and_the_waterfall_and_approval_follow(
    at_finance: Project, finance_reviewer: User, finance_approver: User, cycle: BudgetCycle
) -> None:
    project = _cut(at_finance, finance_reviewer, "350000")
    project = services.pass_stage(project, actor=finance_reviewer, expected_version=project.version)
    project = services.approve(project, actor=finance_approver, expected_version=project.version)
    assert project.approved_amount == Decimal("350000.00")
    steps = amounts.load(project).waterfall(list(cycle.stages.order_by("order")))
    assert [step.total for step in steps] == [
        Decimal("500000.00"), Decimal("500000.00"), Decimal("500000.00"),
        Decimal("350000.00"), Decimal("350000.00"),
    ]  # fmt: skip
    assert steps[-1].cut == Decimal("150000.00")
    assert steps[-1].cut_rate == Decimal("30.00")
    event = Event.objects.get(event_type="budgeting.line.amount_set")
    assert (event.data["before"], event.data["after"], event.data["reason"]) == (
        "500000.00", "350000.00", "workload_high",
    )  # fmt: skip


def test_a_stage_without_the_power_cannot_cut(
    ready_project: Project, submitter: User, department_approver: User
) -> None:
    project = services.submit(
        ready_project, actor=submitter, expected_version=ready_project.version
    )
    with pytest.raises(WorkflowError, match="do not change amounts"):
        _cut(project, department_approver, "1")


def test_a_cut_needs_a_reason_and_stays_within_the_request(
    at_finance: Project, finance_reviewer: User, data_reviewer: User
) -> None:
    with pytest.raises(WorkflowError, match="reason"):
        _cut(at_finance, finance_reviewer, "100", reason="")
    with pytest.raises(WorkflowError, match="between 0 and"):
        _cut(at_finance, finance_reviewer, "600000")
    with pytest.raises(WorkflowError, match="may not decide"):
        _cut(at_finance, data_reviewer, "100")
    assert not Event.objects.filter(event_type="budgeting.line.amount_set").exists()


def test_cut_through_the_review_page(
    client: Client, at_finance: Project, finance_reviewer: User
) -> None:
    client.force_login(finance_reviewer)
    page = client.get(reverse("budgeting:review", args=[at_finance.code]))
    assert page.context["may_cut"]
    line = at_finance.lines.get()
    response = client.post(
        reverse("budgeting:cut", args=[at_finance.code, line.pk]),
        {"version": at_finance.version, "approved_amount": "400000", "reason": "over_standard"},
    )
    assert response.status_code == 302
    page = client.get(reverse("budgeting:review", args=[at_finance.code]))
    assert page.context["waterfall"][-2].total == Decimal("400000.00")
