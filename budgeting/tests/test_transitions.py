"""The transition table, exhaustively: every action from every state, allowed or
refused, with the history row an allowed one writes and nothing written by a
refused one; every stage's decisions per role; the stage conditions."""

from collections.abc import Iterator

import pytest
from django.utils import translation

from accounts.models import User
from audit.models import Event
from budgeting import services, workflow
from budgeting.models import BudgetCycle, Review, ReviewStage, StageCondition
from budgeting.review_views import ACTIONS
from budgeting.tests.workflow_fixtures import make_ready
from budgeting.workflow import Action, WorkflowError
from projects.models import Project, ProjectState
from projects.tests.factories import register

S = ProjectState

# Written out again here, not read from workflow.TRANSITIONS, so a change to the
# table has to be a deliberate change to this test too: action -> (from, to).
EXPECTED_TABLE = {
    Action.SUBMIT: ({S.DRAFT, S.RETURNED, S.WITHDRAWN}, S.IN_REVIEW),
    Action.PASS: ({S.IN_REVIEW}, S.IN_REVIEW),
    Action.RETURN: ({S.IN_REVIEW}, S.RETURNED),
    Action.REJECT: ({S.IN_REVIEW}, S.REJECTED),
    Action.WITHDRAW: ({S.IN_REVIEW}, S.WITHDRAWN),
    Action.APPROVE: ({S.IN_REVIEW}, S.APPROVED),
    # The project library's (budgeting.library; each from every state: test_library.py).
    Action.DECLARE: ({S.RESERVE}, S.DRAFT),
    Action.RETURN_TO_RESERVE: ({S.REJECTED, S.APPROVED}, S.RESERVE),
}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.mark.parametrize("state", list(ProjectState))
@pytest.mark.parametrize("action", list(Action))
def test_the_table_allows_exactly_these_transitions(action: Action, state: ProjectState) -> None:
    project = Project(state=state)
    sources, target = EXPECTED_TABLE[action]
    if state in sources:
        assert workflow.check_transition(project, action).target == target
    else:
        with pytest.raises(WorkflowError, match="is not possible while the project is"):
            workflow.check_transition(project, action)


# Every action from every state, through the services, with the natural actor.

# Where a project stands: its state and, in review, its stage.
SITUATIONS = [
    "draft",
    "department",  # in review, at the department stage, nobody has decided yet
    "final",  # in review, at final approval
    "returned",
    "rejected",
    "withdrawn",
    "approved",
]

# (situation, action) -> (state after, stage after); absent means refused.
OUTCOMES = {
    ("draft", Action.SUBMIT): (S.IN_REVIEW, "department"),
    ("returned", Action.SUBMIT): (S.IN_REVIEW, "department"),
    ("withdrawn", Action.SUBMIT): (S.IN_REVIEW, "department"),
    ("department", Action.PASS): (S.IN_REVIEW, "technical"),
    ("department", Action.RETURN): (S.RETURNED, ""),
    ("department", Action.REJECT): (S.REJECTED, ""),
    ("department", Action.WITHDRAW): (S.WITHDRAWN, ""),
    ("final", Action.APPROVE): (S.APPROVED, ""),
    ("final", Action.RETURN): (S.RETURNED, ""),
    ("final", Action.REJECT): (S.REJECTED, ""),
    # Refused although the state allows them: approve before the final stage, pass
    # at the final stage, withdraw after a reviewer's decision.
}

SERVICES = ACTIONS  # the view's table of action -> service function


@pytest.fixture
def people(
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> dict[str, User]:
    return {
        "submitter": submitter,
        "department": department_approver,
        "technical": data_reviewer,
        "finance": finance_reviewer,
        "final": finance_approver,
    }


def _stage(project: Project) -> str:
    review = Review.objects.select_related("stage").filter(project=project).first()
    return review.stage.code if review and review.stage else ""


SUBMITTED = [(Action.SUBMIT, "submitter")]
AT_FINAL = [*SUBMITTED, *((Action.PASS, who) for who in ("department", "technical", "finance"))]
# How each situation is reached: the actions, in order, and who takes them.
PLANS = {
    "draft": [],
    "department": SUBMITTED,
    "returned": [*SUBMITTED, (Action.RETURN, "department")],
    "rejected": [*SUBMITTED, (Action.REJECT, "department")],
    "withdrawn": [*SUBMITTED, (Action.WITHDRAW, "submitter")],
    "final": AT_FINAL,
    "approved": [*AT_FINAL, (Action.APPROVE, "final")],
}


def _reach(situation: str, project: Project, people: dict[str, User]) -> Project:
    for action, who in PLANS[situation]:
        options = {"comment": "理由"} if action in workflow.COMMENT_REQUIRED else {}
        project = SERVICES[action](
            project, actor=people[who], expected_version=project.version, **options
        )
    return project


def _actor(action: Action, project: Project, people: dict[str, User]) -> User:
    if action in (Action.SUBMIT, Action.WITHDRAW):
        return people["submitter"]
    return people[_stage(project) or "department"]


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(SERVICES))
@pytest.mark.parametrize("situation", SITUATIONS)
def test_every_action_from_every_state(
    ready_project: Project, people: dict[str, User], situation: str, action: Action
) -> None:
    project = _reach(situation, ready_project, people)
    state, stage, version = project.state, _stage(project), project.version
    events = Event.objects.count()
    actor = _actor(action, project, people)
    comment = "理由" if action in workflow.COMMENT_REQUIRED else ""
    options = {"comment": comment} if action != Action.SUBMIT else {}
    outcome = OUTCOMES.get((situation, action))
    if outcome is None:
        with pytest.raises(WorkflowError):
            SERVICES[action](project, actor=actor, expected_version=version, **options)
        project.refresh_from_db()
        assert (project.state, _stage(project), project.version) == (state, stage, version)
        assert Event.objects.count() == events
        return
    project = SERVICES[action](project, actor=actor, expected_version=version, **options)
    project.refresh_from_db()
    assert (project.state, _stage(project)) == outcome
    assert project.version == version + 1
    (event,) = Event.objects.order_by("id")[events:]
    assert event.event_type == f"budgeting.project.{action.value}"
    assert (event.actor, event.target_key) == (actor, project.code)
    assert (event.from_state, event.to_state) == (state, outcome[0])
    assert (event.data["from_stage"], event.data["to_stage"]) == (stage, outcome[1])
    assert event.comment == comment
    assert event.data["requested_amount"] == "500000.00"
    assert event.data["version"] == project.version
    expected_approved = "500000.00" if action == Action.APPROVE else None
    assert event.data["approved_amount"] == expected_approved


STAGE_ROLES = {
    "department": "department_approver",
    "technical": "data_reviewer",
    "finance": "finance_reviewer",
    "final": "finance_approver",
}
PERSONAS = ["submitter", "admin_user", *STAGE_ROLES.values()]


@pytest.mark.django_db
@pytest.mark.parametrize("stage", list(STAGE_ROLES))
def test_at_each_stage_only_its_reviewer_decides(
    request: pytest.FixtureRequest,
    ready_project: Project,
    people: dict[str, User],
    admin_user: User,
    stage: str,
) -> None:
    project = services.submit(
        ready_project, actor=people["submitter"], expected_version=ready_project.version
    )
    for earlier in list(STAGE_ROLES)[: list(STAGE_ROLES).index(stage)]:
        project = services.pass_stage(
            project, actor=people[earlier], expected_version=project.version
        )
    assert _stage(project) == stage
    events = Event.objects.count()
    for persona in PERSONAS:
        if persona == STAGE_ROLES[stage]:
            continue
        person = request.getfixturevalue(persona)
        for action in (Action.PASS, Action.APPROVE, Action.RETURN, Action.REJECT):
            with pytest.raises(WorkflowError, match="may not decide"):
                SERVICES[action](
                    project, actor=person, expected_version=project.version, comment="x"
                )
    assert Event.objects.count() == events
    decider = people[stage]
    decide = services.approve if stage == "final" else services.pass_stage
    decided = decide(project, actor=decider, expected_version=project.version)
    event = Event.objects.latest("id")
    assert (event.actor, event.data["from_stage"]) == (decider, stage)
    assert decided.state == (S.APPROVED if stage == "final" else S.IN_REVIEW)


# Stage conditions.


def test_stage_conditions_choose_the_path() -> None:
    stages = [
        ReviewStage(order=1, code="department"),
        ReviewStage(order=2, code="technical", condition=StageCondition.MANAGED_BY_DATA_ADMIN),
        ReviewStage(order=3, code="finance"),
        ReviewStage(order=4, code="final", is_final=True),
    ]
    managed, unmanaged = Project(managed_by_data_admin=True), Project(managed_by_data_admin=False)
    codes = lambda path: [s.code for s in path]  # noqa: E731
    assert codes(workflow.applicable_stages(stages, managed)) == [
        "department", "technical", "finance", "final",
    ]  # fmt: skip
    assert codes(workflow.applicable_stages(stages, unmanaged)) == [
        "department",
        "finance",
        "final",
    ]
    assert workflow.next_stage(stages, unmanaged, None) == stages[0]
    assert workflow.next_stage(stages, unmanaged, stages[0]) == stages[2]
    assert workflow.next_stage(stages, managed, stages[0]) == stages[1]
    assert workflow.next_stage(stages, managed, stages[3]) is None
    assert workflow.previous_stage(stages, unmanaged, stages[2]) == stages[0]
    assert workflow.previous_stage(stages, managed, stages[2]) == stages[1]
    assert workflow.previous_stage(stages, managed, stages[0]) is None


@pytest.mark.django_db
def test_an_unmanaged_project_never_meets_the_technical_review(
    cycle: BudgetCycle, people: dict[str, User]
) -> None:
    clerk = people["submitter"]
    project = make_ready(register(clerk, managed_by_data_admin=False), clerk)
    project = services.submit(project, actor=clerk, expected_version=project.version)
    project = services.pass_stage(
        project, actor=people["department"], expected_version=project.version
    )
    assert _stage(project) == "finance"
    with pytest.raises(WorkflowError, match="may not decide"):
        services.pass_stage(project, actor=people["technical"], expected_version=project.version)
    project = services.return_for_revision(
        project,
        actor=people["finance"],
        expected_version=project.version,
        comment="请部门复核",
        to_previous_stage=True,
    )
    assert _stage(project) == "department"
    stages = list(
        Event.objects.filter(target_key=project.code, event_type__startswith="budgeting.project")
        .order_by("id")
        .values_list("data__to_stage", flat=True)
    )
    assert stages == ["department", "finance", "department"]
