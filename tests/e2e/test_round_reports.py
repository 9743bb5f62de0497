"""A year of two rounds in a real browser (issue #16): finance opens the summary with its
round columns (一上申报数 ... 批复数) and chart, then the printable approval sheet of the
二下 batch with its 批复文号, which prints without the site's chrome."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from reports.tests.round_fixtures import DOCUMENT_NUMBER, RoundsWorld, rounds_world
from tests.e2e.test_accessibility import assert_accessible, log_in

__all__ = ["rounds_world"]

pytestmark = pytest.mark.django_db(transaction=True)


def test_finance_sees_the_round_columns_and_prints_the_approval_sheet(
    page: Page, live_server, rounds_world: RoundsWorld
) -> None:
    log_in(page, live_server.url, "finance_director")
    page.goto(f"{live_server.url}/reports/summary/?year=2027&by=unit")
    table = page.get_by_role("table", name="按单位和轮次")
    expect(table).to_be_visible()
    headers = table.get_by_role("columnheader")
    expect(headers).to_have_text(
        ["预算单位", "一上申报数", "一上审核数", "控制数", "二上申报数", "批复数"]
    )
    edu = table.get_by_role("row").filter(has_text=rounds_world.education.name)
    expect(edu.get_by_role("cell")).to_have_text(
        [rounds_world.education.name, "100.00", "40.00", "42.00", "41.00", "41.00"]
    )
    expect(table.get_by_role("row").last).to_contain_text("158.00")
    expect(page.get_by_role("img", name="各单位申报数、控制数与批复数（万元）")).to_be_visible()
    assert_accessible(page, "summary with round columns")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出轮次数据（Excel）").click()
    content = io.BytesIO(download_info.value.path().read_bytes())
    rows = list(load_workbook(content).active.iter_rows(values_only=True))
    assert rows[0][1] == "一上申报数（万元）"
    assert rows[-1] == ("合计", 158, 98, 102, 99, 41)

    page.goto(f"{live_server.url}/review/batches/")
    page.get_by_role("link", name="2027年第一批").click()
    expect(page.get_by_text(DOCUMENT_NUMBER)).to_be_visible()
    page.get_by_role("link", name="打印批复表").click()
    expect(page.get_by_role("heading", name="2027年度预算批复：2027年第一批")).to_be_visible()
    expect(page.get_by_text(DOCUMENT_NUMBER)).to_be_visible()
    expect(page.get_by_text("二下")).to_be_visible()
    sheet = page.get_by_role("table", name="按预算单位列示的批复项目（元）")
    expect(sheet.get_by_role("row").filter(has_text="小计")).to_contain_text("410,000.00")
    expect(sheet.get_by_role("row").last).to_contain_text("合计")
    assert_accessible(page, "printable approval sheet")
    # On paper: the sheet alone, without the header, navigation and buttons.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("link", name="导出批复表")).to_be_hidden()
    expect(sheet).to_be_visible()
