"""``Project.reached_roles``: written by the services as a project enters a stage, and
filled for existing projects from their history by budgeting migration 0007."""

import importlib

import pytest
from django.apps import apps

from accounts.models import Role, User
from budgeting import services
from budgeting.models import BudgetCycle
from budgeting.tests.workflow_fixtures import make_ready
from projects.models import Project
from projects.tests.factories import register

pytestmark = pytest.mark.django_db

migration = importlib.import_module("budgeting.migrations.0007_reached_roles_from_history")


def test_each_stage_entered_adds_its_role_and_nothing_takes_it_away(
    at_finance: Project, submitter: User, finance_reviewer: User
) -> None:
    assert at_finance.reached_roles == [
        Role.DATA_REVIEWER,
        Role.DEPARTMENT_APPROVER,
        Role.FINANCE_REVIEWER,
    ]
    project = services.return_for_revision(
        at_finance, actor=finance_reviewer, expected_version=at_finance.version, comment="补充"
    )
    project = services.submit(project, actor=submitter, expected_version=project.version)
    project = services.withdraw(project, actor=submitter, expected_version=project.version)
    project.refresh_from_db()
    assert project.reached_roles == at_finance.reached_roles


def test_the_migration_rebuilds_what_the_services_wrote_from_the_history(
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    draft = register(submitter, name="草稿")
    withdrawn = make_ready(register(submitter, name="撤回"), submitter)
    withdrawn = services.submit(withdrawn, actor=submitter, expected_version=withdrawn.version)
    withdrawn = services.withdraw(withdrawn, actor=submitter, expected_version=withdrawn.version)
    approved = make_ready(register(submitter, name="批复"), submitter)
    approved = services.submit(approved, actor=submitter, expected_version=approved.version)
    for reviewer in (department_approver, data_reviewer, finance_reviewer, finance_approver):
        act = services.approve if reviewer is finance_approver else services.pass_stage
        approved = act(approved, actor=reviewer, expected_version=approved.version)
    rejected = make_ready(register(submitter, name="技术审核不予安排"), submitter)
    rejected = services.submit(rejected, actor=submitter, expected_version=rejected.version)
    rejected = services.pass_stage(
        rejected, actor=department_approver, expected_version=rejected.version
    )
    rejected = services.reject(
        rejected, actor=data_reviewer, expected_version=rejected.version, comment="重复建设"
    )
    written = dict(Project.objects.values_list("code", "reached_roles"))
    assert written[approved.code] == sorted(
        [Role.DEPARTMENT_APPROVER, Role.DATA_REVIEWER, Role.FINANCE_REVIEWER, Role.FINANCE_APPROVER]
    )
    assert written[rejected.code] == [Role.DATA_REVIEWER, Role.DEPARTMENT_APPROVER]
    assert written[withdrawn.code] == [Role.DEPARTMENT_APPROVER]
    assert written[draft.code] == []

    Project.objects.update(reached_roles=[])
    migration.fill_from_history(apps, None)
    assert dict(Project.objects.values_list("code", "reached_roles")) == written
