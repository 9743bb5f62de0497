"""On the demo's province (every state, returns, cuts, a batch): the API's approved
projects of 2027 are exactly what the budget summary page counts as approved, for the
finance core system's client against finance, and for a department's client against
the department's own staff."""

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, User
from api import services
from api.tests.conftest import bearer
from projects.models import ProjectState

pytestmark = pytest.mark.django_db


def _api_approved(key: str) -> list[dict[str, Any]]:
    """Every page of ``/api/v1/projects/?year=2027&state=approved``."""
    client, items, cursor = Client(), [], None
    while True:
        params = {"year": "2027", "state": "approved", "limit": "2"}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/v1/projects/", params, headers=bearer(key)).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def _page_approved(username: str) -> tuple[Any, set[str]]:
    """The summary page's row of approved projects by state, and its drill-down's codes."""
    browser = Client()
    browser.force_login(User.objects.get(username=username))
    response = browser.get(reverse("reports:summary"), {"year": "2027", "by": "state"})
    [(row, link)] = [(r, link) for r, link in response.context["rows"] if r.key == "approved"]
    listed = browser.get(link).context["page"].object_list
    return row, {project.code for project in listed}


@pytest.mark.usefixtures("demo_province")  # seed_demo once for both
@pytest.mark.parametrize(
    ("username", "scope"),
    [("finance_reviewer", {"all_units": True}), ("edu_clerk", {"units": ["EDU"]})],
)
def test_the_apis_approved_projects_are_what_the_summary_page_counts(
    username: str, scope: dict[str, Any]
) -> None:
    units = Organization.objects.filter(code__in=scope.pop("units", []))
    _client, key = services.register_client(actor=None, name=username, units=units, **scope)
    items = _api_approved(key)
    row, listed = _page_approved(username)
    assert row.projects == len(items) > 0
    assert {item["code"] for item in items} == listed
    assert all(item["state"] == ProjectState.APPROVED and item["counted"] for item in items)
    assert sum(Decimal(item["requested_amount"]) for item in items) == row.requested
    assert sum(Decimal(item["approved_amount"]) for item in items) == row.approved
