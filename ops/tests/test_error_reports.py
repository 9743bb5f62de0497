"""The debug page never prints a database or cache password (DEBUG=true under make run)."""

import secrets
import sys

import pytest
from django.http import HttpRequest
from django.test import RequestFactory
from django.views.debug import technical_500_response
from pytest_django.fixtures import Settings

from ops.error_reports import has_password

# Made at run time: the page shows the source lines around each frame, constants too.
DATABASE_PASSWORD, REDIS_PASSWORD = secrets.token_hex(8), secrets.token_hex(8)


def _debug_page(request: HttpRequest | None = None) -> str:
    """The page for an error raised here (whose frame holds no secret of the test's)."""
    request = request or RequestFactory().get("/")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        response = technical_500_response(request, *sys.exc_info())
    return response.content.decode()


def test_the_debug_page_hides_the_database_url_and_urls_with_a_password(
    settings: Settings,
) -> None:
    database_url = f"postgresql://budget:{DATABASE_PASSWORD}@db.example:5432/budget"
    redis_url = f"redis://:{REDIS_PASSWORD}@cache.example:6379/0"
    settings.DEBUG = True
    settings.DATABASE_URL = database_url
    settings.REDIS_URL = redis_url
    redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    settings.CACHES = {**settings.CACHES, "shared": redis}
    # runserver hands the process environment to every request, DATABASE_URL included.
    page = _debug_page(RequestFactory().get("/", DATABASE_URL=database_url, BROKER_URL=redis_url))
    assert "RuntimeError" in page  # it is the debug page
    assert "DATABASE_URL" in page and "BROKER_URL" in page and "LOCATION" in page
    assert DATABASE_PASSWORD not in page
    assert REDIS_PASSWORD not in page
    assert "********************" in page


def test_urls_without_a_password_are_still_shown(settings: Settings) -> None:
    settings.DEBUG = True
    settings.REDIS_URL = "redis://cache.example:6379/0"
    assert "redis://cache.example:6379/0" in _debug_page()


@pytest.mark.parametrize(
    ("value", "hidden"),
    [
        ("postgresql://budget:pw@db.example:5432/budget", True),
        ("redis://:pw@cache.example:6379/0", True),
        ("postgresql://postgres@127.0.0.1:5432/budget", False),
        ("https://example.org/a@b", False),
        ("somebody@example.org", False),
        ("plain text", False),
    ],
)
def test_which_values_carry_a_password(value: str, hidden: bool) -> None:
    assert has_password(value) is hidden
