"""TOTP two-factor authentication for reviewers and admins, with ENFORCE_2FA on."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from accounts.models import User
from audit.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def enforced(settings: Settings) -> None:
    settings.ENFORCE_2FA = True


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def enrolled(data_reviewer: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=data_reviewer, name="phone", confirmed=True)


def logged_in(user: User) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def test_submitters_are_never_asked(submitter: User) -> None:
    client = logged_in(submitter)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("two_factor_setup")).status_code == 404


def test_nobody_is_asked_when_not_enforced(settings: Settings, data_reviewer: User) -> None:
    settings.ENFORCE_2FA = False
    assert logged_in(data_reviewer).get(reverse("home")).status_code == 200


def test_reviewer_without_a_device_is_led_to_set_one_up(data_reviewer: User) -> None:
    client = logged_in(data_reviewer)
    response = client.get(reverse("home"))
    assert response["Location"] == f"{reverse('two_factor_verify')}?next=/"
    response = client.get(response["Location"])
    assert response["Location"] == reverse("two_factor_setup")

    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()
    device = TOTPDevice.objects.get(user=data_reviewer, confirmed=False)
    assert page.context["secret"] in page.content.decode()

    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wrong = client.post(reverse("two_factor_setup"), {"code": "000000"})
        assert "That code is wrong or has expired" in wrong.content.decode()
        clock.move_to(start + timedelta(seconds=5))  # past the throttle after one wrong code
        response = client.post(reverse("two_factor_setup"), {"code": current_code(device)})
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    event = Event.objects.get(event_type="accounts.user.two_factor_enabled")
    assert (event.actor, event.target_key) == (data_reviewer, "data_reviewer")


def test_every_login_asks_for_a_code_and_a_code_works_once(
    data_reviewer: User, enrolled: TOTPDevice
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        first = logged_in(data_reviewer)
        code = current_code(enrolled)
        response = first.post(f"{reverse('two_factor_verify')}?next=/", {"code": code, "next": "/"})
        assert response["Location"] == "/"
        assert first.get(reverse("home")).status_code == 200

        # Someone who watched the code go by cannot use it in another session.
        clock.move_to(start + timedelta(seconds=5))
        second = logged_in(data_reviewer)
        replay = second.post(reverse("two_factor_verify"), {"code": code})
        assert replay.status_code == 200
        assert second.get(reverse("home")).status_code == 302


def test_wrong_codes_slow_down_guessing(data_reviewer: User, enrolled: TOTPDevice) -> None:
    client = logged_in(data_reviewer)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.post(reverse("two_factor_verify"), {"code": "000000"})
        too_soon = client.post(reverse("two_factor_verify"), {"code": current_code(enrolled)})
        assert "Too many wrong codes" in too_soon.content.decode()
        clock.move_to(start + timedelta(seconds=35))  # a new code, after the delay
        response = client.post(reverse("two_factor_verify"), {"code": current_code(enrolled)})
    assert response.status_code == 302


def test_a_password_alone_cannot_add_a_second_device(
    data_reviewer: User, enrolled: TOTPDevice
) -> None:
    response = logged_in(data_reviewer).get(reverse("two_factor_setup"))
    assert response["Location"] == reverse("two_factor_verify")
    assert TOTPDevice.objects.filter(user=data_reviewer).count() == 1


def test_admin_site_needs_the_code_too(admin_user: User) -> None:
    response = logged_in(admin_user).get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("two_factor_verify"))


def test_verify_never_redirects_off_site(data_reviewer: User, enrolled: TOTPDevice) -> None:
    client = logged_in(data_reviewer)
    response = client.post(
        reverse("two_factor_verify"),
        {"code": current_code(enrolled), "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("home")
