"""两上两下 in a browser: 一上 submission and review, the year moved on by finance, the
二上 revision refused over the control figure, then fitted, passed and approved."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Organization, User
from budgeting import cycles
from budgeting.models import BudgetCycle
from budgeting.tests.workflow_fixtures import add_line, make_ready, two_round_year
from projects import services as project_services
from projects.models import Project, ProjectState
from projects.tests.factories import register
from tests.e2e.test_review import _decide
from tests.e2e.test_smoke import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def year(db: None) -> BudgetCycle:
    return two_round_year()


def _move_year_on(page: Page, base_url: str, button: str, opened: str) -> None:
    page.context.clear_cookies()
    log_in(page, base_url, "finance_director")
    page.get_by_role("link", name="预算轮次").click()
    page.get_by_role("link", name="2027").click()
    page.get_by_role("button", name=button).click()
    expect(page.get_by_text(f"{opened}已开始。")).to_be_visible()


def test_two_rounds_from_first_submission_to_approval_within_the_control_figure(
    page: Page,
    live_server,
    year: BudgetCycle,
    education: Organization,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    project = make_ready(register(submitter), submitter)  # one line of 500,000.00
    url = live_server.url

    # 一上: the clerk submits; department, data administration and finance pass it on;
    # it waits at the final stage: final approval belongs to 二下.
    log_in(page, url, "edu_clerk")
    page.goto(f"{url}/review/{project.code}/")
    page.get_by_role("button", name="确认：报送").click()
    expect(page.get_by_text("已报送审核。")).to_be_visible()
    for person in ("edu_head", "data_reviewer", "finance_reviewer"):
        _decide(page, url, person, project.code, "确认：审核通过")
    expect(page.locator("[aria-current=step]")).to_have_text("终审")

    # Finance closes 一上 (一下), issues the figure, and opens 二上: the request comes back.
    _move_year_on(page, url, "结束一上并开始一下", "一下")
    cycles.set_control_figure(year, education, Decimal("400000"), actor=finance_approver)
    _move_year_on(page, url, "结束一下并开始二上", "二上")
    assert Project.objects.get(pk=project.pk).state == ProjectState.RETURNED

    # 二上: over the figure, the clerk cannot submit, and reads by how much.
    page.context.clear_cookies()
    log_in(page, url, "edu_clerk")
    page.goto(f"{url}/review/{project.code}/")
    refusal = page.locator("section", has=page.get_by_role("heading", name="目前无法报送"))
    expect(refusal).to_contain_text("超出控制数 10.00 万元")
    expect(page.get_by_role("button", name="确认：报送")).to_have_count(0)
    expect(page.get_by_text("一上申报数")).to_be_visible()

    # Fitted to the figure (one line of 380,000.00), the same request goes through.
    project = Project.objects.get(pk=project.pk)
    project = add_line(project, submitter, "压减后的系统开发", "380000")
    project_services.remove_line(
        project,
        actor=submitter,
        line_id=project.lines.order_by("position")[0].pk,
        expected_version=project.version,
    )
    page.reload()
    expect(page.get_by_text("控制数余额")).to_be_visible()
    page.get_by_role("button", name="确认：报送").click()
    expect(page.get_by_text("已报送审核。")).to_be_visible()
    for person in ("edu_head", "data_reviewer", "finance_reviewer"):
        _decide(page, url, person, project.code, "确认：审核通过")
    expect(page.get_by_role("heading", name="与上一轮审核数相比的变化")).to_be_visible()

    # 二下: the finance director approves it in a batch.
    _move_year_on(page, url, "结束二上并开始二下", "二下")
    page.get_by_role("link", name="批次批复").click()
    page.get_by_label(project.code).check()
    page.get_by_label("批次名称").fill("2027年第一批")
    page.get_by_role("button", name="下一步：核对批次").click()
    page.get_by_role("button", name="批复 1 个项目，共 380,000.00 元").click()
    expect(page.get_by_text("批次“2027年第一批”已批复。")).to_be_visible()
    assert Project.objects.get(pk=project.pk).approved_amount == Decimal("380000.00")
