"""Malformed credentials at login are refused as a wrong password is (issue #15).

Before login, so anyone could: Django's login form checks neither the username's
length nor, in the same words, a NUL, and django-axes stored a failed username
longer than its 255-character column, a server error.
"""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.test import Client
from django.test.client import RequestFactory
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def _refusal(client: Client, url_name: str, username: str, password: str) -> list[str]:
    """The login page's errors for these credentials; asserts nobody is logged in."""
    client.cookies["django_language"] = "en"
    response = client.post(reverse(url_name), {"username": username, "password": password})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    return list(response.context["form"].errors.get("__all__", []))


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("x" * 151, "wrong-password"),  # longer than any username
        ("x" * 300, "wrong-password"),  # longer than django-axes's column
        ("x" * 5000, "wrong-password"),
        ("edu\x00clerk", "wrong-password"),
        ("edu_clerk", "budget\x00demo"),
        ("edu_clerk", f"{settings.DEMO_PASSWORD}\x00"),
    ],
)
def test_malformed_credentials_get_the_wrong_password_answer(
    client: Client, admin_user: User, submitter: User, url_name: str, username: str, password: str
) -> None:
    wrong_password = _refusal(client, url_name, "edu_clerk", "wrong-password")
    assert wrong_password and "correct username and password" in wrong_password[0]
    assert _refusal(client, url_name, username, password) == wrong_password


def test_the_right_password_still_logs_in(client: Client, submitter: User) -> None:
    response = client.post(
        reverse("login"), {"username": "edu_clerk", "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(submitter.pk)


def test_axes_counts_a_failure_under_an_over_long_username() -> None:
    """Another caller of ``authenticate`` than our forms: the failure is counted under the
    username as django-axes can store it, its first 255 characters."""
    username = "x" * 300
    request = RequestFactory().post("/accounts/login/", {"username": username})
    assert authenticate(request, username=username, password="wrong-password") is None
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "x" * 255
    assert attempt.failures_since_start == 1
