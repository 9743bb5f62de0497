"""WCAG 2.1 A and AA with axe-core on every page we have, plus reflow and focus.

axe-core comes inside axe-playwright-python (no CDN). A scan is a floor, not
proof of AA: it finds about half of the problems a person would.
"""

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import ConsoleMessage, Page, expect
from pytest_django.fixtures import Settings

from accounts.models import User
from tests.personas import MEMBERS

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def csp_violations(page: Page) -> Iterator[list[str]]:
    """Console errors from the Content-Security-Policy: our pages must cause none."""
    refused: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", listen)
    yield refused
    assert not refused, refused


def assert_accessible(page: Page, what: str) -> None:
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    assert results.violations_count == 0, f"{what}: {results.generate_report()}"


def log_in(page: Page, base_url: str, username: str, password: str = "") -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password or settings.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_login_pages_are_accessible(
    page: Page, live_server, submitter: User, csp_violations: list[str]
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page, "login")
    log_in(page, live_server.url, "edu_clerk", "not-the-password")
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "login with errors")


@pytest.mark.parametrize("persona", MEMBERS)
@pytest.mark.usefixtures("exam_authority", "csp_violations")
def test_home_is_accessible_for_every_role(
    persona: str, page: Page, live_server, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    log_in(page, live_server.url, user.username)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, f"home as {persona}")
    # The user menu opened: its panel must pass too.
    page.locator("summary").click()
    assert_accessible(page, f"home as {persona}, user menu open")


def test_account_and_error_pages_are_accessible(
    page: Page, live_server, admin_user: User, csp_violations: list[str]
) -> None:
    log_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/accounts/password/")
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator(".field__error").first).to_be_visible()
    assert_accessible(page, "password change with errors")

    page.goto(f"{live_server.url}/no-such-page/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, "404")

    # The admin's autocomplete endpoint without parameters is refused with our 403 page.
    response = page.goto(f"{live_server.url}/admin/autocomplete/")
    assert response is not None and response.status == 403
    assert_accessible(page, "403")


def test_lockout_page_is_accessible(
    page: Page, live_server, submitter: User, csp_violations: list[str]
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(page, live_server.url, "edu_clerk", "not-the-password")
    # Language-neutral: the lockout page's text is translated later.
    expect(page.get_by_label("密码")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, "lockout")


def test_two_factor_pages_are_accessible(
    page: Page, live_server, settings: Settings, data_reviewer: User, finance_reviewer: User
) -> None:
    settings.ENFORCE_2FA = True  # the live server runs in this process: it sees the change
    log_in(page, live_server.url, "data_reviewer")
    expect(page.locator("img.qr-code")).to_be_visible()
    assert_accessible(page, "two-factor set-up")
    page.get_by_role("button").last.click()
    expect(page.locator(".field__error")).to_be_visible()
    assert_accessible(page, "two-factor set-up with errors")

    TOTPDevice.objects.create(user=finance_reviewer, name="phone", confirmed=True)
    page.context.clear_cookies()
    log_in(page, live_server.url, "finance_reviewer")
    page.get_by_role("button").last.click()
    expect(page.locator(".field__error")).to_be_visible()
    assert_accessible(page, "two-factor code with errors")


def _scrolls_sideways(page: Page) -> bool:
    return bool(
        page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    )


def test_login_and_home_reflow_at_320_pixels(
    page: Page, live_server, finance_reviewer: User, exam_authority
) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{live_server.url}/accounts/login/")
    assert not _scrolls_sideways(page), "login scrolls sideways at 320 px"
    log_in(page, live_server.url, "finance_reviewer")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert not _scrolls_sideways(page), "home scrolls sideways at 320 px"


def test_keyboard_reaches_the_login_button_with_a_visible_focus_ring(
    page: Page, live_server
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    login_button = page.get_by_role("button", name="登录")
    for _ in range(12):
        page.keyboard.press("Tab")
        if login_button.evaluate("button => button === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the login button")
    outline = login_button.evaluate(
        "button => { const s = getComputedStyle(button);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none"
    assert outline[1] >= 2
