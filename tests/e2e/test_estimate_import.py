from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from projects.tests.estimate_files import fill_template
from projects.tests.factories import register
from tests.e2e.test_smoke import log_in
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db(transaction=True)


def test_clerk_fills_the_template_offline_and_applies_it(
    page: Page, live_server, submitter: User, tmp_path: Path
) -> None:
    seed_standards()
    project = register(submitter)
    log_in(page, live_server.url, "edu_clerk")
    page.goto(f"{live_server.url}/projects/{project.code}/")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel 模板").click()
    template = Path(download.value.path()).read_bytes()
    filled = tmp_path / "预算明细.xlsx"
    filled.write_bytes(
        fill_template(
            template,
            [
                {"服务内容编码": "1.3", "基数（元）": 1000000, "比例": 0.2},
                {"服务内容编码": "5.1", "等次编码": "L3", "数量": 1, "系数": 1.2},
            ],
        )
    )

    page.get_by_role("link", name="从 Excel 导入明细").click()
    page.get_by_label("已填写的预算明细模板").set_input_files(filled)
    page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_role("heading", name="导入预览")).to_be_visible()
    expect(page.get_by_role("cell", name="200,000.00", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="320,000.00", exact=True)).to_be_visible()  # the total

    page.get_by_role("button", name="应用：替换全部预算明细").click()
    expect(page.get_by_text("已导入 2 条预算明细")).to_be_visible()
    expect(page.locator("#lines")).to_contain_text("网络安全等级保护测评")
    project.refresh_from_db()
    assert project.requested_amount == Decimal("320000.00")
