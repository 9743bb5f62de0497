from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from budgeting import services
from budgeting.models import BudgetCycle, Review
from budgeting.review_views import tasks_for
from budgeting.tests.workflow_fixtures import make_ready
from projects.models import Project, ProjectState
from projects.tests.factories import register

pytestmark = pytest.mark.django_db


def _act(client: Client, project: Project, action: str, **data: str) -> Any:
    payload = {f"{action}-version": str(project.version)}
    payload.update({f"{action}-{key}": value for key, value in data.items()})
    return client.post(reverse("budgeting:act", args=[project.code, action]), payload)


@pytest.mark.parametrize("action", ["submit", "pass", "return", "reject", "withdraw", "approve"])
def test_get_on_an_action_url_is_405(
    client: Client, submitter: User, ready_project: Project, action: str
) -> None:
    client.force_login(submitter)
    assert (
        client.get(reverse("budgeting:act", args=[ready_project.code, action])).status_code == 405
    )


def test_unknown_action_is_404(client: Client, submitter: User, ready_project: Project) -> None:
    client.force_login(submitter)
    assert _act(client, ready_project, "delete").status_code == 404


def test_outsider_gets_404_on_the_review_page_and_every_action(
    client: Client, outsider: User, ready_project: Project
) -> None:
    client.force_login(outsider)
    assert client.get(reverse("budgeting:review", args=[ready_project.code])).status_code == 404
    for action in ["submit", "pass", "reject", "approve"]:
        assert _act(client, ready_project, action, comment="x").status_code == 404
    ready_project.refresh_from_db()
    assert ready_project.state == ProjectState.DRAFT


def test_submit_and_pass_through_the_pages(
    client: Client, submitter: User, department_approver: User, ready_project: Project
) -> None:
    client.force_login(submitter)
    page = client.get(reverse("budgeting:review", args=[ready_project.code]))
    assert [action.value for action, _form in page.context["actions"]] == ["submit"]
    assert _act(client, ready_project, "submit").status_code == 302
    ready_project.refresh_from_db()
    assert ready_project.state == ProjectState.IN_REVIEW

    client.force_login(department_approver)
    page = client.get(reverse("budgeting:review", args=[ready_project.code]))
    assert [action.value for action, _form in page.context["actions"]] == [
        "pass",
        "return",
        "reject",
    ]
    _act(client, ready_project, "pass")
    ready_project.refresh_from_db()
    assert Review.objects.filter(project=ready_project, stage__code="technical").exists()


def test_reviewer_of_another_stage_is_refused_with_a_message(
    client: Client, submitter: User, finance_reviewer: User, ready_project: Project
) -> None:
    project = services.submit(
        ready_project, actor=submitter, expected_version=ready_project.version
    )
    client.force_login(finance_reviewer)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("budgeting:review", args=[project.code]))
    assert page.context["actions"] == []
    response = _act(client, project, "pass")
    assert response.status_code == 302
    assert "may not decide" in str(next(iter(get_messages(response.wsgi_request))))
    project.refresh_from_db()
    assert Review.objects.filter(project=project, stage__code="department").exists()


def test_a_second_click_on_a_stale_page_says_so(
    client: Client, submitter: User, department_approver: User, ready_project: Project
) -> None:
    project = services.submit(
        ready_project, actor=submitter, expected_version=ready_project.version
    )
    client.force_login(department_approver)
    client.cookies["django_language"] = "en"
    _act(client, project, "pass")
    response = _act(client, project, "reject", comment="重复建设")
    assert "Someone acted on this project" in " ".join(
        str(m) for m in get_messages(response.wsgi_request)
    )
    project.refresh_from_db()
    assert project.state == ProjectState.IN_REVIEW


def test_return_without_a_reason_is_refused_by_the_form(
    client: Client, submitter: User, department_approver: User, ready_project: Project
) -> None:
    project = services.submit(
        ready_project, actor=submitter, expected_version=ready_project.version
    )
    client.force_login(department_approver)
    _act(client, project, "return", comment="")
    project.refresh_from_db()
    assert project.state == ProjectState.IN_REVIEW


def test_my_tasks_hold_only_what_awaits_my_stage(
    client: Client,
    cycle: BudgetCycle,
    submitter: User,
    outsider: User,
    department_approver: User,
    finance_reviewer: User,
    settings,
    tmp_path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    mine = make_ready(register(submitter), submitter)
    services.submit(mine, actor=submitter, expected_version=mine.version)
    foreign = make_ready(register(outsider, name="卫生项目"), outsider)
    services.submit(foreign, actor=outsider, expected_version=foreign.version)
    assert [review.project.code for review in tasks_for(department_approver)] == [mine.code]
    assert list(tasks_for(finance_reviewer)) == []
    client.force_login(department_approver)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("budgeting:tasks"))
    for number in range(5):
        extra = make_ready(register(submitter, name=f"项目{number}"), submitter)
        services.submit(extra, actor=submitter, expected_version=extra.version)
    with CaptureQueriesContext(connection) as six:
        response = client.get(reverse("budgeting:tasks"))
    assert len(response.context["reviews"]) == 6
    assert len(six.captured_queries) == len(one.captured_queries)


def test_reviewers_see_possible_duplicates_of_other_units(
    client: Client, submitter: User, outsider: User, finance_reviewer: User, ready_project: Project
) -> None:
    register(outsider, name=ready_project.name.replace("平台", "系统"))
    services.submit(ready_project, actor=submitter, expected_version=ready_project.version)
    client.force_login(finance_reviewer)
    similar = client.get(reverse("budgeting:review", args=[ready_project.code])).context["similar"]
    assert [other.organization.code for other, _visible in similar] == ["HEALTH"]
    assert similar[0][1] is False  # a draft of another unit: named, not linked


def test_reviewers_see_the_flagged_lines(
    client: Client, submitter: User, department_approver: User, ready_project: Project
) -> None:
    services.submit(ready_project, actor=submitter, expected_version=ready_project.version)
    client.force_login(department_approver)
    page = client.get(reverse("budgeting:review", args=[ready_project.code]))
    assert [line.name for line in page.context["flagged_lines"]] == ["系统开发"]
    assert "测试用非标准明细" in page.content.decode()
