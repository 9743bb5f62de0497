"""The project library in a browser (issue #17): a clerk registers a reserve project,
finds it in the library, declares it for the open year, where it is a draft; a rejected
project goes back to the reserve in one click."""

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


def test_reserve_to_the_years_draft_and_a_rejected_project_back_to_the_reserve(
    page: Page,
    live_server,
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
) -> None:
    rejected = make_ready(register(submitter, name="重复建设的平台"), submitter)
    rejected = services.submit(rejected, actor=submitter, expected_version=rejected.version)
    services.reject(
        rejected, actor=department_approver, expected_version=rejected.version, comment="重复建设"
    )
    url = live_server.url
    log_in(page, url, "edu_clerk")

    # Registered into the reserve: the same form, without a budget year.
    page.get_by_role("link", name="项目库", exact=True).click()
    page.get_by_role("link", name="登记储备项目").click()
    expect(page.get_by_label("预算年度", exact=True)).to_have_count(0)
    page.get_by_label("项目名称").fill("智慧校园统一身份认证建设")
    page.get_by_label("建设类").check()
    page.get_by_label("新建", exact=True).check()
    page.get_by_label("已纳入").check()
    page.get_by_label("特定目标类").check()
    page.get_by_label("采购方式").select_option(label="公开招标")
    page.get_by_label("开始年度", exact=True).fill("2027")
    page.get_by_label("结束年度").fill("2028")
    page.get_by_label("规划金额，开始年度（元）").fill("600000")
    page.get_by_label("项目背景及必要性").fill("各校账号分散，需统一认证。")
    page.get_by_label("建设内容").fill("统一身份认证与单点登录。")
    page.get_by_label("预期成效").fill("师生一个账号通行。")
    page.get_by_label("联系人").fill("李明")
    page.get_by_label("联系电话").fill("020-83134000")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_text("项目 R-EDU-0001 已登记。")).to_be_visible()
    expect(page.get_by_text("项目库（储备）")).to_be_visible()

    # The library lists it in the reserve, with the open year to declare it for.
    page.get_by_role("link", name="项目库", exact=True).click()
    row = page.get_by_role("row", name="R-EDU-0001")
    expect(row.get_by_text("储备", exact=True).first).to_be_visible()
    row.get_by_role("link", name="申报 2027 年预算").click()
    page.get_by_role("button", name="确认：申报 2027 年预算").click()
    expect(page.get_by_text("R-EDU-0001 已申报2027年度预算")).to_be_visible()

    # In the year's list, a draft.
    page.goto(f"{url}/projects/?year=2027")
    declared = page.get_by_role("row", name="R-EDU-0001")
    expect(declared.get_by_text("草稿")).to_be_visible()

    # The rejected project returns to the reserve in one click.
    page.get_by_role("link", name="项目库", exact=True).click()
    page.get_by_role("row", name=rejected.code).get_by_role("button", name="退回项目库").click()
    expect(page.get_by_text(f"{rejected.code} 已退回项目库。")).to_be_visible()
    page.goto(f"{url}/projects/library/?state=reserve")
    expect(page.get_by_role("row", name=rejected.code)).to_be_visible()
    expect(page.get_by_role("row", name="R-EDU-0001")).to_have_count(0)
    assert Project.objects.get(pk=rejected.pk).state == ProjectState.RESERVE
