"""Admins register, rotate and revoke clients in Django admin, through the services."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, User
from api import keys
from api.models import ApiClient
from api.scopes import READ_SCOPES, Scope
from api.tests.conftest import bearer
from audit.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(admin_user: User) -> Client:
    browser = Client()
    browser.force_login(admin_user)
    return browser


def _shown_keys(html: str) -> list[str]:
    return re.findall(r"<code>(bgt_[^<]+)</code>", html)


def test_registering_shows_the_key_once_and_keeps_its_hash(
    admin_browser: Client, education: Organization, admin_user: User
) -> None:
    response = admin_browser.post(
        reverse("admin:api_apiclient_add"),
        {"name": "教育厅业务系统", "scopes": READ_SCOPES, "units": [education.pk]},
    )
    assert response.status_code == 200
    [key] = _shown_keys(response.content.decode())
    client = ApiClient.objects.get()
    assert client.key_hash == keys.hash_key(key)
    assert list(client.units.all()) == [education]
    event = Event.objects.get(event_type="api.client.registered")
    assert event.actor == admin_user
    assert event.data["scope"]["units"] == ["EDU"]
    # The change page never shows it again.
    page = admin_browser.get(reverse("admin:api_apiclient_change", args=[client.pk]))
    assert key not in page.content.decode()
    assert Client().get("/api/v1/projects/", headers=bearer(key)).status_code == 200


def test_a_client_without_units_is_refused_beside_the_field(admin_browser: Client) -> None:
    response = admin_browser.post(
        reverse("admin:api_apiclient_add"), {"name": "无范围", "scopes": READ_SCOPES}
    )
    assert response.status_code == 200
    assert "units" in response.context["adminform"].form.errors
    assert not ApiClient.objects.exists()


def test_the_admin_rotates_and_revokes(admin_browser: Client, education: Organization) -> None:
    added = admin_browser.post(
        reverse("admin:api_apiclient_add"),
        {"name": "财政一体化系统", "scopes": READ_SCOPES, "all_units": "on"},
    )
    [old] = _shown_keys(added.content.decode())
    client = ApiClient.objects.get()
    changelist = reverse("admin:api_apiclient_changelist")
    rotated = admin_browser.post(
        changelist, {"action": "rotate_keys", "_selected_action": [client.pk]}
    )
    [new] = _shown_keys(rotated.content.decode())
    assert new != old
    api = Client()
    assert api.get("/api/v1/projects/", headers=bearer(old)).status_code == 401
    assert api.get("/api/v1/projects/", headers=bearer(new)).status_code == 200
    admin_browser.post(changelist, {"action": "revoke", "_selected_action": [client.pk]})
    assert api.get("/api/v1/projects/", headers=bearer(new)).status_code == 401
    assert list(
        Event.objects.filter(target_key=str(client.public_id))
        .order_by("id")
        .values_list("event_type", flat=True)
    ) == ["api.client.registered", "api.client.key_rotated", "api.client.revoked"]


def test_the_admin_ticks_each_grant_by_its_label_and_the_change_is_recorded(
    admin_browser: Client, education: Organization
) -> None:
    admin_browser.cookies["django_language"] = "zh-hans"
    page = admin_browser.get(reverse("admin:api_apiclient_add")).content.decode()
    for scope in Scope:
        assert f'type="checkbox" name="scopes" value="{scope.value}"' in page
    assert "读取项目的操作记录" in page  # history:read, labelled in Chinese
    added = admin_browser.post(
        reverse("admin:api_apiclient_add"),
        {"name": "国库集中支付系统", "scopes": ["payments:write"], "units": [education.pk]},
    )
    [key] = _shown_keys(added.content.decode())
    client = ApiClient.objects.get()
    assert client.scopes == ["payments:write"]
    refused = Client().get("/api/v1/projects/", headers=bearer(key))
    assert refused.status_code == 403
    assert refused.json()["missing_scopes"] == ["projects:read"]

    admin_browser.post(
        reverse("admin:api_apiclient_change", args=[client.pk]),
        {"name": "国库集中支付系统", "scopes": ["payments:write", "quotas:read"],
         "units": [education.pk]},
    )  # fmt: skip
    client.refresh_from_db()
    assert client.scopes == ["payments:write", "quotas:read"]
    assert Client().get("/api/v1/quotas/", headers=bearer(key)).status_code == 200
    event = Event.objects.get(event_type="api.client.changed")
    before, after = event.data["scope"]
    assert (before["scopes"], after["scopes"]) == (
        ["payments:write"],
        ["payments:write", "quotas:read"],
    )
    changelist = admin_browser.get(reverse("admin:api_apiclient_changelist")).content.decode()
    assert "payments:write, quotas:read" in changelist
