"""Phone numbers (issue #15): a Chinese landline with its area code and perhaps an
extension, or an 11-digit mobile number, spaces and dashes allowed; any other text is
refused on every phone field (a user's, a project's contact)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, User
from accounts.validators import validate_phone

VALID = [
    "020-83134000",
    "02083134000",
    "020 8313 4000",
    "(020)83134000",
    "(0755) 2345 6789",
    "0755-2345678",  # a 7-digit local number
    "010-62345678",
    "020-83134000-8001",
    "020-83134000转8001",
    "020 83134000 801",
    "13812345678",
    "138-1234-5678",
    "138 1234 5678",
    "19912345678",
]
INVALID = [
    "电话",
    "call me",
    "000",
    "020-1",
    "83134000",  # no area code
    "20-83134000",  # the area code without its 0
    "020-03134000",  # a local number starts with 2 to 9
    "020-83134000-",  # a dash and no extension
    "020-83134000-1234567",  # an extension of 7 digits
    "1381234567",  # 10 digits
    "138123456789",  # 12 digits
    "12812345678",  # no mobile number starts with 12
    "138--1234-5678",
    "+86 13812345678",
    "13812345678\x00",
    "020-83134000; DROP TABLE",
]


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers(number: str) -> None:
    validate_phone(number)


@pytest.mark.parametrize("number", INVALID)
def test_invalid_numbers(number: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_phone(number)
    assert refused.value.code == "invalid_phone"


@pytest.mark.django_db
def test_a_users_phone_is_checked_in_the_admin(
    client: Client, admin_user: User, submitter: User, education: Organization
) -> None:
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    url = reverse("admin:accounts_user_change", args=[submitter.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "organization": education.pk,
            "roles": submitter.roles,
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "phone": "call me",
        }
    )
    data.pop("password", None)
    data.pop("last_login", None)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors
    submitter.refresh_from_db()
    assert submitter.phone == ""
    data["phone"] = "138 1234 5678"
    assert client.post(url, data).status_code == 302
    submitter.refresh_from_db()
    assert submitter.phone == "138 1234 5678"
