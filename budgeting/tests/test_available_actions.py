"""The review page offers exactly the actions the services accept.

For every persona who may see a project and every place a project can stand in, the
buttons on the review page, ``available_actions`` and the actions the services accept
(each tried, then rolled back) are the same set.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from budgeting import services
from budgeting.models import BudgetCycle, CycleState, ReviewStage
from budgeting.permissions import available_actions
from budgeting.review_views import ACTIONS
from budgeting.tests.workflow_fixtures import make_ready
from budgeting.workflow import Action, WorkflowError
from projects.models import Project
from projects.tests.factories import register

pytestmark = pytest.mark.django_db

PERSONAS = [
    "submitter",
    "secondary_submitter",  # of a secondary unit: does not see its primary unit's project
    "department_approver",
    "data_reviewer",
    "finance_reviewer",
    "finance_approver",
    "admin_user",
    "outsider",
]

SUBMITTED: list[tuple[Action, str, dict[str, Any]]] = [(Action.SUBMIT, "submitter", {})]
AT_TECHNICAL = [*SUBMITTED, (Action.PASS, "department_approver", {})]
AT_FINAL = [
    *AT_TECHNICAL,
    (Action.PASS, "data_reviewer", {}),
    (Action.PASS, "finance_reviewer", {}),
]
# How each situation is reached: the actions, who takes them, and their options.
PLANS: dict[str, list[tuple[Action, str, dict[str, Any]]]] = {
    "incomplete draft": [],
    "draft": [],
    "draft, window closed": [],
    "department stage": SUBMITTED,
    "technical stage": AT_TECHNICAL,
    "finance stage": [*AT_TECHNICAL, (Action.PASS, "data_reviewer", {})],
    "final stage": AT_FINAL,
    # Sent back to the department by the data administration: a reviewer has decided,
    # so the submitter may no longer withdraw.
    "department stage, decided": [
        *AT_TECHNICAL,
        (Action.RETURN, "data_reviewer", {"comment": "请复核", "to_previous_stage": True}),
    ],
    # An admin made the last stage an ordinary one: nothing to pass to, nothing approves.
    "last stage not final": AT_FINAL,
    "returned": [*SUBMITTED, (Action.RETURN, "department_approver", {"comment": "请修改"})],
    "rejected": [*SUBMITTED, (Action.REJECT, "department_approver", {"comment": "重复建设"})],
    "withdrawn": [*SUBMITTED, (Action.WITHDRAW, "submitter", {})],
    "approved": [*AT_FINAL, (Action.APPROVE, "finance_approver", {})],
}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _situation(
    situation: str, request: pytest.FixtureRequest, cycle: BudgetCycle, submitter: User
) -> Project:
    project = register(submitter)
    if situation != "incomplete draft":
        project = make_ready(project, submitter)
    for action, persona, options in PLANS[situation]:
        project = ACTIONS[action](
            project,
            actor=request.getfixturevalue(persona),
            expected_version=project.version,
            **options,
        )
    if situation == "draft, window closed":
        BudgetCycle.objects.filter(pk=cycle.pk).update(closes_at=timezone.now())
    if situation == "last stage not final":
        ReviewStage.objects.filter(cycle=cycle, is_final=True).update(is_final=False)
    return Project.objects.get(pk=project.pk)


class _AcceptedError(Exception):
    """Raised to roll back an action the service accepted."""


def _accepted(project: Project, user: User, action: Action) -> bool:
    options = {} if action == Action.SUBMIT else {"comment": "理由"}
    try:
        with transaction.atomic():
            ACTIONS[action](project, actor=user, expected_version=project.version, **options)
            raise _AcceptedError
    except _AcceptedError:
        return True
    except WorkflowError:
        return False


def _buttons(client: Client, project: Project) -> set[str] | None:
    """The actions whose confirmation forms the review page shows; None on a 404."""
    response = client.get(reverse("budgeting:review", args=[project.code]))
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    html = response.content.decode()
    shown = set(re.findall(r'class="action-form action-form--(\w+)"', html))
    assert {action.value for action, _form in response.context["actions"]} == shown
    return shown


@pytest.mark.parametrize("situation", list(PLANS))
def test_the_buttons_are_exactly_the_actions_the_services_accept(
    request: pytest.FixtureRequest,
    client: Client,
    cycle: BudgetCycle,
    submitter: User,
    situation: str,
) -> None:
    project = _situation(situation, request, cycle, submitter)
    offered_to_someone = set()
    for persona in PERSONAS:
        user = request.getfixturevalue(persona)
        accepted = {action.value for action in ACTIONS if _accepted(project, user, action)}
        available = {action.value for action in available_actions(project, user)}
        client.force_login(user)
        shown = _buttons(client, project)
        assert available == accepted, (persona, "available_actions")
        if shown is None:  # may not see it: may do nothing to it
            assert accepted == set(), persona
        else:
            assert shown == accepted, persona
        offered_to_someone |= accepted
    assert offered_to_someone == EXPECTED_SOMEWHERE[situation]


# Written out, so that the comparison above cannot pass by everything being refused.
EXPECTED_SOMEWHERE = {
    "incomplete draft": set(),
    "draft": {"submit"},
    "draft, window closed": set(),
    "department stage": {"withdraw", "pass", "return", "reject"},
    "technical stage": {"pass", "return", "reject"},
    "finance stage": {"pass", "return", "reject"},
    "final stage": {"approve", "return", "reject"},
    "department stage, decided": {"pass", "return", "reject"},
    "last stage not final": {"return", "reject"},
    "returned": {"submit"},
    "rejected": set(),
    "withdrawn": {"submit"},
    "approved": set(),
}


def test_the_submitter_is_told_what_stands_in_the_way_instead_of_a_button(
    client: Client, cycle: BudgetCycle, submitter: User, ready_project: Project
) -> None:
    incomplete = register(submitter, name="未完成的项目")
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("budgeting:review", args=[incomplete.code]))
    assert page.context["actions"] == []
    assert "Add at least one estimate line." in page.context["still_needed"]
    assert page.context["problems"] == []  # the request's own gaps are listed once
    BudgetCycle.objects.filter(pk=cycle.pk).update(state=CycleState.CLOSED)
    page = client.get(reverse("budgeting:review", args=[ready_project.code]))
    assert page.context["actions"] == []
    assert page.context["problems"] == [f"The submission window of {cycle.name} is not open."]
    assert "Submission is not possible now" in page.content.decode()


def test_a_return_to_the_previous_stage_is_offered_only_where_there_is_one(
    client: Client,
    ready_project: Project,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
) -> None:
    def offered(reviewer: User, project: Project) -> bool:
        client.force_login(reviewer)
        page = client.get(reverse("budgeting:review", args=[project.code]))
        forms = dict(page.context["actions"])
        return "to_previous_stage" in forms[Action.RETURN].fields

    project = services.submit(
        ready_project, actor=submitter, expected_version=ready_project.version
    )
    assert not offered(department_approver, project)  # the first stage
    project = services.pass_stage(
        project, actor=department_approver, expected_version=project.version
    )
    assert offered(data_reviewer, project)
