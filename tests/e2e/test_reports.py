"""The finance reviewer opens the dashboard and the summary, drills down to the
projects and downloads the Excel exports (the lines' from the background worker),
in a real browser."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from accounts.models import User
from classification.models import ClassificationCode, CodeKind
from projects.models import EstimateLine, Project
from projects.permissions import projects_visible_to
from reports.tests.export_helpers import run_the_worker
from reports.tests.report_fixtures import World, report_world
from tests.e2e.test_accessibility import assert_accessible, log_in

__all__ = ["report_world"]

pytestmark = pytest.mark.django_db(transaction=True)


def test_finance_reviewer_drills_down_and_downloads(
    page: Page, live_server, report_world: World
) -> None:
    log_in(page, live_server.url, "finance_reviewer")
    expect(
        page.get_by_role("heading", name="2027年度部门预算：2027 预算年度项目状态")
    ).to_be_visible()
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

    # Every line of the year: written in the background while the page shows progress.
    page.get_by_role("button", name="全部预算明细（Excel）").click()
    expect(page.get_by_role("heading", name="2027年预算明细（Excel）")).to_be_visible()
    expect(page.get_by_role("heading", name="等待后台处理")).to_be_visible()
    expect(page.get_by_role("progressbar", name="进度")).to_be_visible()
    assert_accessible(page, "export waiting for the worker")
    _no_sideways_scroll_at_320(page, "export waiting for the worker")
    run_the_worker()
    download_link = page.get_by_role("link", name="下载工作簿")
    expect(download_link).to_be_visible()  # htmx polled the page until it was ready
    expect(page.get_by_role("heading", name="已生成")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("已生成")  # said once, at the end
    assert_accessible(page, "export ready")
    with page.expect_download() as lines_info:
        download_link.click()
    assert lines_info.value.suggested_filename == "estimate-lines-2027.xlsx"
    content = io.BytesIO(lines_info.value.path().read_bytes())
    rows = list(load_workbook(content).active.iter_rows(values_only=True))
    assert rows[0][0] == "项目编号"
    reviewer = User.objects.get(username="finance_reviewer")
    seen = projects_visible_to(reviewer).filter(budget_year=2027)
    assert len(rows) - 1 == EstimateLine.objects.filter(project__in=seen).count()


def _no_sideways_scroll_at_320(page: Page, what: str) -> None:
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{what} scrolls sideways at 320 px ({width} px wide)"
    if size:
        page.set_viewport_size(size)


def test_finance_groups_the_summary_by_functional_code_and_exports_it(
    page: Page, live_server, report_world: World
) -> None:
    functional = ClassificationCode.objects.create(
        kind=CodeKind.FUNCTIONAL, year=2027, code="2010150", name="事业运行"
    )
    Project.objects.filter(pk=report_world.approved.pk).update(functional_code=functional)
    log_in(page, live_server.url, "finance_reviewer")
    page.get_by_role("link", name="汇总").click()
    page.get_by_label("预算年度").fill("2027")
    page.get_by_label("汇总维度").select_option(label="支出功能分类")
    page.get_by_role("button", name="显示").click()
    table = page.get_by_role("table", name="按支出功能分类")
    expect(table.get_by_role("row")).to_have_count(4)  # header, the code, none chosen, total
    assert_accessible(page, "summary by functional code")
    table.get_by_role("link", name="2010150 事业运行", exact=True).click()
    expect(page.get_by_role("link", name=report_world.approved.code)).to_be_visible()
    expect(page.get_by_role("link", name=report_world.waiting.code)).to_have_count(0)
    page.go_back()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Excel").click()
    assert download_info.value.suggested_filename == "summary-2027-functional.xlsx"
    content = io.BytesIO(download_info.value.path().read_bytes())
    rows = list(load_workbook(content).active.iter_rows(values_only=True))
    assert [row[0] for row in rows] == ["支出功能分类", "2010150 事业运行", "未选择代码", "合计"]
