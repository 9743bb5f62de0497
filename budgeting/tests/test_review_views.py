import datetime
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from audit.models import Event
from budgeting import services, workflow
from budgeting.models import BudgetCycle, Review
from budgeting.review_views import tasks_for
from budgeting.tests.workflow_fixtures import make_ready
from projects import services as project_services
from projects.models import Project, ProjectState
from projects.readiness import BEFORE_SUBMISSION
from projects.tests.factories import add_priced_line, register
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db


def _act(client: Client, project: Project, action: str, **data: str) -> Any:
    payload = {f"{action}-version": str(project.version)}
    payload.update({f"{action}-{key}": value for key, value in data.items()})
    return client.post(reverse("budgeting:act", args=[project.code, action]), payload)


@pytest.mark.parametrize("action", ["submit", "pass", "return", "reject", "withdraw", "approve"])
@pytest.mark.parametrize("persona", ["submitter", "department_approver", "finance_approver"])
def test_get_on_an_action_url_is_405(
    request: pytest.FixtureRequest,
    client: Client,
    ready_project: Project,
    action: str,
    persona: str,
) -> None:
    events = _events(ready_project)
    client.force_login(request.getfixturevalue(persona))
    assert (
        client.get(reverse("budgeting:act", args=[ready_project.code, action])).status_code == 405
    )
    line = ready_project.lines.get()
    assert (
        client.get(reverse("budgeting:cut", args=[ready_project.code, line.pk])).status_code == 405
    )
    _unchanged(ready_project, events)


def test_unknown_action_is_404(client: Client, submitter: User, ready_project: Project) -> None:
    client.force_login(submitter)
    assert _act(client, ready_project, "delete").status_code == 404


ALL_ACTIONS = ["submit", "pass", "return", "reject", "withdraw", "approve"]


def _cut(client: Client, project: Project, version: int | None = None) -> Any:
    line = project.lines.get()
    return client.post(
        reverse("budgeting:cut", args=[project.code, line.pk]),
        {"version": version or project.version, "approved_amount": "1", "reason": "other"},
    )


def _events(project: Project) -> int:
    return Event.objects.filter(target_key=project.code).count()


def _unchanged(project: Project, events: int) -> None:
    """Nothing happened since ``project`` was read: same state and version, no new event."""
    fresh = Project.objects.get(pk=project.pk)
    assert (fresh.state, fresh.version) == (project.state, project.version)
    assert _events(project) == events


@pytest.mark.parametrize("submitted", [False, True])
@pytest.mark.parametrize("persona", ["outsider", "secondary_submitter"])
def test_outsider_gets_404_on_the_review_page_and_every_action(
    request: pytest.FixtureRequest,
    client: Client,
    submitter: User,
    ready_project: Project,
    submitted: bool,
    persona: str,
) -> None:
    """Another department, or a secondary unit looking at its primary unit's project."""
    project = ready_project
    if submitted:
        project = services.submit(project, actor=submitter, expected_version=project.version)
    events = _events(project)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("budgeting:review", args=[project.code])).status_code == 404
    for action in ALL_ACTIONS:
        assert _act(client, project, action, comment="x").status_code == 404, action
    assert _cut(client, project).status_code == 404
    _unchanged(project, events)


@pytest.mark.parametrize(
    ("stage", "deciders"),
    [
        ("department", ["department_approver"]),
        ("technical", ["data_reviewer"]),
        ("finance", ["finance_reviewer"]),
        ("final", ["finance_approver"]),
    ],
)
def test_only_the_stages_reviewer_may_act_everyone_else_gets_403(
    request: pytest.FixtureRequest,
    client: Client,
    ready_project: Project,
    submitter: User,
    stage: str,
    deciders: list[str],
) -> None:
    """Every persona who may see the project but not decide at its stage: 403 on every
    reviewer action and on a cut, and nothing changes. A reviewing body whose stage the
    project has not reached yet may not even see it: 404."""
    order = ["department_approver", "data_reviewer", "finance_reviewer", "finance_approver"]
    stages = ["department", "technical", "finance", "final"]
    first_stage = {"data_reviewer": "technical", "finance_reviewer": "finance"}
    first_stage["finance_approver"] = "finance"
    project = services.submit(
        ready_project, actor=submitter, expected_version=ready_project.version
    )
    for persona in order[: order.index(deciders[0])]:
        project = services.pass_stage(
            project, actor=request.getfixturevalue(persona), expected_version=project.version
        )
    assert Review.objects.filter(project=project, stage__code=stage).exists()
    events = _events(project)
    for persona in ["submitter", "admin_user", *order]:
        if persona in deciders:
            continue
        reached = stages.index(first_stage.get(persona, "department")) <= stages.index(stage)
        refused = 403 if reached else 404
        client.force_login(request.getfixturevalue(persona))
        for action in ["pass", "return", "reject", "approve"]:
            response = _act(client, project, action, comment="x")
            assert response.status_code == refused, (persona, action)
        assert _cut(client, project).status_code == refused, persona
    _unchanged(project, events)


def test_reviewers_may_not_submit_or_withdraw(
    request: pytest.FixtureRequest, client: Client, ready_project: Project, submitter: User
) -> None:
    events = _events(ready_project)
    client.force_login(request.getfixturevalue("department_approver"))
    assert _act(client, ready_project, "submit").status_code == 403
    _unchanged(ready_project, events)
    project = services.submit(
        ready_project, actor=submitter, expected_version=ready_project.version
    )
    events = _events(project)
    for persona in ["department_approver", "admin_user"]:
        client.force_login(request.getfixturevalue(persona))
        assert _act(client, project, "withdraw").status_code == 403, persona
    for persona in ["data_reviewer", "finance_reviewer"]:  # not at their stage yet: unseen
        client.force_login(request.getfixturevalue(persona))
        assert _act(client, project, "withdraw").status_code == 404, persona
    _unchanged(project, events)


def test_a_reviewer_whose_page_is_stale_gets_a_message_not_an_error_page(
    client: Client, ready_project: Project, submitter: User, department_approver: User
) -> None:
    """The project moved on to another stage while the page was open: the late click
    is told so, even though it is no longer this reviewer's stage."""
    project = services.submit(
        ready_project, actor=submitter, expected_version=ready_project.version
    )
    seen = project.version
    services.pass_stage(project, actor=department_approver, expected_version=seen)
    client.force_login(department_approver)
    client.cookies["django_language"] = "en"
    stale = Project(pk=project.pk, code=project.code, version=seen)
    for late_click in (
        lambda: _act(client, stale, "reject", comment="x"),
        lambda: _cut(client, project, version=seen),
    ):
        response = late_click()
        assert response.status_code == 302
        page = client.get(response["Location"])
        assert page.status_code == 200
        assert "Someone acted on this project after you opened it" in page.content.decode()


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


def test_my_tasks_export_holds_my_queue_oldest_first(
    client: Client,
    cycle: BudgetCycle,
    submitter: User,
    outsider: User,
    department_approver: User,
    settings,
    tmp_path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    codes = []
    for name in ["=HYPERLINK(1)", "第二个项目"]:
        project = make_ready(register(submitter, name=name), submitter)
        services.submit(project, actor=submitter, expected_version=project.version)
        codes.append(project.code)
    foreign = make_ready(register(outsider, name="卫生项目"), outsider)
    services.submit(foreign, actor=outsider, expected_version=foreign.version)
    client.force_login(department_approver)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("budgeting:tasks_export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Project code"
    assert [row[0] for row in rows[1:]] == codes  # the other unit's project is not there
    first = sheet[2]
    assert first[1].data_type == "s" and first[1].value == "=HYPERLINK(1)"
    assert isinstance(first[4].value, datetime.datetime)
    assert first[5].value == 500000 and first[5].number_format == "#,##0.00"


def test_possible_duplicates_name_only_requests_that_left_their_department(
    client: Client, submitter: User, outsider: User, finance_reviewer: User, at_finance: Project
) -> None:
    theirs = make_ready(register(outsider, name=at_finance.name.replace("平台", "系统")), outsider)

    def similar_on(page: str, user: User) -> list[tuple[str, bool]]:
        client.force_login(user)
        response = client.get(reverse(page, args=[at_finance.code]))
        return [(other.code, linked) for other, linked in response.context["similar"]]

    # HEALTH's draft, then its request at HEALTH's own department review: never named.
    assert similar_on("budgeting:review", finance_reviewer) == []
    theirs = services.submit(theirs, actor=outsider, expected_version=theirs.version)
    assert similar_on("budgeting:review", finance_reviewer) == []
    assert similar_on("projects:detail", submitter) == []
    head = UserFactory.create(organization=outsider.organization, roles=[Role.DEPARTMENT_APPROVER])
    services.pass_stage(theirs, actor=head, expected_version=theirs.version)
    # Submitted by HEALTH (its department passed it): named, not linked, to those who may
    # not open it (finance: it waits at the technical review).
    assert similar_on("projects:detail", submitter) == [(theirs.code, False)]
    assert similar_on("budgeting:review", finance_reviewer) == [(theirs.code, False)]


def test_reviewers_see_the_flagged_lines(
    client: Client, submitter: User, department_approver: User, ready_project: Project
) -> None:
    services.submit(ready_project, actor=submitter, expected_version=ready_project.version)
    client.force_login(department_approver)
    page = client.get(reverse("budgeting:review", args=[ready_project.code]))
    assert [line.name for line in page.context["flagged_lines"]] == ["系统开发"]
    assert "测试用非标准明细" in page.content.decode()


@pytest.mark.parametrize(
    ("language", "words"), [("en", "Returned for revision"), ("zh-hans", "退回修改")]
)
def test_the_project_page_and_the_review_page_show_one_history(
    client: Client,
    submitter: User,
    department_approver: User,
    ready_project: Project,
    language: str,
    words: str,
) -> None:
    """Newest first, with when, who, what in words and why."""
    project = services.submit(
        ready_project, actor=submitter, expected_version=ready_project.version
    )
    services.return_for_revision(
        project, actor=department_approver, expected_version=project.version, comment="请补充依据"
    )
    client.force_login(submitter)
    client.cookies["django_language"] = language
    histories = []
    for page in ("projects:detail", "budgeting:review"):
        html = client.get(reverse(page, args=[project.code])).content.decode()
        (history,) = re.findall(r'<ol class="history">.*?</ol>', html, flags=re.DOTALL)
        histories.append(history)
    assert histories[0] == histories[1]
    items = re.findall(r"<li>(.*?)</li>", histories[0], flags=re.DOTALL)
    returned = Event.objects.filter(target_key=project.code).latest("id")
    when = timezone.localtime(returned.occurred_at)
    assert items[0] == (
        f'<time datetime="{when.isoformat()}">{when:%Y-%m-%d %H:%M}</time>'
        f" · {department_approver.username} · {words}: “请补充依据”"
    )
    assert len(items) == Event.objects.filter(target_key=project.code).count()


@pytest.fixture
def operation(submitter: User) -> Project:
    """An operation project, priced by the demo standard."""
    seed_standards()
    return register(submitter, kind="operation")


def test_the_review_page_shows_every_flag_with_its_justification(
    client: Client, submitter: User, data_reviewer: User, operation: Project
) -> None:
    add_priced_line(
        operation,
        submitter,
        "2.2",
        base="1000000",
        rate="0.1",
        justification="设备分散在21个地市。",
    )
    add_priced_line(
        operation,
        submitter,
        "2.1",
        grade="L1",
        quantity="1",
        unit_price_override="130000",
        justification="须具备等保测评资质。",
    )
    project_services.add_non_standard_line(
        Project.objects.get(pk=operation.pk), actor=submitter,
        expected_version=Project.objects.get(pk=operation.pk).version, fee_class="其他服务费",
        name="渗透测试", unit="次", quantity=Decimal(1), unit_price=Decimal(45000),
        justification="标准未覆盖。",
    )  # fmt: skip
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("budgeting:review", args=[operation.code]))
    flagged = response.context["flagged_lines"]
    assert [line.flag_labels for line in flagged] == [
        ["Outside the allowed range"],
        ["Above the standard"],
        ["Non-standard"],
    ]
    html = response.content.decode()
    assert re.search(r"Outside the allowed range:\s+设备分散在21个地市。", html)
    assert "between 5% and 8%; got 10%" in html  # the explanation says which range
    detail = client.get(reverse("projects:detail", args=[operation.code])).content.decode()
    assert "Outside the allowed range" in detail


def _still_needed_section(html: str) -> str:
    start = html.find('<section class="card card--warning" id="still-needed"')
    return html[start : html.index("</section>", start) + len("</section>")] if start >= 0 else ""


def test_both_pages_show_the_same_still_needed_list_until_submission(
    client: Client, cycle: BudgetCycle, submitter: User
) -> None:
    """Issue #15: the project page named only missing targets, the review page alone the
    documents. One rule (projects.readiness.submission_problems), one list, both pages."""
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    project = register(submitter, kind="construction")
    pages = [reverse("projects:detail", args=[project.code])]
    pages.append(reverse("budgeting:review", args=[project.code]))
    sections = [_still_needed_section(client.get(url).content.decode()) for url in pages]
    assert sections[0] == sections[1]
    for needed in (
        "Still needed before submitting",
        "Add at least one estimate line.",
        "Add at least one output target",
        "Add at least one benefit target",
        "Upload the Feasibility study report.",
        "Upload the Construction or implementation plan.",
    ):
        assert needed in sections[0], needed
    project = make_ready(project, submitter)
    assert [_still_needed_section(client.get(url).content.decode()) for url in pages] == ["", ""]
    services.submit(project, actor=submitter, expected_version=project.version)
    assert [_still_needed_section(client.get(url).content.decode()) for url in pages] == ["", ""]


def test_still_needed_is_shown_in_the_states_a_project_is_submitted_from() -> None:
    assert workflow.TRANSITIONS[workflow.Action.SUBMIT].sources == BEFORE_SUBMISSION
