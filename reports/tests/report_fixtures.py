"""A cycle with figures to report: EDU's project cut by finance and approved, HEALTH's
waiting at the finance review, and an EDU draft. Shared by the report tests and the
browser tests."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from budgeting import services
from budgeting.models import BudgetCycle, CutReason
from budgeting.tests.workflow_fixtures import add_line, make_ready
from projects.models import Project
from projects.tests.factories import register

HOSTILE_NAME = '=HYPERLINK("http://evil","点我")'


@dataclass
class World:
    approved: Project  # EDU: cut by finance, approved
    waiting: Project  # HEALTH: in review at the finance stage, nothing decided on its lines
    draft: Project  # EDU: a draft nobody outside EDU sees


@pytest.fixture
def report_world(
    cycle: BudgetCycle,
    submitter: User,
    outsider: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> World:
    project = make_ready(register(submitter, name=HOSTILE_NAME), submitter)
    project = add_line(project, submitter, HOSTILE_NAME, "200000", fee_class="运行维护服务费")
    project = services.submit(project, actor=submitter, expected_version=project.version)
    for reviewer in (department_approver, data_reviewer):
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
    lines = {line.fee_class: line for line in project.lines.all()}
    for fee_class, amount, reason in (
        ("软件开发服务费", "400000", CutReason.OVER_STANDARD),
        ("运行维护服务费", "150000", CutReason.DUPLICATE),
    ):
        services.set_line_amount(
            project,
            actor=finance_reviewer,
            expected_version=Project.objects.get(pk=project.pk).version,
            line_id=lines[fee_class].pk,
            approved_amount=Decimal(amount),
            reason=reason,
        )
    project = Project.objects.get(pk=project.pk)
    project = services.pass_stage(project, actor=finance_reviewer, expected_version=project.version)
    project = services.approve(project, actor=finance_approver, expected_version=project.version)
    waiting = make_ready(register(outsider, name="卫生健康数据平台"), outsider)
    waiting = add_line(waiting, outsider, "云主机", "80000", fee_class="基础设施服务费")
    waiting = services.submit(waiting, actor=outsider, expected_version=waiting.version)
    health_head = UserFactory.create(
        username="health_head", organization=outsider.organization, roles=[Role.DEPARTMENT_APPROVER]
    )
    for reviewer in (health_head, data_reviewer):
        waiting = services.pass_stage(waiting, actor=reviewer, expected_version=waiting.version)
    draft = add_line(
        register(submitter, name="草稿项目"), submitter, "咨询", "30000", fee_class="其他服务费"
    )
    return World(project, waiting, draft)
