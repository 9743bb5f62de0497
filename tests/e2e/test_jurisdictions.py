"""全省一盘棋 in a browser (issue #18, "Done when"): a Guangzhou clerk prices a line and
gets Guangzhou's overridden price, named as the city's; a Shenzhen reviewer cannot reach
that project; provincial finance sees both cities in the province's roll-up; the
derivation report shows Guangzhou's override against the province's price."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.e2e.test_smoke import log_in

pytestmark = pytest.mark.django_db(transaction=True)

ITEM = "软件运维服务（驻场人员）"
GUANGZHOU_PRICE = "98,000.00"  # DEMO-GZ-2020 overrides the province's L2 grade of 2.1
GUANGZHOU_SET = "广州市标准 DEMO-GZ-2020 · 市级覆盖"


def _as(page: Page, url: str, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, url, username)


def _register_an_operation_project(page: Page) -> None:
    page.get_by_role("link", name="项目", exact=True).click()
    page.get_by_role("link", name="登记项目").click()
    page.get_by_label("项目名称").fill("广州市教育考试系统运维")
    page.get_by_label("预算年度", exact=True).fill("2027")
    page.get_by_label("运维类").check()
    page.get_by_label("新建", exact=True).check()
    page.get_by_label("已纳入").check()
    page.get_by_label("运转类").check()
    page.get_by_label("采购方式").select_option(label="竞争性磋商")
    page.get_by_label("开始年度").fill("2027")
    page.get_by_label("结束年度").fill("2027")
    page.get_by_label("规划金额，预算年度（元）").fill("98000")
    page.get_by_label("项目背景及必要性").fill("考试系统需驻场运维。")
    page.get_by_label("建设内容").fill("应用运维。")
    page.get_by_label("预期成效").fill("系统可用率不低于99.9%。")
    page.get_by_label("联系人").fill("陈明")
    page.get_by_label("联系电话").fill("020-83134000")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_role("heading", name="广州市教育考试系统运维")).to_be_visible()


def test_each_city_prices_by_its_own_standard_and_the_province_sees_the_whole(
    page: Page, live_server
) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    url = live_server.url

    # A Guangzhou clerk prices a line: Guangzhou's own price, and the page says whose.
    _as(page, url, "gz_clerk")
    _register_an_operation_project(page)
    project_url = page.url
    page.get_by_role("link", name="添加预算明细").click()
    page.get_by_role("link", name=ITEM).click()
    page.get_by_label("等次", exact=True).select_option(label=f"较高 · {GUANGZHOU_PRICE}")
    page.get_by_label("数量", exact=True).fill("1")
    expect(page.locator("#line-preview")).to_contain_text(GUANGZHOU_PRICE)
    page.get_by_role("button", name="测算并添加").click()
    expect(page.get_by_text("已添加明细")).to_be_visible()
    expect(page.get_by_text(GUANGZHOU_SET).first).to_be_visible()
    expect(page.get_by_role("cell", name=GUANGZHOU_PRICE).first).to_be_visible()

    # Shenzhen's finance reviewer cannot reach a Guangzhou project.
    _as(page, url, "sz_finance_reviewer")
    response = page.goto(project_url)
    assert response is not None and response.status == 404
    page.goto(f"{url}/projects/")
    expect(page.get_by_text("广州市教育考试系统运维")).to_have_count(0)

    # Provincial finance sees both cities in the roll-up, and Guangzhou's override.
    _as(page, url, "finance_reviewer")
    page.goto(f"{url}/reports/province/?year=2027")
    expect(page.get_by_role("heading", name="全省汇总").first).to_be_visible()
    expect(page.get_by_text("广州市").first).to_be_visible()
    expect(page.get_by_text("深圳市").first).to_be_visible()
    page.goto(f"{url}/reports/derivations/")
    expect(page.get_by_role("heading", name="标准派生对比").first).to_be_visible()
    override = page.get_by_role("row").filter(has_text=ITEM).filter(has_text=GUANGZHOU_PRICE)
    expect(override.first).to_contain_text("DEMO-GZ-2020")
    expect(override.first).to_contain_text("104,900.00")
