import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from accounts.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_clerk_logs_in_and_sees_home_in_chinese_then_english(
    page: Page, live_server, submitter: User, exam_authority
) -> None:
    log_in(page, live_server.url, "edu_clerk")

    # An English-configured browser still gets Chinese until the user chooses.
    expect(page.get_by_role("heading", name="我的预算单位")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_text("填报人")).to_be_visible()
    expect(page.get_by_role("cell", name="省教育考试院")).to_be_visible()

    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="切换").click()
    expect(page.get_by_role("heading", name="My budget unit")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Submitter", exact=True)).to_be_visible()

    # The choice sticks across pages, and logging out is one click away.
    page.reload()
    expect(page.get_by_role("heading", name="My roles")).to_be_visible()
    page.locator("summary").filter(has_text=re.compile("edu_clerk|李")).click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_wrong_password_shows_an_error_in_the_page(
    page: Page, live_server, submitter: User
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("edu_clerk")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
