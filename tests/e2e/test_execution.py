"""Execution in a browser: an approved project's contract recorded by the clerk, finance's
payments file refused with its row and column, then imported, then imported again with
nothing changed; the dashboard lists the project below the target; the unit asks for a
carry-over, finance approves it and closes the project; the figures agree with the file."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from accounts.models import User
from api.tests.conftest import approved, deciders  # noqa: F401  # an approved project
from execution import payment_file
from execution.models import Closure, Payment
from projects.models import Project, ProjectState
from tests.e2e.test_smoke import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def _file(tmp_path: Path, name: str, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = payment_file.SHEET
    sheet.append(list(payment_file.HEADERS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    path = tmp_path / name
    path.write_bytes(out.getvalue())
    return path


def _as(page: Page, url: str, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, url, username)


def test_an_approved_project_from_contract_to_closure(
    page: Page,
    live_server,
    tmp_path: Path,
    approved: Project,  # noqa: F811
    submitter: User,
    finance_reviewer: User,
) -> None:
    url, code = live_server.url, approved.code  # approved: 500,000.00
    # The clerk records a contract.
    _as(page, url, "edu_clerk")
    page.goto(f"{url}/projects/{code}/")
    page.get_by_role("link", name="合同和支付").click()
    page.get_by_label("供应商").fill("广州某科技有限公司")
    page.get_by_label("合同金额（元）").fill("400000.00")
    page.get_by_label("签订日期").fill("2027-03-01")
    page.get_by_role("button", name="登记合同").click()
    expect(page.get_by_text("合同已登记。")).to_be_visible()
    # And a payment, by its own labels (the contract's form is on the same page).
    page.get_by_label("支付金额（元）").fill("10000.00")
    page.get_by_label("支付日期").fill("2027-03-15")
    page.get_by_role("button", name="登记支付").click()
    expect(page.get_by_text("支付已登记。")).to_be_visible()

    # Finance imports the treasury's payments: a bad file first, refused where it is wrong.
    _as(page, url, "finance_reviewer")
    page.get_by_role("link", name="执行进度").click()
    page.get_by_role("link", name="导入支付").click()
    bad = _file(tmp_path, "bad.xlsx", [["ZF-1", code, "十万", "2027-04-01", None]])
    page.get_by_label("支付明细文件").set_input_files(bad)
    page.get_by_role("button", name="导入支付").click()
    expect(page.get_by_role("alert")).to_contain_text("工作表 支付明细 第 2 行 C 列")
    rows: list[list[object]] = [
        ["ZF-1", code, 100000, datetime.date(2027, 4, 1), None],
        ["ZF-2", code, "50000.50", "2027-06-30", None],
    ]
    good = _file(tmp_path, "good.xlsx", rows)
    page.get_by_label("支付明细文件").set_input_files(good)
    page.get_by_role("button", name="导入支付").click()
    expect(page.get_by_text("已导入 2 条支付，文件合计 150,000.50 元；0 条已存在")).to_be_visible()
    page.get_by_label("支付明细文件").set_input_files(good)
    page.get_by_role("button", name="导入支付").click()
    expect(page.get_by_text("2 条已存在，未重复导入")).to_be_visible()
    assert Payment.objects.aggregate(total=Sum("amount"))["total"] == Decimal("160000.50")

    # The dashboard, with finance's target of 50 % by 30 September: listed below it.
    page.get_by_role("link", name="执行进度").click()
    page.get_by_label("目标执行率（%）").fill("50")
    page.get_by_label("截止日期").fill("2027-09-30")
    page.get_by_role("button", name="保存目标").click()
    expect(page.get_by_text("执行目标已保存。")).to_be_visible()
    listed = page.get_by_role("link", name=code)
    expect(listed).to_be_visible()
    expect(page.get_by_role("row", name=code)).to_contain_text("32.00%")

    # The unit asks to carry the unspent amount over; finance approves.
    _as(page, url, "edu_clerk")
    page.goto(f"{url}/execution/{code}/")
    page.get_by_label("结转理由").fill("系统联调延期至次年")
    page.get_by_role("button", name="申请结转").click()
    expect(page.get_by_text("已申请结转。")).to_be_visible()
    _as(page, url, "finance_reviewer")
    page.goto(f"{url}/execution/{code}/")
    page.get_by_label("同意结转").check()
    page.get_by_role("button", name="保存决定").click()
    expect(page.get_by_text("已同意结转。")).to_be_visible()

    # Finance closes it: the final figures agree with the file and the clerk's payment.
    page.get_by_role("button", name="结项").click()
    expect(page.get_by_text("项目已结项。")).to_be_visible()
    closure = Closure.objects.get(project=approved)
    assert (closure.approved, closure.contracted, closure.paid, closure.carried_over) == (
        Decimal("500000.00"),
        Decimal("400000.00"),
        Decimal("160000.50"),
        Decimal("339999.50"),
    )
    approved.refresh_from_db()
    assert approved.state == ProjectState.CLOSED
    page.goto(f"{url}/execution/{code}/")
    expect(page.get_by_text("已于")).to_be_visible()
    expect(page.locator("body")).to_contain_text("160,000.50")
    expect(page.locator("body")).to_contain_text("339,999.50")
    _as(page, url, "edu_clerk")
    page.goto(f"{url}/execution/{code}/")
    expect(page.get_by_role("button", name="登记支付")).to_have_count(0)
