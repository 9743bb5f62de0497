"""Login throttling (django-axes), the absolute session lifetime and session rotation."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.test.client import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.throttling import client_ip

pytestmark = pytest.mark.django_db

HOME_ADDRESS = "10.1.1.1"
ATTACKER_ADDRESS = "10.9.9.9"


def _log_in(client: Client, username: str, password: str, address: str = HOME_ADDRESS):
    client.cookies["django_language"] = "en"
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _fail(client: Client, times: int, username: str = "edu_clerk", address: str = HOME_ADDRESS):
    for _ in range(times):
        _log_in(client, username, "wrong-password", address)


def test_four_wrong_passwords_still_allow_the_right_one(client: Client, submitter: User) -> None:
    _fail(client, 4)
    response = _log_in(client, "edu_clerk", settings.DEMO_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_fifth_wrong_password_locks_with_a_clear_page(client: Client, submitter: User) -> None:
    _fail(client, 4)
    response = _log_in(client, "edu_clerk", "wrong-password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page
    assert "Try again in 15 minutes" in page
    assert 'class="site-header"' in page  # our base template, not a bare error


def test_the_right_password_is_refused_during_the_lock(client: Client, submitter: User) -> None:
    _fail(client, 5)
    response = _log_in(client, "edu_clerk", settings.DEMO_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_ends_after_the_cool_off(client: Client, submitter: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _fail(client, 5)
        clock.move_to(start + timedelta(minutes=10))
        _fail(client, 3)  # tries during the lock do not extend it
        assert _log_in(client, "edu_clerk", settings.DEMO_PASSWORD).status_code == 429
        clock.move_to(start + timedelta(minutes=16))
        response = _log_in(client, "edu_clerk", settings.DEMO_PASSWORD)
    assert response.status_code == 302


def test_a_lock_from_one_address_does_not_lock_out_the_owner_elsewhere(
    client: Client, submitter: User, department_approver: User
) -> None:
    _fail(client, 5, address=ATTACKER_ADDRESS)
    assert _log_in(Client(), "edu_clerk", settings.DEMO_PASSWORD).status_code == 302
    # Nor another user at the locked address.
    assert (
        _log_in(Client(), "edu_head", settings.DEMO_PASSWORD, ATTACKER_ADDRESS).status_code == 302
    )


def test_client_address_comes_from_the_proxy_only_when_behind_one() -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    assert client_ip(request) == "127.0.0.1"
    with override_settings(BEHIND_PROXY=True):
        # The last hop is the one nginx appended; earlier ones the client wrote.
        assert client_ip(request) == "203.0.113.7"


def test_session_key_changes_at_login(client: Client, submitter: User) -> None:
    anonymous_session = client.session
    anonymous_session["seen_login_page"] = True
    anonymous_session.save()
    before = anonymous_session.session_key

    _log_in(client, "edu_clerk", settings.DEMO_PASSWORD)

    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_session_ends_12_hours_after_login_however_active(client: Client, submitter: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _log_in(client, "edu_clerk", settings.DEMO_PASSWORD)
        elapsed, step = timedelta(), timedelta(minutes=25)  # inside the 30-minute idle limit
        while elapsed + step < timedelta(hours=12):
            elapsed += step
            clock.move_to(start + elapsed)
            assert client.get(reverse("home")).status_code == 200, elapsed
        clock.move_to(start + timedelta(hours=12, minutes=5))
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        login_page = client.get(response["Location"])
    assert "Your session has reached its time limit" in login_page.content.decode()


def test_logging_in_again_restarts_the_absolute_clock(client: Client, submitter: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(submitter)
        clock.move_to(start + timedelta(hours=12, minutes=5))
        assert client.get(reverse("home")).status_code == 302
        _log_in(client, "edu_clerk", settings.DEMO_PASSWORD)
        clock.move_to(start + timedelta(hours=12, minutes=20))
        assert client.get(reverse("home")).status_code == 200
