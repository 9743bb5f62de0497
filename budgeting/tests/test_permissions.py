"""The review scope helpers: each queryset agrees with its object-level twin."""

import pytest
from django.http import Http404

from accounts.models import Organization, Role, User
from accounts.tests.factories import UserFactory
from budgeting import permissions, services
from budgeting.models import ApprovalBatch, BudgetCycle
from budgeting.review_views import tasks_for
from budgeting.tests.workflow_fixtures import make_ready
from projects.models import Project
from projects.tests.factories import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def exam_project(cycle: BudgetCycle, secondary_submitter: User) -> Project:
    """EDUEXAM's request, waiting at the department review."""
    project = make_ready(register(secondary_submitter), secondary_submitter)
    return services.submit(project, actor=secondary_submitter, expected_version=project.version)


def test_the_primary_units_approver_decides_on_its_secondary_units_request(
    exam_project: Project, department_approver: User
) -> None:
    assert list(permissions.reviews_decided_by(department_approver)) == [exam_project.review]
    assert permissions.can_decide_at(department_approver, exam_project, exam_project.review.stage)


def test_a_secondary_units_approver_gets_no_task_it_may_not_decide(
    exam_project: Project, exam_authority: Organization
) -> None:
    """The department review is the primary unit's: the task list says what can_decide_at says."""
    approver = UserFactory.create(organization=exam_authority, roles=[Role.DEPARTMENT_APPROVER])
    assert not permissions.can_decide_at(approver, exam_project, exam_project.review.stage)
    assert not tasks_for(approver).exists()


def test_the_department_stage_is_decided_by_the_approvers_of_the_primary_unit(
    exam_project: Project, department_approver: User, exam_authority: Organization
) -> None:
    UserFactory.create(organization=exam_authority, roles=[Role.DEPARTMENT_APPROVER])
    stage = exam_project.review.stage
    assert stage is not None
    assert list(permissions.deciders_at(exam_project, stage)) == [department_approver]


def test_other_stages_are_decided_by_their_role(
    exam_project: Project, finance_reviewer: User, finance_approver: User
) -> None:
    finance = exam_project.review.cycle.stages.get(code="finance")
    assert list(permissions.deciders_at(exam_project, finance)) == [finance_reviewer]


def test_reviewers_and_outsiders_decide_nothing_at_the_department_review(
    exam_project: Project, finance_reviewer: User, outsider: User
) -> None:
    assert not permissions.reviews_decided_by(finance_reviewer).exists()
    assert not permissions.reviews_decided_by(outsider).exists()


def test_only_the_units_submitters_get_its_requests_to_submit(
    exam_project: Project, submitter: User, secondary_submitter: User, outsider: User
) -> None:
    assert list(permissions.projects_submittable_by(submitter)) == [exam_project]
    assert list(permissions.projects_submittable_by(secondary_submitter)) == [exam_project]
    assert not permissions.projects_submittable_by(outsider).exists()


def test_an_inactive_units_requests_are_nobodys_to_submit(
    exam_project: Project, submitter: User, exam_authority: Organization
) -> None:
    exam_authority.is_active = False
    exam_authority.save(update_fields=["is_active"])
    exam_project.refresh_from_db()
    assert not permissions.can_submit(submitter, exam_project)
    assert not permissions.projects_submittable_by(submitter).exists()


@pytest.mark.parametrize(
    "persona",
    ["submitter", "department_approver", "data_reviewer", "finance_reviewer", "admin_user"],
)
def test_only_finance_approvers_open_batches(
    request: pytest.FixtureRequest, persona: str, cycle: BudgetCycle, finance_approver: User
) -> None:
    batch = ApprovalBatch.objects.create(cycle=cycle, name="第一批", approved_by=finance_approver)
    assert permissions.get_batch_for_user(finance_approver, str(batch.public_id)) == batch
    user = request.getfixturevalue(persona)
    assert not permissions.can_approve_batches(user)
    with pytest.raises(Http404):
        permissions.get_batch_for_user(user, str(batch.public_id))


@pytest.mark.parametrize(
    ("persona", "units"),
    [
        ("finance_reviewer", {"EDU", "HEALTH"}),
        ("finance_approver", {"EDU", "HEALTH"}),
        ("admin_user", {"EDU", "HEALTH"}),
        ("submitter", {"EDU"}),
        ("department_approver", {"EDU"}),
        ("secondary_submitter", set()),
        ("data_reviewer", set()),
        ("outsider", {"HEALTH"}),
    ],
)
def test_control_figures_are_seen_by_finance_and_each_primary_unit_for_itself(
    request: pytest.FixtureRequest,
    persona: str,
    units: set[str],
    exam_authority: Organization,
    health: Organization,
    finance_department: Organization,
) -> None:
    user = request.getfixturevalue(persona)
    seen = set(permissions.control_figure_units(user).values_list("code", flat=True))
    assert seen == units
