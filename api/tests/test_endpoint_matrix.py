"""Every endpoint × every kind of client → the expected status: no cross-unit read,
and no call without its grant.

The endpoints come from the API itself, so a new one fails
``test_every_endpoint_has_a_row`` until someone decides here who may call it.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import Organization
from api.endpoints import api
from api.models import ApiClient
from api.scopes import READ_SCOPES, WRITE_SCOPES, Scope
from api.tests.conftest import bearer
from projects.models import Project
from standards.models import StandardSet
from standards.tests.factories import filled_set

pytestmark = pytest.mark.django_db

CLIENTS = ("finance", "education", "health", "no_read", "revoked")
EDU = "{edu}"  # EDU's approved project
HEALTH = "{health}"  # 卫健委's approved project

# path → the grant it needs, and the status for each client, in the order of CLIENTS.
MATRIX: dict[str, tuple[Scope, tuple[int, ...]]] = {
    "/api/v1/projects/": (Scope.PROJECTS_READ, (200, 200, 200, 403, 401)),
    f"/api/v1/projects/{EDU}/": (Scope.PROJECTS_READ, (200, 200, 404, 403, 401)),
    f"/api/v1/projects/{EDU}/lines/": (Scope.LINES_READ, (200, 200, 404, 403, 401)),
    f"/api/v1/projects/{EDU}/history/": (Scope.HISTORY_READ, (200, 200, 404, 403, 401)),
    f"/api/v1/projects/{HEALTH}/": (Scope.PROJECTS_READ, (200, 404, 200, 403, 401)),
    f"/api/v1/projects/{HEALTH}/lines/": (Scope.LINES_READ, (200, 404, 200, 403, 401)),
    f"/api/v1/projects/{HEALTH}/history/": (Scope.HISTORY_READ, (200, 404, 200, 403, 401)),
    "/api/v1/lines/": (Scope.LINES_READ, (200, 200, 200, 403, 401)),
    "/api/v1/quotas/": (Scope.QUOTAS_READ, (200, 200, 200, 403, 401)),
    "/api/v1/standards/": (Scope.STANDARDS_READ, (200, 200, 200, 403, 401)),
    "/api/v1/standards/{standard}/": (Scope.STANDARDS_READ, (200, 200, 200, 403, 401)),
    "/api/v1/summary/?year=2027": (Scope.SUMMARY_READ, (200, 200, 200, 403, 401)),
    "/api/v1/codes/": (Scope.CODES_READ, (200, 200, 200, 403, 401)),
}
# The one write, for EDU's approved project: the write grants alone.
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


def test_the_schema_states_each_operations_grant() -> None:
    paths = api.get_openapi_schema(path_prefix="/api")["paths"]
    for path, (scope, _) in MATRIX.items():
        route = path.split("?")[0].replace(EDU, "{code}").replace(HEALTH, "{code}")
        operation = paths[route.replace("{standard}", "{code}")]["get"]
        assert operation["security"] == [{"ApiKey": [scope.value]}], route
        assert operation["x-required-scopes"] == [scope.value]
        assert f"`{scope.value}`" in operation["description"]
    batch = paths[WRITE[0]]["post"]
    assert batch["security"] == [{"ApiKey": ["contracts:write"]}, {"ApiKey": ["payments:write"]}]
    assert "`contracts:write`" in batch["description"]
    assert "`payments:write`" in batch["description"]


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
        "no_read": register_client("treasury", scopes=WRITE_SCOPES)[1],
        "revoked": revoked_key,
    }


def _paths(approved: Project, health_approved: Project, standard: StandardSet) -> dict[str, Scope]:
    return {
        template.format(
            edu=approved.code, health=health_approved.code, standard=standard.code
        ): scope
        for template, (scope, _) in MATRIX.items()
    }


def test_each_client_gets_the_expected_status_everywhere(
    api_client: Client, keys: dict[str, str], approved: Project, health_approved: Project
) -> None:
    standard: StandardSet = filled_set(1, code="GD-2019")
    expected, actual = {}, {}
    for template, (_, statuses) in MATRIX.items():
        path = template.format(
            edu=approved.code, health=health_approved.code, standard=standard.code
        )
        for client, status in zip(CLIENTS, statuses, strict=True):
            expected[path, client] = status
            actual[path, client] = api_client.get(path, headers=bearer(keys[client])).status_code
    assert actual == expected


def test_every_endpoint_opens_to_its_own_grant_alone(
    api_client: Client,
    register_client: Callable[..., tuple[ApiClient, str]],
    approved: Project,
    health_approved: Project,
) -> None:
    """A client holding one grant: 200 where that grant is needed, everywhere else a 403
    naming the grant that is missing."""
    paths = _paths(approved, health_approved, filled_set(1, code="GD-2019"))
    expected: dict[tuple[Scope, str], object] = {}
    actual: dict[tuple[Scope, str], object] = {}
    for granted in READ_SCOPES:
        _, key = register_client(f"only-{granted.value}", scopes=[granted])
        for path, needed in paths.items():
            response = api_client.get(path, headers=bearer(key))
            if needed == granted:
                expected[granted, path] = 200
                actual[granted, path] = response.status_code
            else:
                expected[granted, path] = (403, [needed.value])
                actual[granted, path] = (response.status_code, response.json()["missing_scopes"])
    assert actual == expected


def _batch(code: str, *, contracts: bool, payments: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if contracts:
        body["contracts"] = [
            {"reference": "HT-1", "project_code": code, "supplier": "某公司",
             "amount": "10.00", "signed_on": "2027-04-01"},
        ]  # fmt: skip
    if payments:
        body["payments"] = [
            {"reference": "ZF-1", "project_code": code, "amount": "1.00",
             "paid_on": "2027-05-01"},
        ]  # fmt: skip
    return body


@pytest.mark.parametrize(
    ("grants", "contracts", "payments", "status", "missing"),
    [
        ((Scope.PAYMENTS_WRITE,), False, True, 200, None),
        ((Scope.PAYMENTS_WRITE,), True, False, 403, ["contracts:write"]),
        ((Scope.PAYMENTS_WRITE,), True, True, 403, ["contracts:write"]),
        ((Scope.CONTRACTS_WRITE,), True, False, 200, None),
        ((Scope.CONTRACTS_WRITE,), False, True, 403, ["payments:write"]),
        (WRITE_SCOPES, True, True, 200, None),
        (READ_SCOPES, True, True, 403, ["contracts:write", "payments:write"]),
        # An empty batch: either write grant lets the caller hear what is wrong with it.
        (READ_SCOPES, False, False, 403, ["contracts:write", "payments:write"]),
        ((Scope.CONTRACTS_WRITE,), False, False, 200, None),
    ],
)
def test_a_batch_needs_the_grant_of_each_kind_it_carries(
    api_client: Client,
    register_client: Callable[..., tuple[ApiClient, str]],
    approved: Project,
    grants: tuple[Scope, ...],
    contracts: bool,
    payments: bool,
    status: int,
    missing: list[str] | None,
) -> None:
    _, key = register_client("treasury", scopes=grants)
    response = api_client.post(
        WRITE[0],
        _batch(approved.code, contracts=contracts, payments=payments),
        content_type="application/json",
        headers=bearer(key),
    )
    assert response.status_code == status, response.json()
    if missing is not None:
        assert response.json()["missing_scopes"] == missing


def test_a_unit_writer_cannot_write_for_another_unit(
    api_client: Client,
    register_client: Callable[..., tuple[ApiClient, str]],
    education: Organization,
    health_approved: Project,
) -> None:
    _, key = register_client(
        "edu-treasury", scopes=WRITE_SCOPES, all_units=False, units=[education]
    )
    response = api_client.post(
        WRITE[0],
        _batch(health_approved.code, contracts=True, payments=True),
        content_type="application/json",
        headers=bearer(key),
    )
    assert response.status_code == 409
    assert {problem["loc"] for problem in response.json()["detail"]} >= {
        "contracts[0].project_code",
        "payments[0].project_code",
    }


def test_only_the_write_grants_write(
    api_client: Client, keys: dict[str, str], approved: Project
) -> None:
    body = _batch(approved.code, contracts=False, payments=True)
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


@pytest.mark.parametrize(
    ("reference", "status"),
    [
        ("ZF\t1", 422),
        ("ZF\\1", 422),
        ("\\N", 422),
        ("=HYPERLINK(1)", 422),
        ("Z" * 65, 422),
        ("ZF/2027.1_a", 200),
    ],
)
def test_a_batch_takes_a_reference_by_the_payments_file_s_rule(
    api_client: Client,
    register_client: Callable[..., tuple[ApiClient, str]],
    approved: Project,
    reference: str,
    status: int,
) -> None:
    """The schema's rule of a treasury reference is ``execution.limits``' (the payments
    file's too, ``execution/tests/test_import.py``)."""
    _, key = register_client("treasury", scopes=[Scope.PAYMENTS_WRITE])
    body = _batch(approved.code, contracts=False, payments=True)
    body["payments"][0]["reference"] = reference
    response = api_client.post(WRITE[0], body, content_type="application/json", headers=bearer(key))
    assert response.status_code == status, response.json()
    assert approved.payments.exists() == (status == 200)
