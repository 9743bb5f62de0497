"""Summary figures as the summary page adds them up; published standards only."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from api.tests.conftest import bearer
from classification.models import ClassificationCode, CodeKind
from projects.models import Project
from standards.models import SetStatus
from standards.tests.factories import filled_set

pytestmark = pytest.mark.django_db


def test_the_summary_is_the_summary_pages(
    api_client: Client,
    finance_key: str,
    approved: Project,
    health_approved: Project,
    at_finance: Project,
    finance_reviewer: User,
) -> None:
    figures = api_client.get(
        "/api/v1/summary/", {"year": "2027", "by": "unit"}, headers=bearer(finance_key)
    ).json()
    page = Client()
    page.force_login(finance_reviewer)
    context = page.get(reverse("reports:summary"), {"year": "2027", "by": "unit"}).context
    assert [(row["label"], row["projects"]) for row in figures["rows"]] == [
        (str(row.label), row.projects) for row, _drill in context["rows"]
    ]
    total = context["totals"]
    assert figures["total"]["projects"] == total.projects == 3
    assert Decimal(figures["total"]["requested"]) == total.requested
    assert Decimal(figures["total"]["approved"]) == total.approved


def test_a_summary_needs_its_year(api_client: Client, finance_key: str) -> None:
    assert api_client.get("/api/v1/summary/", headers=bearer(finance_key)).status_code == 422


def test_standards_are_the_published_ones_with_their_items(
    api_client: Client, finance_key: str
) -> None:
    published = filled_set(2, code="GD-2019")
    filled_set(1, code="GD-DRAFT", status=SetStatus.DRAFT)
    listed = api_client.get("/api/v1/standards/", headers=bearer(finance_key)).json()
    assert [standard["code"] for standard in listed] == ["GD-2019"]
    detail = api_client.get("/api/v1/standards/GD-2019/", headers=bearer(finance_key)).json()
    assert len(detail["items"]) == published.items.count() == 2
    assert all(len(item["grades"]) == 2 for item in detail["items"])
    draft = api_client.get("/api/v1/standards/GD-DRAFT/", headers=bearer(finance_key))
    assert draft.status_code == 404


def test_the_summary_by_a_code_list_is_the_summary_pages(
    api_client: Client,
    finance_key: str,
    approved: Project,
    health_approved: Project,
    finance_reviewer: User,
) -> None:
    functional = ClassificationCode.objects.create(
        kind=CodeKind.FUNCTIONAL, year=2027, code="2010150", name="事业运行"
    )
    Project.objects.filter(pk=approved.pk).update(functional_code=functional)
    figures = api_client.get(
        "/api/v1/summary/", {"year": "2027", "by": "functional"}, headers=bearer(finance_key)
    ).json()
    page = Client()
    page.force_login(finance_reviewer)
    context = page.get(reverse("reports:summary"), {"year": "2027", "by": "functional"}).context
    assert [(row["key"], row["projects"], row["approved"]) for row in figures["rows"]] == [
        ("2010150", 1, str(approved.approved_amount)),
        (None, 1, str(health_approved.approved_amount)),
    ]
    assert [row["label"] for row in figures["rows"]] == [
        str(row.label) for row, _drill in context["rows"]
    ]
    assert figures["total"]["projects"] == context["totals"].projects == 2
