"""Unusual quantities: a line asking for more than three times the median quantity of
the same item in at least five other projects' requests is flagged on the project and
review pages."""

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.models import Role, User
from budgeting.models import BudgetCycle
from projects import quantities
from projects.models import EstimateLine, Project, ProjectState
from projects.tests.estimate_files import fill_template, upload
from projects.tests.factories import add_priced_line, register
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db

FLAG = "Unusual quantity: 10, where the 5 other projects asking for this item have a median of 2"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    seed_standards()
    with translation.override("en"):
        yield


def _peers(
    clerk: User, count: int, quantity: str, state: str = ProjectState.IN_REVIEW, lines: int = 1
) -> None:
    """Other projects' requests, each with ``lines`` lines of on-site O&M staff (item 2.1)."""
    for number in range(count):
        peer = register(clerk, kind="operation", name=f"运维项目{number}")
        for _line in range(lines):
            add_priced_line(peer, clerk, "2.1", grade="L2", quantity=quantity)
        Project.objects.filter(pk=peer.pk).update(state=state)


@pytest.fixture
def project(submitter: User) -> Project:
    project = register(submitter, kind="operation", name="考试系统运维")
    add_priced_line(project, submitter, "2.1", grade="L2", quantity="10")
    add_priced_line(project, submitter, "2.1", grade="L3", quantity="6")  # 3 × 2: not above
    return project


def _flags(project: Project) -> dict[str, list[str]]:
    lines = quantities.mark_unusual(list(project.lines.all()), project)
    return {line.inputs["quantity"]: line.flag_labels for line in lines}


def test_a_quantity_over_three_times_the_peers_median_is_flagged(
    project: Project, submitter: User
) -> None:
    _peers(submitter, 4, "2")
    _peers(submitter, 1, "3")
    assert _flags(project) == {"10": [FLAG], "6": []}


def test_fewer_than_five_peers_judge_nothing(project: Project, submitter: User) -> None:
    _peers(submitter, 4, "2")
    assert _flags(project) == {"10": [], "6": []}


def test_peers_are_projects_not_lines(project: Project, submitter: User) -> None:
    """Five lines of one other project would give away that project's figure."""
    _peers(submitter, 2, "2")
    _peers(submitter, 2, "2", lines=2)  # six lines, four projects
    assert _flags(project) == {"10": [], "6": []}


def test_the_project_itself_is_no_peer(project: Project, submitter: User) -> None:
    _peers(submitter, 5, "2")
    for _extra in range(6):  # its own lines would pull the median up to 10
        add_priced_line(project, submitter, "2.1", grade="L1", quantity="10")
    Project.objects.filter(pk=project.pk).update(state=ProjectState.IN_REVIEW)
    flags = quantities.mark_unusual(list(project.lines.all()), project)
    assert sum(line.unusual_quantity is not None for line in flags) == 7


def test_quantities_that_are_no_plain_numbers_are_no_peers(
    project: Project, submitter: User
) -> None:
    _peers(submitter, 5, "2")
    _peers(submitter, 3, "1")
    odd = EstimateLine.objects.filter(project__name__startswith="运维项目", inputs__quantity="1")
    for line, raw in zip(odd, ["abc", "1E+3", "1234567890123456"], strict=True):
        line.inputs = {**line.inputs, "quantity": raw}
        line.save(update_fields=["inputs"])
    assert _flags(project)["10"] == [FLAG]


def test_drafts_and_rejected_requests_are_no_peers(project: Project, submitter: User) -> None:
    _peers(submitter, 3, "2", state=ProjectState.DRAFT)
    _peers(submitter, 3, "2", state=ProjectState.REJECTED)
    assert _flags(project) == {"10": [], "6": []}


def test_lines_without_a_quantity_are_left_alone(project: Project, submitter: User) -> None:
    _peers(submitter, 5, "2")
    add_priced_line(project, submitter, "2.2", base="1000000", rate="0.06")
    lines = quantities.mark_unusual(list(project.lines.all()), project)
    assert [line.unusual_quantity is not None for line in lines] == [True, False, False]


def test_the_project_page_and_the_review_page_show_the_flag(
    project: Project,
    submitter: User,
    client: Client,
    finance_reviewer: User,
    cycle: BudgetCycle,
) -> None:
    _peers(submitter, 5, "2")
    client.cookies["django_language"] = "en"
    client.force_login(submitter)
    assert FLAG in client.get(reverse("projects:detail", args=[project.code])).content.decode()
    Project.objects.filter(pk=project.pk).update(
        state=ProjectState.IN_REVIEW, reached_roles=[Role.FINANCE_REVIEWER]
    )
    client.force_login(finance_reviewer)
    html = client.get(reverse("budgeting:review", args=[project.code])).content.decode()
    assert "Flagged estimate lines" in html
    assert FLAG in html


def test_judging_costs_one_query_however_many_lines(project: Project, submitter: User) -> None:
    _peers(submitter, 5, "2")
    lines = list(project.lines.all())
    with CaptureQueriesContext(connection) as few:
        quantities.mark_unusual(lines, project)
    for quantity in ("11", "12", "13"):
        add_priced_line(project, submitter, "2.1", grade="L1", quantity=quantity)
    lines = list(EstimateLine.objects.filter(project=project))
    with CaptureQueriesContext(connection) as more:
        flagged = quantities.mark_unusual(lines, project)
    assert len(few.captured_queries) == len(more.captured_queries) == 1
    assert sum(line.unusual_quantity is not None for line in flagged) == 4


def test_the_estimate_import_preview_shows_the_flag_before_anything_is_saved(
    project: Project, submitter: User, client: Client
) -> None:
    _peers(submitter, 5, "2")
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    template = client.get(reverse("projects:estimate_template", args=[project.code])).content
    rows = [{"服务内容编码": "2.1", "等次编码": "L2", "数量": 10}]
    response = client.post(
        reverse("projects:estimate_import", args=[project.code]),
        {"file": upload(fill_template(template, rows))},
    )
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert FLAG in html
    assert project.lines.count() == 2  # the fixture's, nothing imported yet
