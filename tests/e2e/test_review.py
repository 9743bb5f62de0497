from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from budgeting import services
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


def test_a_request_travels_from_the_clerk_to_final_approval_in_a_batch(
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
    expect(page.locator("[aria-current=step]")).to_have_text("财政审核")

    # Finance cuts the development line by 150,000 with a reason, then passes.
    page.context.clear_cookies()
    log_in(page, live_server.url, "finance_reviewer")
    page.get_by_role("link", name="我的待办").click()
    page.get_by_role("link", name=project.code).click()
    cut = page.locator("form.cut-form")
    cut.get_by_label("审核数").fill("350000")
    cut.get_by_label("审减理由").select_option(label="工作量偏高")
    cut.get_by_label("意见").fill("功能点数偏高，按同类系统核减")
    cut.get_by_role("button", name="保存 系统开发").click()
    expect(page.get_by_text("审核数已保存。")).to_be_visible()
    lines = page.locator("#lines table").first
    expect(lines).to_contain_text("350,000.00")
    expect(page.locator("#lines table").nth(1)).to_contain_text("30.00%")  # the waterfall
    page.get_by_role("button", name="确认：审核通过").click()
    expect(page.locator("[aria-current=step]")).to_have_text("终审")

    # The finance director approves it in a named batch.
    page.context.clear_cookies()
    log_in(page, live_server.url, "finance_director")
    page.get_by_role("link", name="批次批复").click()
    expect(page.get_by_label(project.code)).not_to_be_checked()
    expect(page.get_by_role("row", name=project.code)).to_contain_text("350,000.00")
    page.get_by_label(project.code).check()
    page.get_by_label("批次名称").fill("2027年第一批")
    page.get_by_role("button", name="下一步：核对批次").click()
    # Nothing is approved before the approver confirms the count and the total.
    expect(page.get_by_role("heading", name="确认批次批复")).to_be_visible()
    expect(page.locator(".card--callout")).to_contain_text("350,000.00")
    assert Project.objects.get(pk=project.pk).state == ProjectState.IN_REVIEW
    page.get_by_role("button", name="批复 1 个项目，共 350,000.00 元").click()
    expect(page.get_by_text("批次“2027年第一批”已批复。")).to_be_visible()
    expect(page.get_by_role("heading", name="2027年第一批")).to_be_visible()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("预算单位1")
    expect(facts).to_contain_text("项目1")
    expect(facts).to_contain_text("批复总额（元）350,000.00")
    expect(page.get_by_role("row", name=project.code)).to_contain_text("350,000.00")

    # The clerk sees the approved amount and the whole history.
    page.context.clear_cookies()
    log_in(page, live_server.url, "edu_clerk")
    page.goto(f"{live_server.url}/review/{project.code}/")
    expect(page.locator("dl.facts")).to_contain_text("审核数350,000.00")
    history = page.locator("ol.history")
    for label in ["报送", "审核通过，转下一环节", "调整明细审核数", "批复"]:
        expect(history).to_contain_text(label)
    expect(history).to_contain_text("功能点数偏高，按同类系统核减")
    assert Project.objects.get(pk=project.pk).state == ProjectState.APPROVED
    assert Project.objects.get(pk=project.pk).approved_amount == Decimal("350000.00")


def test_after_a_return_and_resubmission_the_reviewer_sees_what_changed(
    page: Page, live_server, cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    project = make_ready(register(submitter), submitter)
    services.submit(project, actor=submitter, expected_version=project.version)
    log_in(page, live_server.url, "edu_head")
    page.goto(f"{live_server.url}/review/{project.code}/")
    expect(page.get_by_role("heading", name="退回后的变化")).to_have_count(0)
    form = page.locator("form.action-form--return")
    form.get_by_label("理由（必填）").fill("开发费用偏高，请压减")
    form.get_by_role("button", name="确认：退回修改").click()
    expect(page.get_by_text("已退回修改。")).to_be_visible()

    # The clerk prices the development line lower, in place, and resubmits.
    page.context.clear_cookies()
    log_in(page, live_server.url, "edu_clerk")
    page.goto(f"{live_server.url}/projects/{project.code}/")
    page.get_by_role("link", name="编辑 系统开发").click()
    expect(page.get_by_label("服务内容")).to_have_value("系统开发")
    page.get_by_label("单价（元）").fill("420000")
    page.get_by_label("理由").fill("按压减后的功能点重新测算。")
    page.get_by_role("button", name="测算并保存").click()
    expect(page.get_by_text("明细已保存：系统开发，420,000.00 元。")).to_be_visible()
    page.goto(f"{live_server.url}/review/{project.code}/")
    page.get_by_role("button", name="确认：报送").click()
    expect(page.get_by_text("已报送审核。")).to_be_visible()

    # The reviewer sees the line-level diff against the version returned.
    page.context.clear_cookies()
    log_in(page, live_server.url, "edu_head")
    page.get_by_role("link", name="我的待办").click()
    page.get_by_role("link", name=project.code).click()
    changes = page.locator("#changes")
    expect(changes.get_by_role("heading", name="退回后的变化")).to_be_visible()
    expect(changes).to_contain_text("开发费用偏高，请压减")
    row = changes.get_by_role("row", name="系统开发")
    expect(row).to_contain_text("修改")
    expect(row).to_contain_text("500,000.00")
    expect(row).to_contain_text("420,000.00")
    expect(row).to_contain_text("-80,000.00")
    expect(changes.locator("dl.facts")).to_contain_text("-80,000.00")
    expect(page.locator("#lines")).to_contain_text("退回后修改")


def test_a_return_needs_a_reason(
    page: Page, live_server, cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
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
