import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from budgeting.models import BudgetCycle
from budgeting.tests.workflow_fixtures import make_ready
from projects.models import Project, ProjectState
from projects.tests.factories import register
from tests.e2e.test_smoke import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def _decide(page: Page, base_url: str, username: str, code: str, button: str) -> None:
    page.context.clear_cookies()
    log_in(page, base_url, username)
    page.get_by_role("link", name="我的待办").click()
    page.get_by_role("link", name=code).click()
    page.get_by_role("button", name=button).click()


def test_a_request_travels_from_the_clerk_to_final_approval(
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
    log_in(page, live_server.url, "edu_clerk")
    page.goto(f"{live_server.url}/projects/{project.code}/")
    page.get_by_role("link", name="报送与审核").click()
    page.get_by_role("button", name="确认：报送").click()
    expect(page.get_by_text("已报送审核。")).to_be_visible()
    expect(page.locator("[aria-current=step]")).to_have_text("部门审核")

    _decide(page, live_server.url, "edu_head", project.code, "确认：审核通过")
    expect(page.locator("[aria-current=step]")).to_have_text("技术审核")
    _decide(page, live_server.url, "data_reviewer", project.code, "确认：审核通过")
    _decide(page, live_server.url, "finance_reviewer", project.code, "确认：审核通过")
    expect(page.locator("[aria-current=step]")).to_have_text("终审")
    _decide(page, live_server.url, "finance_director", project.code, "确认：批复")
    expect(page.get_by_text("已批复。")).to_be_visible()

    page.context.clear_cookies()
    log_in(page, live_server.url, "edu_clerk")
    page.goto(f"{live_server.url}/review/{project.code}/")
    history = page.locator("ol.history")
    for label in ["报送", "审核通过，转下一环节", "批复"]:
        expect(history).to_contain_text(label)
    assert Project.objects.get(pk=project.pk).state == ProjectState.APPROVED


def test_a_return_needs_a_reason(
    page: Page, live_server, cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    from budgeting import services

    project = make_ready(register(submitter), submitter)
    services.submit(project, actor=submitter, expected_version=project.version)
    log_in(page, live_server.url, "edu_head")
    page.goto(f"{live_server.url}/review/{project.code}/")
    form = page.locator("form.action-form--return")
    form.get_by_role("button", name="确认：退回修改").click()
    expect(page.get_by_text("这个字段是必填项。")).to_be_visible()
    form = page.locator("form.action-form--return")
    form.get_by_label("理由（必填）").fill("请补充需求分析")
    form.get_by_role("button", name="确认：退回修改").click()
    expect(page.get_by_text("已退回修改。")).to_be_visible()
    assert Project.objects.get(pk=project.pk).state == ProjectState.RETURNED
