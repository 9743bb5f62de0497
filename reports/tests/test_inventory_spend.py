"""IT spend against the inventory: requests of budget year N + 1 beside the survey of N."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Organization, User
from budgeting import services as budgeting_services
from budgeting.models import BudgetCycle
from budgeting.tests.workflow_fixtures import make_ready
from inventory.tests.factories import open_survey, submitted, survey_of
from projects.tests.factories import register
from standards.models import ProjectKind

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_requests_beside_the_inventory_per_unit(
    cycle: BudgetCycle,
    data_reviewer: User,
    finance_reviewer: User,
    submitter: User,
    outsider: User,
    education: Organization,
    health: Organization,
) -> None:
    campaign = open_survey(data_reviewer, education, health)
    submitted(survey_of(campaign, education), submitter)  # 3,000,000 + 500,000 of hardware
    submitted(survey_of(campaign, health), outsider)
    operation = make_ready(register(submitter, kind=ProjectKind.OPERATION), submitter)
    budgeting_services.submit(operation, actor=submitter, expected_version=operation.version)
    register(submitter)  # a draft: not counted
    client = _client(submitter)
    with CaptureQueriesContext(connection) as context:
        page = client.get(reverse("reports:inventory_spend"))
    assert page.context["year"] == 2027
    (row,) = page.context["rows"]  # the clerk sees its own unit only
    assert row.inventory_value == Decimal("3500000.00")
    assert row.operation == Decimal("500000.00")
    assert row.construction == Decimal("0.00")
    assert row.operation_share == Decimal("14.3")
    assert len(context) < 20
    rows = _client(finance_reviewer).get(reverse("reports:inventory_spend")).context["rows"]
    # Finance sees both units' inventories, and the request once it reached finance.
    assert [r.unit for r in rows] == ["省教育厅", "省卫生健康委"]
    (year,) = page.context["by_year"]
    assert (year.survey_year, year.budget_year) == (2026, 2027)
    assert (year.inventory_value, year.requested) == (Decimal("3500000.00"), Decimal("500000.00"))
    html = page.content.decode()
    assert 'role="img"' in html and "by-year-chart-title" in html
    export = client.get(reverse("reports:inventory_spend_export"))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
