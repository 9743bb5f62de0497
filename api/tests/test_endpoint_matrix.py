"""Every endpoint × every kind of client → the expected status: no cross-unit read.

The endpoints come from the API itself, so a new one fails
``test_every_endpoint_has_a_row`` until someone decides here who may call it.
"""

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import Organization
from api.endpoints import api
from api.models import ApiClient
from api.tests.conftest import bearer
from projects.models import Project
from standards.models import StandardSet
from standards.tests.factories import filled_set

pytestmark = pytest.mark.django_db

CLIENTS = ("finance", "education", "health", "no_read", "revoked")
EDU = "{edu}"  # EDU's approved project
HEALTH = "{health}"  # 卫健委's approved project

# path → status for each client, in the order of CLIENTS.
MATRIX: dict[str, tuple[int, ...]] = {
    "/api/v1/projects/": (200, 200, 200, 403, 401),
    f"/api/v1/projects/{EDU}/": (200, 200, 404, 403, 401),
    f"/api/v1/projects/{EDU}/lines/": (200, 200, 404, 403, 401),
    f"/api/v1/projects/{EDU}/history/": (200, 200, 404, 403, 401),
    f"/api/v1/projects/{HEALTH}/": (200, 404, 200, 403, 401),
    f"/api/v1/projects/{HEALTH}/lines/": (200, 404, 200, 403, 401),
    f"/api/v1/projects/{HEALTH}/history/": (200, 404, 200, 403, 401),
    "/api/v1/lines/": (200, 200, 200, 403, 401),
    "/api/v1/quotas/": (200, 200, 200, 403, 401),
    "/api/v1/standards/": (200, 200, 200, 403, 401),
    "/api/v1/standards/{standard}/": (200, 200, 200, 403, 401),
    "/api/v1/summary/?year=2027": (200, 200, 200, 403, 401),
}
# The one write, for EDU's approved project: the payments scope alone.
WRITE = ("/api/v1/execution/batches/", (403, 403, 403, 200, 401))


def test_every_endpoint_has_a_row() -> None:
    routes = {
        path.split("?")[0]
        .replace(EDU, "{code}")
        .replace(HEALTH, "{code}")
        .replace("{standard}", "{code}")
        for path in [*MATRIX, WRITE[0]]
    }
    schema = api.get_openapi_schema(path_prefix="/api")
    assert set(schema["paths"]) == routes


@pytest.fixture
def keys(
    register_client: Callable[..., tuple[ApiClient, str]],
    education: Organization,
    health: Organization,
    admin_user: object,
) -> dict[str, str]:
    from api import services

    revoked, revoked_key = register_client("old", all_units=True)
    services.revoke_client(revoked, actor=None)
    return {
        "finance": register_client("finance-core")[1],
        "education": register_client("edu", all_units=False, units=[education])[1],
        "health": register_client("health", all_units=False, units=[health])[1],
        "no_read": register_client("treasury", may_read=False, may_write_payments=True)[1],
        "revoked": revoked_key,
    }


def test_each_client_gets_the_expected_status_everywhere(
    api_client: Client, keys: dict[str, str], approved: Project, health_approved: Project
) -> None:
    standard: StandardSet = filled_set(1, code="GD-2019")
    expected, actual = {}, {}
    for template, statuses in MATRIX.items():
        path = template.format(
            edu=approved.code, health=health_approved.code, standard=standard.code
        )
        for client, status in zip(CLIENTS, statuses, strict=True):
            expected[path, client] = status
            actual[path, client] = api_client.get(path, headers=bearer(keys[client])).status_code
    assert actual == expected


def test_only_the_payments_scope_writes(
    api_client: Client, keys: dict[str, str], approved: Project
) -> None:
    body = {
        "payments": [
            {
                "reference": "ZF-1",
                "project_code": approved.code,
                "amount": "1.00",
                "paid_on": "2027-05-01",
            }
        ]
    }
    path, statuses = WRITE
    actual = {
        client: api_client.post(
            path, body, content_type="application/json", headers=bearer(keys[client])
        ).status_code
        for client in CLIENTS
    }
    assert actual == dict(zip(CLIENTS, statuses, strict=True))


def test_lists_hold_only_the_clients_units(
    api_client: Client, keys: dict[str, str], approved: Project, health_approved: Project
) -> None:
    for client, codes in (
        ("finance", {approved.code, health_approved.code}),
        ("education", {approved.code}),
        ("health", {health_approved.code}),
    ):
        for path, field in (
            ("/api/v1/projects/", "code"),
            ("/api/v1/quotas/", "PRO_CODE"),
            ("/api/v1/lines/", "project_code"),
        ):
            items = api_client.get(path, headers=bearer(keys[client])).json()["items"]
            assert {item[field] for item in items} == codes, (client, path)


def test_answers_to_a_client_are_never_stored(
    api_client: Client, keys: dict[str, str], approved: Project
) -> None:
    response = api_client.get("/api/v1/projects/", headers=bearer(keys["finance"]))
    assert {"private", "no-store"} <= {
        part.strip() for part in response["Cache-Control"].split(",")
    }


def test_an_address_outside_the_api_is_json_404_there_and_the_page_elsewhere(
    api_client: Client, keys: dict[str, str], submitter: object
) -> None:
    for path in ("/api/v1/projects/%00/", "/api/v1/projects/a%20b/", "/api/v2/"):
        response = api_client.get(path, headers=bearer(keys["finance"]))
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found."}
    page = api_client.get("/projects/%00/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
