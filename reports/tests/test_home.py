import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Organization, User
from accounts.tests.factories import OrganizationFactory, SecondaryUnitFactory
from budgeting.models import BudgetCycle
from budgeting.tests.workflow_fixtures import make_returned

pytestmark = pytest.mark.django_db


def test_home_shows_the_users_unit_roles_and_scope(
    client: Client, submitter: User, exam_authority: Organization, health: Organization
) -> None:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert "省教育厅" in page
    assert "Submitter" in page
    assert "省教育考试院" in page
    assert "省卫生健康委" not in page


def test_home_query_count_does_not_grow_with_units(client: Client, finance_reviewer: User) -> None:
    client.force_login(finance_reviewer)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    for number in range(20):
        SecondaryUnitFactory.create(parent=OrganizationFactory.create(code=f"DEPT{number:02d}"))
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("home"))
    page = response.content.decode()
    assert page.count("DEPT") == 20
    assert page.count("测试预算单位") >= 20
    assert len(many.captured_queries) == len(few.captured_queries) <= 10


def test_units_are_listed_primary_first_then_its_secondary_units(
    client: Client, finance_reviewer: User, exam_authority: Organization, health: Organization
) -> None:
    client.force_login(finance_reviewer)
    codes = [unit.code for unit in client.get(reverse("home")).context["units"]]
    assert codes.index("EDU") + 1 == codes.index("EDUEXAM")
    assert codes.index("EDUEXAM") < codes.index("HEALTH")


def test_home_counts_the_returned_projects(
    client: Client, cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    make_returned(submitter, department_approver, "项目", "原因")
    client.force_login(submitter)
    response = client.get(reverse("home"))
    assert response.context["returned_count"] == 1
    assert reverse("budgeting:tasks") + "#returned" in response.content.decode()
