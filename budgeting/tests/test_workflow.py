from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from accounts.models import User
from audit.models import Event
from budgeting import services
from budgeting.models import BudgetCycle, CycleState, Review
from budgeting.workflow import WorkflowError
from projects.models import Project, ProjectState
from projects.tests.factories import register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _stage(project: Project) -> str:
    review = Review.objects.select_related("stage").get(project=project)
    return review.stage.code if review.stage else ""


def _submit(project: Project, clerk: User) -> Project:
    return services.submit(project, actor=clerk, expected_version=project.version)


def test_submit_lists_every_missing_thing(cycle: BudgetCycle, submitter: User) -> None:
    project = register(submitter)
    with pytest.raises(WorkflowError) as refused:
        _submit(project, submitter)
    message = refused.value.message
    assert "estimate line" in message
    assert "output target" in message
    assert "benefit target" in message
    assert "Feasibility study report" in message
    assert "Construction or implementation plan" in message
    project.refresh_from_db()
    assert project.state == ProjectState.DRAFT
    assert not Event.objects.filter(event_type="budgeting.project.submit").exists()


def test_submit_is_refused_when_the_window_is_closed(
    ready_project: Project, submitter: User, cycle: BudgetCycle
) -> None:
    cycle.closes_at = timezone.now() - timedelta(minutes=1)
    cycle.opens_at = cycle.closes_at - timedelta(days=30)
    cycle.save()
    with pytest.raises(WorkflowError, match=r"window .* is not open"):
        _submit(ready_project, submitter)


def test_submit_goes_to_the_department_stage_and_is_recorded(
    ready_project: Project, submitter: User
) -> None:
    project = _submit(ready_project, submitter)
    assert project.state == ProjectState.IN_REVIEW
    assert _stage(project) == "department"
    event = Event.objects.get(event_type="budgeting.project.submit")
    assert (event.from_state, event.to_state) == ("draft", "in_review")
    assert event.actor == submitter
    assert event.data["to_stage"] == "department"
    assert event.data["requested_amount"] == "500000.00"


def test_only_the_units_submitters_may_submit(
    ready_project: Project, department_approver: User, outsider: User
) -> None:
    for person in (department_approver, outsider):
        with pytest.raises(WorkflowError):
            _submit(ready_project, person)


def test_whole_path_of_a_managed_project(
    ready_project: Project,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    project = _submit(ready_project, submitter)
    for reviewer, stage in (
        (department_approver, "technical"),
        (data_reviewer, "finance"),
        (finance_reviewer, "final"),
    ):
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
        assert _stage(project) == stage
    project = services.approve(project, actor=finance_approver, expected_version=project.version)
    assert project.state == ProjectState.APPROVED
    assert project.approved_amount == project.requested_amount
    assert _stage(project) == ""
    kinds = list(
        Event.objects.filter(target_key=project.code, event_type__startswith="budgeting")
        .order_by("id")
        .values_list("event_type", flat=True)
    )
    assert kinds == [
        "budgeting.project.submit",
        "budgeting.project.pass",
        "budgeting.project.pass",
        "budgeting.project.pass",
        "budgeting.project.approve",
    ]


def test_unmanaged_project_skips_the_technical_review(
    cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    from budgeting.tests.workflow_fixtures import make_ready

    project = make_ready(register(submitter, managed_by_data_admin=False), submitter)
    project = _submit(project, submitter)
    project = services.pass_stage(
        project, actor=department_approver, expected_version=project.version
    )
    assert _stage(project) == "finance"


@pytest.mark.parametrize(
    "persona", ["data_reviewer", "finance_reviewer", "finance_approver", "submitter", "admin_user"]
)
def test_only_the_stage_reviewer_decides(
    request: pytest.FixtureRequest, ready_project: Project, submitter: User, persona: str
) -> None:
    project = _submit(ready_project, submitter)
    person = request.getfixturevalue(persona)
    with pytest.raises(WorkflowError, match="may not decide"):
        services.pass_stage(project, actor=person, expected_version=project.version)
    with pytest.raises(WorkflowError, match="may not decide"):
        services.reject(project, actor=person, expected_version=project.version, comment="不行")
    assert Project.objects.get(pk=project.pk).state == ProjectState.IN_REVIEW


def test_approver_of_another_department_cannot_decide(
    ready_project: Project, submitter: User, health
) -> None:
    from accounts.models import Role
    from accounts.tests.factories import UserFactory

    foreign_head = UserFactory.create(organization=health, roles=[Role.DEPARTMENT_APPROVER])
    project = _submit(ready_project, submitter)
    with pytest.raises(WorkflowError):
        services.pass_stage(project, actor=foreign_head, expected_version=project.version)


def test_return_needs_a_reason_and_makes_the_project_editable_again(
    ready_project: Project, submitter: User, department_approver: User
) -> None:
    project = _submit(ready_project, submitter)
    with pytest.raises(WorkflowError, match="Give a reason"):
        services.return_for_revision(
            project, actor=department_approver, expected_version=project.version, comment="  "
        )
    project = services.return_for_revision(
        project,
        actor=department_approver,
        expected_version=project.version,
        comment="请补充需求分析",
    )
    assert project.state == ProjectState.RETURNED
    assert project.is_editable_state
    event = Event.objects.get(event_type="budgeting.project.return")
    assert event.comment == "请补充需求分析"
    project = _submit(project, submitter)
    assert Review.objects.get(project=project).submissions == 2


def test_return_to_the_previous_stage(
    ready_project: Project, submitter: User, department_approver: User, data_reviewer: User
) -> None:
    project = _submit(ready_project, submitter)
    project = services.pass_stage(
        project, actor=department_approver, expected_version=project.version
    )
    project = services.return_for_revision(
        project,
        actor=data_reviewer,
        expected_version=project.version,
        comment="请部门复核",
        to_previous_stage=True,
    )
    assert project.state == ProjectState.IN_REVIEW
    assert _stage(project) == "department"
    with pytest.raises(WorkflowError, match="no previous stage"):
        services.return_for_revision(
            project,
            actor=department_approver,
            expected_version=project.version,
            comment="x",
            to_previous_stage=True,
        )


def test_reject_is_final(
    ready_project: Project, submitter: User, department_approver: User
) -> None:
    project = _submit(ready_project, submitter)
    project = services.reject(
        project, actor=department_approver, expected_version=project.version, comment="重复建设"
    )
    assert project.state == ProjectState.REJECTED
    assert not project.is_editable_state
    with pytest.raises(WorkflowError, match="not possible"):
        _submit(project, submitter)


def test_withdraw_only_until_the_first_decision(
    ready_project: Project, submitter: User, department_approver: User
) -> None:
    project = _submit(ready_project, submitter)
    project = services.withdraw(project, actor=submitter, expected_version=project.version)
    assert project.state == ProjectState.WITHDRAWN
    project = _submit(project, submitter)
    project = services.pass_stage(
        project, actor=department_approver, expected_version=project.version
    )
    with pytest.raises(WorkflowError, match="already decided"):
        services.withdraw(project, actor=submitter, expected_version=project.version)


@pytest.mark.parametrize("action", ["pass_stage", "reject", "withdraw", "approve"])
def test_actions_on_a_draft_are_refused(
    ready_project: Project, submitter: User, action: str
) -> None:
    with pytest.raises(WorkflowError, match="not possible while the project is Draft"):
        getattr(services, action)(
            ready_project, actor=submitter, expected_version=ready_project.version, comment="x"
        )


def test_a_stale_version_changes_nothing(
    ready_project: Project, submitter: User, department_approver: User
) -> None:
    project = _submit(ready_project, submitter)
    stale = project.version
    services.pass_stage(project, actor=department_approver, expected_version=stale)
    with pytest.raises(WorkflowError, match="Someone acted on this project"):
        services.reject(project, actor=department_approver, expected_version=stale, comment="晚了")
    assert Project.objects.get(pk=project.pk).state == ProjectState.IN_REVIEW
    assert not Event.objects.filter(event_type="budgeting.project.reject").exists()


def test_pass_at_the_final_stage_is_refused_and_approve_elsewhere_too(
    ready_project: Project, submitter: User, department_approver: User, finance_approver: User
) -> None:
    project = _submit(ready_project, submitter)
    with pytest.raises(WorkflowError):
        services.approve(project, actor=department_approver, expected_version=project.version)


def test_cycle_has_the_default_stages(cycle: BudgetCycle) -> None:
    stages = list(
        cycle.stages.order_by("order").values_list(
            "code", "role", "condition", "may_change_amounts", "is_final"
        )
    )
    assert stages == [
        ("department", "department_approver", "always", False, False),
        ("technical", "data_reviewer", "managed", False, False),
        ("finance", "finance_reviewer", "always", True, False),
        ("final", "finance_approver", "always", False, True),
    ]
    assert cycle.state == CycleState.OPEN
