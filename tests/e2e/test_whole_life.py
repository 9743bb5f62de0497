"""The whole life of one project in a browser (issue #17, "Done when"): registered into the
reserve through the reserve form, priced there with the standard in force, declared for
2027 (申报 2027 年预算), its difference from the plan explained, submitted, reviewed
through every stage (the finance reviewer cuts its line), approved in a batch; then, as
the product orders it, its single-source procurement approved in a named batch (finance
gathers only approved projects into such a batch); a contract recorded; the treasury's
payments imported from an Excel file; the unspent amount carried over; the project closed.
At the end the execution dashboard, the project page, the summary and the plan report
agree with the lines and the payments.
"""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from accounts.models import User
from budgeting.models import BudgetCycle, ProcurementBatch, ProcurementBatchState
from execution import payment_file
from execution.models import CarryOver, CarryOverState, Closure, Payment
from projects.models import Project, ProjectState
from projects.tests import documents
from tests.e2e.test_smoke import log_in
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db(transaction=True)

SUPPLIER = "粤教信息技术有限公司"
BATCH = "2027年第一批"
PROCUREMENT_BATCH = "2027年第一批 单一来源采购方式"
LINE = "定制软件开发服务（工作量估算法）"


def _as(page: Page, url: str, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, url, username)


def _payments_file(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = payment_file.SHEET
    sheet.append(list(payment_file.HEADERS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def _register_in_the_reserve(page: Page) -> None:
    page.get_by_role("link", name="项目库", exact=True).click()
    page.get_by_role("link", name="登记储备项目").click()
    page.get_by_label("项目名称").fill("教育考试综合管理平台建设")
    page.get_by_label("建设类").check()
    page.get_by_label("新建", exact=True).check()
    page.get_by_label("已纳入").check()
    page.get_by_label("特定目标类").check()
    page.get_by_label("采购方式").select_option(label="单一来源")
    page.get_by_label("单一来源理由").select_option(label="只能从唯一供应商处采购")
    page.get_by_label("单一来源情况说明").fill("平台基于该供应商独有的考试编排引擎。")
    page.get_by_label("拟定供应商").fill(SUPPLIER)
    page.get_by_label("开始年度", exact=True).fill("2027")
    page.get_by_label("结束年度").fill("2028")
    page.get_by_label("规划金额，开始年度（元）").fill("600000")
    page.get_by_label("项目背景及必要性").fill("考试业务分散在多个系统，需统一管理。")
    page.get_by_label("建设内容").fill("考务编排、报名、成绩管理。")
    page.get_by_label("预期成效").fill("考试业务一网通办。")
    page.get_by_label("联系人").fill("李明")
    page.get_by_label("联系电话").fill("020-83134000")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_text("项目 R-EDU-0001 已登记。")).to_be_visible()


def _targets_documents_and_a_priced_line(page: Page, tmp_path: Path) -> None:
    targets = page.locator("#targets")
    for tier, indicator, name in (
        ("产出指标", "数量指标", "上线业务模块"),
        ("效益指标", "社会效益", "考生办事跑动次数减少"),
    ):
        targets.get_by_label("一级指标").select_option(label=tier)
        targets.get_by_label("二级指标").select_option(label=indicator)
        targets.get_by_label("三级指标名称").fill(name)
        targets.get_by_label("指标值").fill("3")
        targets.get_by_label("计量单位").fill("项")
        targets.get_by_role("button", name="添加绩效目标").click()
        expect(page.get_by_role("cell", name=name, exact=True)).to_be_visible()
    for kind, filename in (("可行性研究报告", "可研.pdf"), ("建设方案/实施方案", "实施方案.pdf")):
        pdf = tmp_path / filename
        pdf.write_bytes(documents.PDF_BYTES)
        attachments = page.locator("#attachments")
        attachments.get_by_label("材料").select_option(label=kind)
        attachments.get_by_label("文件").set_input_files(str(pdf))
        attachments.get_by_role("button", name="上传").click()
        expect(page.get_by_role("link", name=filename)).to_be_visible()
    # One line priced by the standard in force: 24 person-months × 24,000 = 576,000.
    page.get_by_role("link", name="添加预算明细").click()
    page.get_by_role("link", name=LINE).click()
    page.get_by_label("编码", exact=True).fill("18")
    page.get_by_label("测试", exact=True).fill("6")
    expect(page.locator("#line-preview")).to_contain_text("576,000.00")
    page.get_by_role("button", name="测算并添加").click()
    expect(page.get_by_text("已添加明细")).to_be_visible()
    expect(page.locator("#lines tr.row--total")).to_contain_text("576,000.00")


def _decide(page: Page, url: str, username: str, code: str) -> None:
    _as(page, url, username)
    page.get_by_role("link", name="我的待办").click()
    page.get_by_role("link", name=code).click()
    page.get_by_role("button", name="确认：审核通过").click()


def test_one_project_from_the_reserve_to_closure_and_the_reports_agree(
    page: Page,
    live_server,
    tmp_path: Path,
    settings,
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    seed_standards()
    url = live_server.url

    # 储备: the clerk registers the project into the unit's library, without a year.
    log_in(page, url, "edu_clerk")
    _register_in_the_reserve(page)
    _targets_documents_and_a_priced_line(page, tmp_path)

    # 申报 2027 年预算: the library moves it into the open year, where it is a draft.
    page.get_by_role("link", name="项目库", exact=True).click()
    page.get_by_role("row", name="R-EDU-0001").get_by_role("link", name="申报 2027 年预算").click()
    page.get_by_role("button", name="确认：申报 2027 年预算").click()
    expect(page.get_by_text("R-EDU-0001 已申报2027年度预算")).to_be_visible()
    code = "R-EDU-0001"
    project_url = f"{url}/projects/{code}/"

    # The request (576,000) is not the plan's 600,000: nothing submits without the reason.
    page.goto(project_url)
    page.get_by_role("link", name="报送与审核").click()
    expect(page.locator("#still-needed")).to_contain_text("与2027年规划金额（600,000.00 元）不一致")
    expect(page.get_by_role("button", name="确认：报送")).to_have_count(0)
    page.goto(project_url)
    page.get_by_role("link", name="编辑", exact=True).click()
    page.get_by_label("申报数与规划不一致的理由").fill("按工作量重新测算，压减测试人月。")
    page.get_by_role("button", name="保存修改").click()
    page.get_by_role("link", name="报送与审核").click()
    page.get_by_role("button", name="确认：报送").click()
    expect(page.get_by_text("已报送审核。")).to_be_visible()

    # Every review stage; finance cuts the line to 540,000 with a reason.
    _decide(page, url, "edu_head", code)
    expect(page.locator("[aria-current=step]")).to_have_text("技术审核")
    _decide(page, url, "data_reviewer", code)
    expect(page.locator("[aria-current=step]")).to_have_text("财政审核")
    _as(page, url, "finance_reviewer")
    page.get_by_role("link", name="我的待办").click()
    page.get_by_role("link", name=code).click()
    cut = page.locator("form.cut-form")
    cut.get_by_label("审核数").fill("540000")
    cut.get_by_label("审减理由").select_option(label="工作量偏高")
    cut.get_by_role("button", name=f"保存 {LINE}").click()
    expect(page.get_by_text("审核数已保存。")).to_be_visible()
    page.get_by_role("button", name="确认：审核通过").click()
    expect(page.locator("[aria-current=step]")).to_have_text("终审")

    # 批复 in a named batch by the finance director.
    _as(page, url, "finance_director")
    page.get_by_role("link", name="批次批复").click()
    page.get_by_label(code).check()
    page.get_by_label("批次名称").fill(BATCH)
    page.get_by_role("button", name="下一步：核对批次").click()
    page.get_by_role("button", name="批复 1 个项目，共 540,000.00 元").click()
    expect(page.get_by_text(f"批次“{BATCH}”已批复。")).to_be_visible()

    # Its single-source procurement, approved by finance in a named batch.
    _as(page, url, "finance_reviewer")
    page.get_by_role("link", name="单一来源采购审批").click()
    page.get_by_role("link", name="新建批次").click()
    page.get_by_label(code).check()
    page.get_by_label("批次名称").fill(PROCUREMENT_BATCH)
    page.get_by_label("批复文号").fill("粤财采〔2027〕1号")
    page.get_by_role("button", name="创建批次").click()
    expect(page.get_by_test_id("batch-total")).to_have_text("540,000.00")
    page.get_by_role("button", name="批准单一来源采购").click()
    expect(page.get_by_text(f"“{PROCUREMENT_BATCH}”单一来源采购方式已批准。")).to_be_visible()

    # The clerk sees the approval and records the contract with the proposed supplier.
    _as(page, url, "edu_clerk")
    page.goto(project_url)
    expect(page.get_by_test_id("procurement-state")).to_contain_text("已批准")
    page.get_by_role("link", name="合同和支付").click()
    page.get_by_label("供应商").fill(SUPPLIER)
    page.get_by_label("合同金额（元）").fill("500000.00")
    page.get_by_label("签订日期").fill("2027-03-01")
    page.get_by_role("button", name="登记合同").click()
    expect(page.get_by_text("合同已登记。")).to_be_visible()

    # Finance imports the treasury's payments from an Excel file.
    _as(page, url, "finance_reviewer")
    page.get_by_role("link", name="执行进度").click()
    page.get_by_role("link", name="导入支付").click()
    paid_rows: list[list[object]] = [
        ["ZF-2027-0001", code, 200000, datetime.date(2027, 4, 1), None],
        ["ZF-2027-0002", code, "16000.00", "2027-06-30", None],
    ]
    payments = _payments_file(tmp_path / "支付明细.xlsx", paid_rows)
    page.get_by_label("支付明细文件").set_input_files(payments)
    page.get_by_role("button", name="导入支付").click()
    expect(page.get_by_text("已导入 2 条支付，文件合计 216,000.00 元；0 条已存在")).to_be_visible()

    # The dashboard, with a target of 50 % by 30 September: the project is below it.
    page.get_by_role("link", name="执行进度").click()
    page.get_by_label("目标执行率（%）").fill("50")
    page.get_by_label("截止日期").fill("2027-09-30")
    page.get_by_role("button", name="保存目标").click()
    expect(page.get_by_text("执行目标已保存。")).to_be_visible()
    row = page.get_by_role("row", name=code)
    for figure in ("540,000.00", "500,000.00", "216,000.00", "40.00%"):
        expect(row).to_contain_text(figure)

    # 结转: the unit asks to carry the unspent 324,000 over; finance approves.
    _as(page, url, "edu_clerk")
    page.goto(f"{url}/execution/{code}/")
    page.get_by_label("结转理由").fill("平台联调延至次年")
    page.get_by_role("button", name="申请结转").click()
    expect(page.get_by_text("已申请结转。")).to_be_visible()
    _as(page, url, "finance_reviewer")
    page.goto(f"{url}/execution/{code}/")
    page.get_by_label("同意结转").check()
    page.get_by_role("button", name="保存决定").click()
    expect(page.get_by_text("已同意结转。")).to_be_visible()

    # 结项: finance closes it.
    page.get_by_role("button", name="结项").click()
    expect(page.get_by_text("项目已结项。")).to_be_visible()

    # The project page: approved, contracted, paid, rate and carried over, as the lines
    # and the file say.
    _as(page, url, "edu_clerk")
    page.goto(project_url)
    figures = page.locator("#execution-panel + dl.facts")
    for label, figure in (
        ("审核数", "540,000.00"),
        ("已签合同", "500,000.00"),
        ("已支付", "216,000.00"),
        ("执行率", "40.00%"),
        ("已结转", "324,000.00"),
    ):
        expect(figures).to_contain_text(label)
        expect(figures).to_contain_text(figure)
    expect(page.get_by_text("已结项").first).to_be_visible()

    # The summary and the plan report count the closed project's approval.
    _as(page, url, "finance_reviewer")
    page.goto(f"{url}/reports/summary/?year=2027")
    unit_row = page.get_by_role("row", name="省教育厅").first  # in 万元: requested, approved
    expect(unit_row).to_contain_text("57.60")
    expect(unit_row).to_contain_text("54.00")
    page.goto(f"{url}/reports/plan/?year=2027")
    plan_row = page.get_by_role("row", name="省教育厅")
    for figure in ("600,000.00", "576,000.00", "540,000.00"):
        expect(plan_row).to_contain_text(figure)
    # The dashboard's every-project view still shows the closed year's figures.
    page.goto(f"{url}/execution/progress/?year=2027&everything=on")
    row = page.get_by_role("row", name=code)
    for figure in ("540,000.00", "500,000.00", "216,000.00", "40.00%"):
        expect(row).to_contain_text(figure)

    # And the database agrees with what the pages said.
    project = Project.objects.get(code=code)
    assert project.state == ProjectState.CLOSED
    assert project.approved_amount == Decimal("540000.00")
    assert project.requested_amount == Decimal("576000.00")
    assert ProcurementBatch.objects.get(name=PROCUREMENT_BATCH).state == (
        ProcurementBatchState.APPROVED
    )
    assert Payment.objects.filter(project=project).aggregate(t=Sum("amount"))["t"] == Decimal(
        "216000.00"
    )
    assert CarryOver.objects.get(project=project).state == CarryOverState.APPROVED
    closure = Closure.objects.get(project=project)
    assert (closure.approved, closure.contracted, closure.paid, closure.carried_over) == (
        Decimal("540000.00"),
        Decimal("500000.00"),
        Decimal("216000.00"),
        Decimal("324000.00"),
    )
