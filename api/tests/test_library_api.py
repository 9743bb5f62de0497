"""The API serves budget requests: a project in the library's reserve (no year) is none."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import User
from api.tests.conftest import bearer
from projects import services
from projects.models import Project
from projects.tests.factories import project_fields

pytestmark = pytest.mark.django_db


def test_the_api_lists_budget_requests_only(
    api_client: Client, education_key: str, approved: Project, submitter: User
) -> None:
    fields = project_fields(submitter.organization)
    del fields["budget_year"]
    reserve = services.register_project(
        actor=submitter, fields=fields, plan={2028: Decimal("100000.00")}
    )
    listed = api_client.get("/api/v1/projects/", headers=bearer(education_key)).json()["items"]
    assert [item["code"] for item in listed] == [approved.code]
    mine = api_client.get(f"/api/v1/projects/{reserve.code}/", headers=bearer(education_key))
    assert mine.status_code == 404
