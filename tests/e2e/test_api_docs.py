"""The API's documentation page works offline: every request it makes stays on our
server (Swagger UI is django-ninja's own copy, served by whitenoise), nothing is
blocked by our Content-Security-Policy, and it shows the endpoints from the schema."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_docs_load_only_from_our_server(page: Page, live_server) -> None:
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("requestfailed", lambda request: problems.append(f"failed {request.url}"))

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", console)
    page.goto(f"{live_server.url}/api/docs/")

    expect(page.get_by_text("Government IT project budgeting API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/quotas/").first).to_be_visible()
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    page.wait_for_load_state("networkidle")

    hosts = {urlsplit(url).hostname for url in requested if not url.startswith("data:")}
    # The live server answers at localhost, which is 127.0.0.1: nothing else was asked.
    assert hosts, requested
    assert hosts <= {"localhost", "127.0.0.1"}, requested
    assert any(url.endswith("swagger-ui-bundle.js") for url in requested)
    assert any("/api/schema/" in url for url in requested)
    assert not problems, problems
