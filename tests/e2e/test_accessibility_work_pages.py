"""axe-core (WCAG 2.1 A/AA) and 320 px reflow on the pages people work in:
projects (list empty and full, form with errors, detail), review, tasks,
batches and the standards."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from budgeting import services
from budgeting.models import BudgetCycle
from budgeting.tests.report_fixtures import World, report_world
from budgeting.tests.workflow_fixtures import make_ready
from projects.models import Project
from projects.tests.factories import register
from standards.demo import seed_standards
from standards.tests.factories import filled_set
from tests.e2e.test_accessibility import assert_accessible, csp_violations, log_in

__all__ = ["csp_violations", "report_world"]  # the fixtures, shared

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("csp_violations"),
]


def _no_sideways_scroll(page: Page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{what} scrolls sideways at 320 px ({width} px wide)"


def test_project_pages_are_accessible_and_reflow(
    page: Page, live_server, cycle: BudgetCycle, submitter: User
) -> None:
    log_in(page, live_server.url, "edu_clerk")
    page.goto(f"{live_server.url}/projects/")
    assert_accessible(page, "project list, empty")
    project = make_ready(register(submitter), submitter)
    register(submitter, name="第二个项目")
    page.goto(f"{live_server.url}/projects/")
    assert_accessible(page, "project list")
    page.goto(f"{live_server.url}/projects/new/")
    page.get_by_role("button", name="登记").click()
    expect(page.locator(".field__error").first).to_be_visible()
    assert_accessible(page, "project form with errors")
    page.goto(f"{live_server.url}/projects/{project.code}/")
    assert_accessible(page, "project detail")
    page.goto(f"{live_server.url}/review/{project.code}/")
    assert_accessible(page, "review page, ready to submit")
    seed_standards()
    page.goto(f"{live_server.url}/projects/{project.code}/lines/new/")
    assert_accessible(page, "choose an item")
    page.goto(f"{live_server.url}/projects/{project.code}/lines/new/?item=1.1")
    assert_accessible(page, "function-point line form")
    page.goto(f"{live_server.url}/projects/{project.code}/lines/new/non-standard/")
    page.get_by_role("button", name="测算并添加").click()
    expect(page.locator(".field__error").first).to_be_visible()
    assert_accessible(page, "non-standard line form with errors")

    page.set_viewport_size({"width": 320, "height": 800})
    for path in [
        "/projects/",
        f"/projects/{project.code}/",
        "/projects/new/",
        f"/review/{project.code}/",
    ]:
        page.goto(f"{live_server.url}{path}")
        _no_sideways_scroll(page, path)


def test_review_pages_are_accessible(
    page: Page,
    live_server,
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    project = make_ready(register(submitter), submitter)
    services.submit(project, actor=submitter, expected_version=project.version)
    log_in(page, live_server.url, "edu_head")
    page.goto(f"{live_server.url}/review/")
    assert_accessible(page, "my tasks")
    page.goto(f"{live_server.url}/review/summary/?year=2027")
    assert_accessible(page, "summary")
    page.goto(f"{live_server.url}/review/{project.code}/")
    assert_accessible(page, "review page with actions")
    page.context.clear_cookies()
    project = services.pass_stage(
        project,
        actor=department_approver,
        expected_version=Project.objects.get(pk=project.pk).version,
    )
    project = services.pass_stage(project, actor=data_reviewer, expected_version=project.version)
    log_in(page, live_server.url, "finance_reviewer")
    page.goto(f"{live_server.url}/review/{project.code}/")
    expect(page.locator("form.cut-form")).to_have_count(1)
    assert_accessible(page, "review page with line cuts")
    page.context.clear_cookies()
    log_in(page, live_server.url, "finance_director")
    page.goto(f"{live_server.url}/review/batches/")
    assert_accessible(page, "batch approval")
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{live_server.url}/review/batches/")
    _no_sideways_scroll(page, "batch approval")


def test_standards_pages_are_accessible(page: Page, live_server, submitter: User) -> None:
    standard = filled_set(2, code="GD-2019")
    log_in(page, live_server.url, "edu_clerk")
    for path in [
        "/standards/",
        f"/standards/{standard.code}/",
        f"/standards/{standard.code}/items/2.01/",
        "/standards/compare/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page, path)


def test_report_pages_are_accessible_and_reflow(
    page: Page, live_server, report_world: World
) -> None:
    """The dashboard, the summary (with its charts) and the review figures."""
    pages = ["/", "/review/summary/?year=2027&by=fee_class", "/review/summary/review/?year=2027"]
    for username in ("finance_reviewer", "edu_clerk"):
        page.context.clear_cookies()
        log_in(page, live_server.url, username)
        page.set_viewport_size({"width": 1280, "height": 900})
        for path in pages:
            page.goto(f"{live_server.url}{path}")
            expect(page.locator("svg.chart").first).to_be_visible()
            assert_accessible(page, f"{path} as {username}")
        page.set_viewport_size({"width": 320, "height": 800})
        for path in pages:
            page.goto(f"{live_server.url}{path}")
            _no_sideways_scroll(page, f"{path} as {username}")
