from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from budgeting import cycles, round_changes, rounds, services
from budgeting.models import BudgetCycle, BudgetRound, CycleState
from projects import services as project_services
from projects.models import AttachmentKind, Project
from projects.tests import documents
from projects.tests.factories import register


@pytest.fixture
def cycle(db: None) -> BudgetCycle:
    return open_year()


def open_year() -> BudgetCycle:
    """The open 2027 budget year of the ``cycle`` fixture."""
    now = timezone.now()
    return cycles.create_cycle(
        actor=None,
        year=2027,
        name="2027年度部门预算",
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=20),
        state=CycleState.OPEN,
    )


def two_round_year(year: int = 2027) -> BudgetCycle:
    """An open budget year of two rounds (两上两下), in 一上."""
    now = timezone.now()
    return cycles.create_cycle(
        actor=None,
        year=year,
        name=f"{year}年度部门预算",
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=60),
        state=CycleState.OPEN,
        rounds=rounds.TWO_ROUNDS,
    )


def advance(cycle: BudgetCycle, actor: User) -> BudgetRound:
    """Move the year on by one round, as finance's button on the rounds page does."""
    current = rounds.open_round(list(cycle.rounds.all()))
    return round_changes.advance_round(
        cycle, actor=actor, expected_round=current.pk if current else None
    )


def make_ready(project: Project, clerk: User) -> Project:
    """Add what submission requires: an output and a benefit target, the documents."""
    for tier, indicator in (("output", "quantity"), ("benefit", "social")):
        project = project_services.add_target(
            project,
            actor=clerk,
            expected_version=project.version,
            tier=tier,
            indicator=indicator,
            name=f"{tier}指标",
            target_value="1",
            unit="项",
        )
    for kind in (AttachmentKind.FEASIBILITY_STUDY, AttachmentKind.IMPLEMENTATION_PLAN):
        project_services.attach_document(project, actor=clerk, kind=kind, upload=documents.pdf())
    project.refresh_from_db()
    return add_line(project, clerk, "系统开发", "500000", fee_class="软件开发服务费")


def make_returned(clerk: User, approver: User, name: str, *reasons: str) -> Project:
    """A ready project of ``clerk``'s unit, submitted and returned once per reason."""
    project = make_ready(register(clerk, name=name), clerk)
    for reason in reasons:
        project = services.submit(project, actor=clerk, expected_version=project.version)
        project = services.return_for_revision(
            project, actor=approver, expected_version=project.version, comment=reason
        )
    return project


def add_line(
    project: Project, clerk: User, name: str, price: str, *, fee_class: str = "其他服务费"
) -> Project:
    """Add a non-standard line of one unit at ``price``; the project as it is now."""
    project_services.add_non_standard_line(
        project,
        actor=clerk,
        expected_version=project.version,
        fee_class=fee_class,
        name=name,
        unit="项",
        quantity=Decimal("1"),
        unit_price=Decimal(price),
        justification="测试用非标准明细。",
    )
    return Project.objects.get(pk=project.pk)


@pytest.fixture
def ready_project(cycle: BudgetCycle, submitter: User) -> Project:
    return make_ready(register(submitter), submitter)


@pytest.fixture
def at_finance(
    ready_project: Project, submitter: User, department_approver: User, data_reviewer: User
) -> Project:
    """The ready project submitted and passed by its department and the data administration."""
    return pass_to_finance(ready_project, submitter, department_approver, data_reviewer)


def pass_to_finance(project: Project, clerk: User, *reviewers: User) -> Project:
    """Submit ``project`` and pass it by each of ``reviewers`` (its department, then the
    data administration: it is then at the finance review)."""
    project = services.submit(project, actor=clerk, expected_version=project.version)
    for reviewer in reviewers:
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
    return project
