from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from standards import services
from standards.models import Grade
from standards.tests.factories import filled_set, new_version
from tests.e2e.test_smoke import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_clerk_browses_the_standard_and_compares_two_versions(
    page: Page, live_server, submitter: User
) -> None:
    old = filled_set(2, code="GD-2019", name="广东省政务信息化服务预算编制标准")
    new = new_version(old, code="GD-2021")
    grade = Grade.objects.get(item__standard_set=new, item__code="2.01", code="B")
    grade.unit_price = Decimal("130000.00")
    services.save_grade(grade, actor=None)
    services.publish_set(new, actor=None)

    log_in(page, live_server.url, "edu_clerk")
    page.get_by_role("link", name="预算标准").click()
    page.goto(f"{live_server.url}/standards/GD-2019/")
    page.get_by_role("link", name="运维服务1").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("运维服务1")
    expect(page.get_by_text("125,900.00")).to_be_visible()

    page.goto(f"{live_server.url}/standards/compare/")
    page.get_by_label("旧版本").select_option(value="GD-2019")
    page.get_by_label("新版本", exact=True).select_option(value="GD-2021")
    page.get_by_role("button", name="比较").click()
    changed = page.locator("table").first
    expect(changed).to_contain_text("运维服务1")
    expect(changed).to_contain_text("125,900.00")
    expect(changed).to_contain_text("130,000.00")
