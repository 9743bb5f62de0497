"""The treasury's batches through the API: idempotent by reference, all or nothing,
scoped to the client's approved projects; the execution page shows them."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, User
from api.models import ApiClient
from api.scopes import WRITE_SCOPES
from api.tests.conftest import bearer
from audit.models import Event
from execution.figures import execution_of
from execution.models import Contract, Payment
from projects.models import Project

pytestmark = pytest.mark.django_db
URL = "/api/v1/execution/batches/"


@pytest.fixture
def treasury(register_client: Callable[..., tuple[ApiClient, str]]) -> str:
    return register_client("treasury", scopes=WRITE_SCOPES)[1]


def batch(code: str, **changes: Any) -> dict[str, Any]:
    body = {
        "contracts": [
            {
                "reference": "HT-2027-001",
                "project_code": code,
                "supplier": "广州某科技有限公司",
                "amount": "300000.00",
                "signed_on": "2027-03-01",
            }
        ],
        "payments": [
            {
                "reference": "ZF-2027-001",
                "project_code": code,
                "amount": "90000.00",
                "paid_on": "2027-03-15",
                "contract_reference": "HT-2027-001",
            },
            {
                "reference": "ZF-2027-002",
                "project_code": code,
                "amount": "60000.00",
                "paid_on": "2027-06-15",
            },
        ],
    }
    body.update(changes)
    return body


def post(client: Client, key: str, body: dict[str, Any]) -> Any:
    return client.post(URL, body, content_type="application/json", headers=bearer(key))


def test_the_same_batch_twice_changes_nothing(
    api_client: Client, treasury: str, approved: Project
) -> None:
    first = post(api_client, treasury, batch(approved.code))
    assert first.status_code == 200, first.content
    assert first.json() == {"created": 3, "unchanged": 0}
    again = post(api_client, treasury, batch(approved.code))
    assert again.json() == {"created": 0, "unchanged": 3}
    assert Contract.objects.count() == 1
    assert Payment.objects.count() == 2
    assert Payment.objects.get(reference="ZF-2027-001").contract == Contract.objects.get()
    assert Event.objects.filter(event_type="execution.batch.recorded").count() == 1
    figures = execution_of(approved)
    assert (figures.contracted, figures.paid) == (Decimal("300000.00"), Decimal("150000.00"))
    assert figures.rate == Decimal("30.00")  # 150,000 of 500,000


def test_a_bad_item_refuses_the_whole_batch_saying_where(
    api_client: Client, treasury: str, approved: Project, at_finance: Project
) -> None:
    body = batch(approved.code)
    body["payments"].append(
        {
            "reference": "ZF-X",
            "project_code": at_finance.code,
            "amount": "1",
            "paid_on": "2027-01-01",
        }
    )
    response = post(api_client, treasury, body)
    assert response.status_code == 409
    where = [problem["loc"] for problem in response.json()["detail"]]
    assert "payments[2].project_code" in where  # not approved
    assert not Contract.objects.exists()
    assert not Payment.objects.exists()


def test_a_reference_with_other_figures_is_refused(
    api_client: Client, treasury: str, approved: Project
) -> None:
    post(api_client, treasury, batch(approved.code))
    changed = batch(approved.code)
    changed["payments"][0]["amount"] = "95000.00"
    response = post(api_client, treasury, changed)
    assert response.status_code == 409
    assert response.json()["detail"][0]["loc"] == "payments[0].reference"
    assert Payment.objects.get(reference="ZF-2027-001").amount == Decimal("90000.00")


def test_a_unit_client_writes_only_for_its_units(
    api_client: Client,
    register_client: Callable[..., tuple[ApiClient, str]],
    education: Organization,
    health_approved: Project,
    finance_key: str,
) -> None:
    _, key = register_client(
        "edu-treasury", scopes=WRITE_SCOPES, all_units=False, units=[education]
    )
    response = post(api_client, key, batch(health_approved.code))
    assert response.status_code == 409
    assert response.json()["detail"][0]["loc"] == "contracts[0].project_code"
    # A reading client may not write at all.
    assert post(api_client, finance_key, batch(health_approved.code)).status_code == 403
    assert not Contract.objects.exists()


def test_the_execution_page_shows_the_payments(
    api_client: Client, treasury: str, approved: Project, submitter: User, outsider: User
) -> None:
    post(api_client, treasury, batch(approved.code))
    page = Client()
    page.force_login(submitter)
    page.cookies["django_language"] = "en"
    detail = page.get(reverse("projects:detail", args=[approved.code])).content.decode()
    url = reverse("execution:project", args=[approved.code])
    assert url in detail
    html = page.get(url).content.decode()
    assert "ZF-2027-002" in html
    assert "150,000.00" in html
    assert "30.00%" in html
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.get(url).status_code == 404


def test_a_body_that_is_no_object_is_422(
    api_client: Client, treasury: str, approved: Project
) -> None:
    for body in ("[null, null]", "[]", "1", '"x"'):
        response = api_client.post(
            URL, body, content_type="application/json", headers=bearer(treasury)
        )
        assert response.status_code == 422, body
