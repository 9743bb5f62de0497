"""The finance reviewer opens the dashboard and the summary, drills down to the
projects and downloads the Excel export, in a real browser."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from budgeting.tests.report_fixtures import World, report_world
from tests.e2e.test_accessibility import log_in

__all__ = ["report_world"]

pytestmark = pytest.mark.django_db(transaction=True)


def test_finance_reviewer_drills_down_and_downloads(
    page: Page, live_server, report_world: World
) -> None:
    log_in(page, live_server.url, "finance_reviewer")
    expect(page.get_by_role("heading", name="2027年度部门预算：进度")).to_be_visible()
    expect(page.get_by_role("img", name="2027年度部门预算各状态项目数")).to_be_visible()
    page.get_by_role("link", name="汇总").click()
    page.get_by_label("预算年度").fill("2027")
    page.get_by_label("汇总维度").select_option(label="费用类别")
    page.get_by_role("button", name="显示").click()
    table = page.get_by_role("table", name="按费用类别")
    expect(table.get_by_role("row")).to_have_count(5)  # header, 3 fee classes, total
    table.get_by_role("link", name="运行维护服务费", exact=True).click()
    expect(page.get_by_role("link", name=report_world.approved.code)).to_be_visible()
    expect(page.get_by_role("link", name=report_world.waiting.code)).to_have_count(0)
    page.go_back()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Excel").click()
    download = download_info.value
    assert download.suggested_filename == "summary-2027-fee_class.xlsx"
    sheet = load_workbook(io.BytesIO(open(download.path(), "rb").read())).active  # noqa: SIM115
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "费用类别"
    assert rows[-1][0] == "合计"
    with page.expect_download() as lines_info:
        page.get_by_role("link", name="全部预算明细（Excel）").click()
    assert lines_info.value.suggested_filename == "estimate-lines-2027.xlsx"
