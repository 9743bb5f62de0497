"""A budget year of two rounds (两上两下) walked through to the approval (二下), shared by
the summary's round columns, the approval-sheet tests and the browser test.

- EDU's "kept" project: 一上 500,000 cut by finance to 400,000; 二上 revised to 410,000
  (within EDU's figure of 420,000) and approved in batch "2027年第一批".
- EDU's "rejected" project: 一上 500,000, rejected by finance (不予安排), not taken into 二上.
- HEALTH's project: 一上 580,000 reviewed whole; 二上 580,000 (figure 600,000), waiting at
  the final stage in 二下.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Organization, Role, User
from accounts.tests.factories import UserFactory
from budgeting import cycles, services
from budgeting.models import ApprovalBatch, BudgetCycle, BudgetRound, CutReason
from budgeting.tests.workflow_fixtures import add_line, advance, make_ready, two_round_year
from projects import services as project_services
from projects.models import Project
from projects.tests.factories import register

DOCUMENT_NUMBER = "粤财预〔2027〕12号"


@dataclass
class RoundsWorld:
    cycle: BudgetCycle
    kept: Project
    rejected: Project
    health: Project
    batch: ApprovalBatch
    education: Organization
    health_unit: Organization

    def round(self, code: str) -> BudgetRound:
        return self.cycle.rounds.get(code=code)


def to_final(project: Project, reviewers: list[User]) -> Project:
    """Pass ``project`` on, each of ``reviewers`` in turn, up to the final stage."""
    for reviewer in reviewers:
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
    return project


def cut_the_line(project: Project, reviewer: User, amount: str) -> Project:
    """Finance cuts the project's one line to ``amount``; the project as it is now."""
    services.set_line_amount(
        project,
        actor=reviewer,
        expected_version=project.version,
        line_id=project.lines.get().pk,
        approved_amount=Decimal(amount),
        reason=CutReason.WORKLOAD_HIGH,
    )
    return Project.objects.get(pk=project.pk)


def log_in_english(client: Client, user: User) -> None:
    client.force_login(user)
    client.cookies["django_language"] = "en"


@pytest.fixture
def rounds_world(
    submitter: User,
    outsider: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> RoundsWorld:
    cycle = two_round_year()
    health_head = UserFactory.create(
        username="health_head", organization=outsider.organization, roles=[Role.DEPARTMENT_APPROVER]
    )
    edu_reviewers = [department_approver, data_reviewer]
    health_reviewers = [health_head, data_reviewer]

    # 一上
    kept = make_ready(register(submitter, name="教育考试平台"), submitter)
    kept = services.submit(kept, actor=submitter, expected_version=kept.version)
    kept = to_final(kept, edu_reviewers)
    kept = cut_the_line(kept, finance_reviewer, "400000")
    kept = to_final(kept, [finance_reviewer])

    rejected = make_ready(register(submitter, name="重复建设的系统"), submitter)
    rejected = services.submit(rejected, actor=submitter, expected_version=rejected.version)
    rejected = to_final(rejected, edu_reviewers)
    rejected = services.reject(
        rejected, actor=finance_reviewer, expected_version=rejected.version, comment="重复建设"
    )

    health = make_ready(register(outsider, name="卫生健康数据平台"), outsider)
    health = add_line(health, outsider, "云主机", "80000", fee_class="基础设施服务费")
    health = services.submit(health, actor=outsider, expected_version=health.version)
    health = to_final(health, [*health_reviewers, finance_reviewer])

    # 一下: control figures; 二上: the reviewed requests come back for revision.
    advance(cycle, finance_reviewer)
    cycles.set_control_figure(
        cycle, submitter.organization, Decimal("420000"), actor=finance_reviewer
    )
    cycles.set_control_figure(cycle, outsider.organization, Decimal("600000"), actor=None)
    advance(cycle, finance_reviewer)

    kept = Project.objects.get(pk=kept.pk)
    old_line = kept.lines.get()
    kept = add_line(kept, submitter, "系统开发（压缩）", "410000", fee_class="软件开发服务费")
    kept = project_services.remove_line(
        kept, actor=submitter, line_id=old_line.pk, expected_version=kept.version
    )
    kept = services.submit(kept, actor=submitter, expected_version=kept.version)
    kept = to_final(kept, [*edu_reviewers, finance_reviewer])
    health = Project.objects.get(pk=health.pk)
    health = services.submit(health, actor=outsider, expected_version=health.version)
    health = to_final(health, [*health_reviewers, finance_reviewer])

    # 二下: the approval, in a batch with its document number.
    advance(cycle, finance_reviewer)
    batch = services.approve_batch(
        [kept],
        actor=finance_approver,
        name="2027年第一批",
        versions={kept.pk: kept.version},
        document_number=DOCUMENT_NUMBER,
    )
    return RoundsWorld(
        cycle=cycle,
        kept=Project.objects.get(pk=kept.pk),
        rejected=Project.objects.get(pk=rejected.pk),
        health=Project.objects.get(pk=health.pk),
        batch=batch,
        education=submitter.organization,
        health_unit=outsider.organization,
    )
