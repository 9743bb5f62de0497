"""Finance drafts two scenarios of the control figures, compares them side by side and
issues one in 一下; the unit's head sees the figure on the home page."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Organization, User
from budgeting.models import ControlFigure
from budgeting.tests.figure_helpers import reviewed_in_first_round
from budgeting.tests.workflow_fixtures import advance, two_round_year
from tests.e2e.test_accessibility import assert_accessible, csp_violations
from tests.e2e.test_smoke import log_in

__all__ = ["csp_violations"]  # the fixture, shared

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("csp_violations"),
]


def _new_draft(page: Page, name: str, percent: str, *, keep_operation: bool) -> None:
    page.get_by_role("link", name="控制数", exact=True).click()
    form = page.locator("form", has=page.get_by_role("heading", name="新建方案"))
    form.get_by_label("方案名称").fill(name)
    form.get_by_label("较基数增减（%）").fill(percent)
    if keep_operation:
        form.get_by_label("运维类保持不变：增减只作用于建设类").check()
    form.get_by_role("button", name="创建方案").click()
    expect(page.get_by_text(f"已创建方案“{name}”。")).to_be_visible()


def test_finance_drafts_compares_and_issues_and_the_head_sees_the_figure(
    page: Page,
    live_server,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    health: Organization,
) -> None:
    year = two_round_year()
    reviewed_in_first_round(
        submitter,
        [department_approver, data_reviewer, finance_reviewer],
        "教育平台",
        cut_to="400000",
    )
    advance(year, finance_reviewer)  # 一下: figures may be issued

    log_in(page, live_server.url, "finance_reviewer")
    _new_draft(page, "压减一成", "-10", keep_operation=True)
    assert_accessible(page, "what-if draft")
    # The what-if table: EDU's base 400,000 cut by a tenth, the project carrying it.
    edu = page.get_by_role("row", name="省教育厅")
    expect(edu).to_contain_text("360,000.00")
    expect(edu).to_contain_text("-40,000.00")
    _new_draft(page, "压减两成", "-20", keep_operation=False)

    page.get_by_role("link", name="控制数", exact=True).click()
    page.get_by_label("对比“压减一成”").check()
    page.get_by_label("对比“压减两成”").check()
    page.get_by_role("button", name="对比所选方案").click()
    expect(page.get_by_role("heading", name="方案对比")).to_be_visible()
    assert_accessible(page, "drafts side by side")
    table = page.locator("table", has=page.get_by_role("columnheader", name="压减一成"))
    expect(table.get_by_role("row", name="省教育厅")).to_contain_text("36.00")
    expect(table.get_by_role("row", name="省教育厅")).to_contain_text("32.00")
    expect(table.locator("tfoot")).to_contain_text("36.00")
    assert not ControlFigure.objects.exists()  # nothing binds before the issue

    page.get_by_role("link", name="控制数：").click()
    page.get_by_role("link", name="压减一成").click()
    page.get_by_role("link", name="下达这些控制数…").click()
    assert_accessible(page, "issue confirmation")
    page.get_by_role("button", name="下达控制数，共 360,000.00 元").click()
    expect(page.get_by_text("方案“压减一成”的控制数已下达至 2 个单位。")).to_be_visible()
    expect(page.get_by_role("row", name="省教育厅")).to_contain_text("36.00")
    assert_accessible(page, "control figures overview")

    page.context.clear_cookies()
    log_in(page, live_server.url, "edu_head")
    # The figure and when it was issued; EDU's 500,000 in review is over it.
    controls = page.locator("section[aria-labelledby=controls]")
    row = controls.get_by_role("row", name="省教育厅")
    expect(row).to_contain_text("36.00")
    expect(row).to_contain_text("下达")
    expect(row).to_contain_text("超出控制数")
