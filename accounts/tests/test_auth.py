from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_anonymous_user_is_sent_to_login(client: Client) -> None:
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_login_with_username_and_password(client: Client, submitter: User) -> None:
    response = client.post(
        reverse("login"), {"username": "edu_clerk", "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert home.context["user"] == submitter


def test_wrong_password_is_refused_with_a_message(client: Client, submitter: User) -> None:
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("login"),
        {"username": "edu_clerk", "password": "wrong"},
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_deactivated_user_cannot_log_in(client: Client, submitter: User) -> None:
    submitter.is_active = False
    submitter.save(update_fields=["is_active"])
    client.post(reverse("login"), {"username": "edu_clerk", "password": settings.DEMO_PASSWORD})
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_ends_the_session(client: Client, submitter: User) -> None:
    client.force_login(submitter)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_change(client: Client, submitter: User) -> None:
    client.force_login(submitter)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": settings.DEMO_PASSWORD,
            "new_password1": "a-new-long-password-7",
            "new_password2": "a-new-long-password-7",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    submitter.refresh_from_db()
    assert submitter.check_password("a-new-long-password-7")


def test_password_change_refuses_a_weak_password(client: Client, submitter: User) -> None:
    client.force_login(submitter)
    response = client.post(
        reverse("password_change"),
        {"old_password": settings.DEMO_PASSWORD, "new_password1": "123", "new_password2": "123"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    submitter.refresh_from_db()
    assert submitter.check_password(settings.DEMO_PASSWORD)


def test_session_expires_after_30_minutes_idle(client: Client, submitter: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(submitter)
        assert client.get(reverse("home")).status_code == 200
        clock.move_to(start + timedelta(minutes=31))
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_activity_keeps_the_session_alive(client: Client, submitter: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(submitter)
        for minutes in (20, 40, 60):
            clock.move_to(start + timedelta(minutes=minutes))
            assert client.get(reverse("home")).status_code == 200
