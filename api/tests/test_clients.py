"""Keys, scopes, rotation, revocation, the call log and the rate limit."""

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from pytest_django.fixtures import Settings

from accounts.models import Organization, User
from api import keys, services
from api.models import ApiCall, ApiClient
from api.scopes import WRITE_SCOPES
from api.tests.conftest import bearer
from audit.models import Event
from projects.models import Project

pytestmark = pytest.mark.django_db
Register = Callable[..., tuple[ApiClient, str]]


def test_the_key_is_stored_as_its_hash_only(register_client: Register) -> None:
    client, key = register_client()
    assert key.startswith(f"bgt_{client.key_prefix}_")
    assert client.key_hash == keys.hash_key(key)
    assert key not in str(list(ApiClient.objects.values()))
    event = Event.objects.get(event_type="api.client.registered")
    assert key not in str(event.data)
    assert event.data["scope"]["all_units"] is True


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer nonsense",
        "Basic dXNlcjpwYXNz",
        "Bearer bgt_000000000000_" + "A" * 43,
        "Bearer bgt_\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00_" + "A" * 43,
    ],
)
def test_without_a_valid_key_every_call_is_401(
    api_client: Client, finance_key: str, header: str | None
) -> None:
    response = api_client.get("/api/v1/projects/", headers={"Authorization": header or ""})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert not ApiCall.objects.exists()


def test_a_logged_in_browser_session_is_no_key(api_client: Client, submitter: User) -> None:
    api_client.force_login(submitter)
    assert api_client.get("/api/v1/projects/").status_code == 401


def test_a_rotated_key_replaces_the_old_one_at_once(
    api_client: Client, register_client: Register, admin_user: User
) -> None:
    client, old = register_client()
    new = services.rotate_key(client, actor=admin_user)
    assert new != old
    assert api_client.get("/api/v1/projects/", headers=bearer(old)).status_code == 401
    assert api_client.get("/api/v1/projects/", headers=bearer(new)).status_code == 200
    event = Event.objects.get(event_type="api.client.key_rotated")
    assert event.actor == admin_user
    assert new not in str(event.data)


def test_a_revoked_client_is_refused_and_gets_no_new_key(
    api_client: Client, register_client: Register, admin_user: User
) -> None:
    client, key = register_client()
    services.revoke_client(client, actor=admin_user, comment="系统下线")
    services.revoke_client(client, actor=admin_user)  # no-op: one event
    assert api_client.get("/api/v1/projects/", headers=bearer(key)).status_code == 401
    assert Event.objects.filter(event_type="api.client.revoked").count() == 1
    with translation.override("en"), pytest.raises(ValidationError, match="revoked"):
        services.rotate_key(client, actor=admin_user)


def test_a_client_without_the_read_scope_gets_403(
    api_client: Client, register_client: Register
) -> None:
    _, key = register_client("treasury", scopes=WRITE_SCOPES)
    for path in ("/api/v1/projects/", "/api/v1/quotas/", "/api/v1/standards/"):
        assert api_client.get(path, headers=bearer(key)).status_code == 403, path


def test_a_unit_client_needs_units(register_client: Register) -> None:
    with translation.override("en"), pytest.raises(ValidationError, match="Choose the budget"):
        register_client("nobody", all_units=False)
    assert not ApiClient.objects.exists()


def test_every_call_is_logged_with_its_route_status_and_time(
    api_client: Client, education_key: str, approved: Project, health_approved: Project
) -> None:
    api_client.get(f"/api/v1/projects/{approved.code}/", headers=bearer(education_key))
    api_client.get(f"/api/v1/projects/{health_approved.code}/", headers=bearer(education_key))
    calls = list(ApiCall.objects.order_by("id").values_list("endpoint", "status", "method"))
    assert calls == [
        ("api/v1/projects/<code:code>/", 200, "GET"),
        ("api/v1/projects/<code:code>/", 404, "GET"),
    ]
    assert all(call.duration_ms >= 0 for call in ApiCall.objects.all())


def test_past_the_limit_a_client_gets_429_until_the_next_minute(
    api_client: Client,
    register_client: Register,
    education: Organization,
    settings: Settings,
) -> None:
    cache.clear()
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    _, key = register_client()
    _, other = register_client("other", all_units=False, units=[education])
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, 0, 15, tzinfo=dt.UTC), tick=False):
        statuses = [
            api_client.get("/api/v1/standards/", headers=bearer(key)).status_code for _ in range(5)
        ]
        assert statuses == [200, 200, 200, 429, 429]
        refused = api_client.get("/api/v1/standards/", headers=bearer(key))
        assert refused["Retry-After"] == "46"
        # Another client has its own window.
        assert api_client.get("/api/v1/standards/", headers=bearer(other)).status_code == 200
    assert ApiCall.objects.filter(status=429).count() == 3
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, 1, 0, tzinfo=dt.UTC), tick=False):
        assert api_client.get("/api/v1/standards/", headers=bearer(key)).status_code == 200
