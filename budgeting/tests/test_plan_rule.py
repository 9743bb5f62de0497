"""The plan rule (issue #17), one rule for every project of a year: a request that differs
from the budget year's plan figure (YearPlan) needs a reason, refused at submission in
words naming the year and both figures, and asked on the registration form."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from audit.models import Event
from budgeting import services
from budgeting.models import BudgetCycle
from budgeting.tests.workflow_fixtures import add_line, make_ready
from budgeting.workflow import WorkflowError
from projects import services as project_services
from projects.models import Project, ProjectState
from projects.readiness import still_needed
from projects.tests.factories import register

pytestmark = pytest.mark.django_db

REFUSAL = (
    "The request (580,000.00 yuan) differs from the plan for 2027 (500,000.00 yuan): "
    "give the reason in the registration form."
)
PLAN = {2027: Decimal("500000.00"), 2028: Decimal("300000.00")}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _edit(project: Project, clerk: User, *, reason: str, plan: Decimal | None = None) -> Project:
    fields = {name: getattr(project, name) for name in project_services.PROJECT_FIELDS}
    plans = {row.year: row.amount for row in project.year_plans.all()}
    if plan is not None:
        plans[2027] = plan
    return project_services.update_project(
        project,
        actor=clerk,
        fields={**fields, "plan_deviation_reason": reason},
        plan=plans,
        expected_version=project.version,
    )


@pytest.fixture
def differing(cycle: BudgetCycle, submitter: User) -> Project:
    """Registered straight into 2027 (not from the library), planned at 500,000, priced
    at 580,000."""
    project = register(submitter, plan=PLAN, plan_deviation_reason="")
    project = add_line(make_ready(project, submitter), submitter, "等保测评", "80000")
    assert not project.declared_from_library
    return project


def test_a_project_of_the_year_whose_request_differs_from_its_plan_is_refused(
    differing: Project, submitter: User
) -> None:
    with pytest.raises(WorkflowError) as refused:
        services.submit(differing, actor=submitter, expected_version=differing.version)
    assert REFUSAL in refused.value.message
    differing.refresh_from_db()
    assert differing.state == ProjectState.DRAFT
    assert not Event.objects.filter(event_type="budgeting.project.submit").exists()
    assert REFUSAL in still_needed(differing)


def test_with_a_reason_it_is_submitted_and_the_reason_is_kept(
    differing: Project, submitter: User
) -> None:
    project = _edit(differing, submitter, reason="  ")  # blank is no reason
    with pytest.raises(WorkflowError, match="differs from the plan for 2027"):
        services.submit(project, actor=submitter, expected_version=project.version)
    project = _edit(project, submitter, reason="新增等保测评。")
    submitted = services.submit(project, actor=submitter, expected_version=project.version)
    assert submitted.state == ProjectState.IN_REVIEW
    assert submitted.plan_deviation_reason == "新增等保测评。"


def test_a_plan_brought_to_the_request_needs_no_reason(differing: Project, submitter: User) -> None:
    project = _edit(differing, submitter, reason="", plan=Decimal("580000.00"))
    assert not project.needs_plan_reason
    submitted = services.submit(project, actor=submitter, expected_version=project.version)
    assert submitted.state == ProjectState.IN_REVIEW


def test_a_project_without_a_plan_figure_for_its_year_is_not_held(
    cycle: BudgetCycle, submitter: User
) -> None:
    no_figure = register(submitter, plan={2028: Decimal("300000.00")}, plan_deviation_reason="")
    project = make_ready(no_figure, submitter)
    assert not project.needs_plan_reason
    submitted = services.submit(project, actor=submitter, expected_version=project.version)
    assert submitted.state == ProjectState.IN_REVIEW


def test_the_form_asks_the_reason_of_every_project_of_a_year_with_both_figures(
    differing: Project, submitter: User, client: Client
) -> None:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("projects:edit", args=[differing.code])).content.decode()
    assert 'name="plan_deviation_reason"' in page
    assert REFUSAL in page
    matching = _edit(differing, submitter, reason="", plan=Decimal("580000.00"))
    page = client.get(reverse("projects:edit", args=[matching.code])).content.decode()
    assert 'name="plan_deviation_reason"' in page
    assert "Needed when the budget year" in page and "differs from its plan figure." in page
