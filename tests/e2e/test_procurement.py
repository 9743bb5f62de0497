"""Single-source procurement approval in a browser (issue #17): the clerk chooses 单一来源
and cannot submit until the ground, the justification and the supplier are given; once
the budget is approved, finance gathers the project into "2027年第一批 单一来源采购方式",
approves it and opens its approval sheet; the clerk's change of method withdraws it."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from budgeting import procurement, services
from budgeting.models import BudgetCycle, ProcurementBatch, ProcurementBatchState
from budgeting.tests.workflow_fixtures import make_ready
from projects.models import Project
from projects.tests.factories import register
from tests.e2e.test_smoke import log_in

pytestmark = pytest.mark.django_db(transaction=True)
BATCH = "2027年第一批 单一来源采购方式"
SUPPLIER = "粤警信息技术有限公司"


def test_single_source_from_justification_to_batch_approval_and_withdrawal(
    page: Page,
    live_server,
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    project = make_ready(register(submitter, contact_phone="020-83134000"), submitter)
    url = f"{live_server.url}/projects/{project.code}/"

    # The clerk chooses 单一来源: its fields appear; saved without them, nothing submits.
    log_in(page, live_server.url, "edu_clerk")
    page.goto(url)
    page.get_by_role("link", name="编辑", exact=True).click()
    expect(page.get_by_label("拟定供应商")).to_be_hidden()
    page.get_by_label("采购方式").select_option(label="单一来源")
    expect(page.get_by_label("拟定供应商")).to_be_visible()
    page.get_by_role("button", name="保存修改").click()
    page.get_by_role("link", name="报送与审核").click()
    needed = page.locator("#still-needed")
    expect(needed).to_contain_text("单一来源采购：请选择单一来源理由。")
    expect(needed).to_contain_text("单一来源采购：请填写单一来源情况说明。")
    expect(needed).to_contain_text("单一来源采购：请填写拟定供应商。")
    expect(page.get_by_role("button", name="确认：报送")).to_have_count(0)

    # The clerk fills them in and submits.
    page.goto(url)
    page.get_by_role("link", name="编辑", exact=True).click()
    page.get_by_label("单一来源理由").select_option(label="只能从唯一供应商处采购")
    page.get_by_label("单一来源情况说明").fill("该系统采用供应商独有的专利技术。")
    page.get_by_label("拟定供应商").fill(SUPPLIER)
    page.get_by_role("button", name="保存修改").click()
    expect(page.locator("dl.facts").first).to_contain_text(SUPPLIER)
    expect(page.get_by_test_id("procurement-state")).to_contain_text("未申请")
    page.get_by_role("link", name="报送与审核").click()
    page.get_by_role("button", name="确认：报送").click()
    expect(page.get_by_text("已报送审核。")).to_be_visible()

    # The review approves the budget (the review's own browser test walks it).
    project = Project.objects.get(pk=project.pk)
    for reviewer in (department_approver, data_reviewer, finance_reviewer):
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
    services.approve(project, actor=finance_approver, expected_version=project.version)

    # Finance makes the batch from the year's approved single-source projects.
    page.context.clear_cookies()
    log_in(page, live_server.url, "finance_reviewer")
    page.get_by_role("link", name="单一来源采购审批").click()
    page.get_by_role("link", name="新建批次").click()
    expect(page.get_by_test_id("candidates-total")).to_have_text("500,000.00")
    page.get_by_label(project.code).check()
    page.get_by_label("批次名称").fill(BATCH)
    page.get_by_label("批复文号").fill("粤财采〔2027〕1号")
    page.get_by_role("button", name="创建批次").click()
    expect(page.get_by_role("heading", name=BATCH)).to_be_visible()
    expect(page.get_by_test_id("batch-total")).to_have_text("500,000.00")
    page.get_by_role("button", name="批准单一来源采购").click()
    expect(page.get_by_text(f"“{BATCH}”单一来源采购方式已批准。")).to_be_visible()
    expect(page.locator(".page-head__actions .state")).to_have_text("已批准")
    page.get_by_role("link", name="打印批复表").click()
    sheet = page.locator("article.print-sheet")
    expect(sheet).to_contain_text(BATCH)
    expect(sheet).to_contain_text("粤财采〔2027〕1号")
    expect(sheet.get_by_role("row", name=project.code)).to_contain_text(SUPPLIER)
    expect(sheet.locator("tfoot")).to_contain_text("500,000.00")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出批复表").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    batch = ProcurementBatch.objects.get(name=BATCH)
    assert batch.state == ProcurementBatchState.APPROVED

    # The clerk sees the approval; changing the method withdraws it, with its event.
    page.context.clear_cookies()
    log_in(page, live_server.url, "edu_clerk")
    page.goto(url)
    state = page.get_by_test_id("procurement-state")
    expect(state).to_contain_text("已批准")
    expect(state).to_contain_text(BATCH)
    page.get_by_role("link", name="变更采购方式或供应商").click()
    page.get_by_label("采购方式").select_option(label="公开招标")
    expect(page.get_by_label("拟定供应商")).to_be_hidden()
    page.get_by_label("变更理由").fill("供应商不再提供该服务，改为公开招标。")
    page.get_by_role("button", name="保存变更").click()
    expect(page.get_by_text("采购方式已变更。")).to_be_visible()
    expect(page.get_by_test_id("procurement-state")).to_contain_text("已撤销")
    history = page.locator("ol.history")
    expect(history).to_contain_text("单一来源采购批复已撤销")
    expect(history).to_contain_text("变更采购方式或供应商")
    assert procurement.standing_of(project).code == "withdrawn"
