"""The home dashboard: tasks, my unit's projects, the cycle's window and progress,
totals against control figures."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, User
from budgeting import services
from budgeting.models import BudgetCycle, ControlFigure
from budgeting.tests.workflow_fixtures import make_ready
from projects.models import Project
from projects.tests.factories import register
from reports.dashboard import StateCount, window

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(cycle: BudgetCycle, submitter: User) -> Project:
    project = make_ready(register(submitter), submitter)
    register(submitter, name="草稿")
    return services.submit(project, actor=submitter, expected_version=project.version)


def _home_in_english(client: Client, user: User) -> Any:
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client.get(reverse("home"))


def _counts(rows: list[StateCount]) -> dict[str, int]:
    return {row.state: row.count for row in rows if row.count}


def test_department_approver_sees_tasks_oldest_and_own_projects(
    client: Client, submitted: Project, department_approver: User
) -> None:
    response = _home_in_english(client, department_approver)
    assert response.context["task_count"] == 1
    assert response.context["oldest_task"] == submitted.review.stage_entered_at
    assert _counts(response.context["my_projects"]) == {"draft": 1, "in_review": 1}
    page = response.content.decode()
    assert "1 project awaits your decision" in page
    assert "The oldest has waited since" in page


def test_cycle_window_and_progress_for_finance(
    client: Client,
    submitted: Project,
    at_finance: Project,
    finance_reviewer: User,
    cycle: BudgetCycle,
) -> None:
    response = _home_in_english(client, finance_reviewer)
    assert "my_projects" not in response.context
    # The progress counts what the user may see: for finance neither the draft nor the
    # request still at its department's review, only the one that reached finance.
    assert _counts(response.context["progress"]) == {"in_review": 1}
    assert response.context["window"].days_left == 19
    page = response.content.decode()
    assert "Open, 19 days left" in page
    assert 'role="img"' in page


def test_each_figure_says_which_budget_years_it_counts(
    client: Client, submitted: Project, department_approver: User, submitter: User
) -> None:
    """Issue #15: an all-years count sat beside this cycle's chart, both unlabelled."""
    register(submitter, name="上一年度的项目", budget_year=2026, start_year=2026, end_year=2026)
    response = _home_in_english(client, department_approver)
    assert sum(row.count for row in response.context["my_projects"]) == 3
    assert response.context["progress_total"] == 2
    page = response.content.decode()
    assert "My unit's projects by state, all budget years" in page
    assert "2027年度部门预算: projects of budget year 2027 by state" in page


def test_window_is_closed_outside_its_dates(cycle: BudgetCycle) -> None:
    later = cycle.closes_at + timedelta(minutes=1)
    assert window(cycle, later).accepting is False
    assert window(cycle, later).days_left is None
    assert window(cycle, timezone.now()).days_left == 19


def test_finance_sees_every_unit_against_its_control_figure_and_the_over_flagged(
    client: Client,
    at_finance: Project,
    finance_reviewer: User,
    cycle: BudgetCycle,
    education: Organization,
    health: Organization,
) -> None:
    ControlFigure.objects.create(cycle=cycle, organization=education, amount=Decimal("100000"))
    ControlFigure.objects.create(cycle=cycle, organization=health, amount=Decimal("900000"))
    response = _home_in_english(client, finance_reviewer)
    rows = {row.unit.code: row for row in response.context["control_rows"]}
    assert rows["EDU"].over and rows["EDU"].requested == Decimal("500000.00")
    assert not rows["HEALTH"].over
    assert response.context["units_over"] == 1
    assert "1 unit asks for more than its control figure." in response.content.decode()


def test_a_department_sees_only_its_own_control_figure(
    client: Client, submitted: Project, submitter: User, cycle: BudgetCycle, health: Organization
) -> None:
    ControlFigure.objects.create(cycle=cycle, organization=health, amount=Decimal("1"))
    client.force_login(submitter)
    rows = client.get(reverse("home")).context["control_rows"]
    assert [row.unit.code for row in rows] == ["EDU"]


def test_a_secondary_unit_counts_only_the_projects_it_may_see(
    client: Client, submitted: Project, submitter: User, secondary_submitter: User
) -> None:
    # EDU has a draft and a project in review; the exam authority may see neither.
    register(secondary_submitter, name="考试院项目")
    response = _home_in_english(client, secondary_submitter)
    assert _counts(response.context["my_projects"]) == {"draft": 1}
    assert _counts(_home_in_english(client, submitter).context["my_projects"]) == {
        "draft": 2,
        "in_review": 1,
    }


def test_a_secondary_unit_sees_no_control_figure_of_its_parent(
    client: Client,
    submitted: Project,
    secondary_submitter: User,
    cycle: BudgetCycle,
    education: Organization,
) -> None:
    # The parent's figure sums sibling units' requests, which the secondary unit may not see.
    ControlFigure.objects.create(cycle=cycle, organization=education, amount=Decimal("100000"))
    response = _home_in_english(client, secondary_submitter)
    assert "control_rows" not in response.context
    assert "500,000.00" not in response.content.decode()


def test_finance_totals_leave_out_what_is_still_at_its_department(
    client: Client,
    submitted: Project,
    at_finance: Project,
    finance_reviewer: User,
    department_approver: User,
    cycle: BudgetCycle,
) -> None:
    """The control-figure row counts what the user may open, as the summary does."""
    rows = _home_in_english(client, finance_reviewer).context["control_rows"]
    assert {row.unit.code: row.requested for row in rows}["EDU"] == Decimal("500000.00")
    rows = _home_in_english(client, department_approver).context["control_rows"]
    assert {row.unit.code: row.requested for row in rows}["EDU"] == Decimal("1000000.00")
