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


@pytest.mark.parametrize(
    ("by", "kind", "field", "label"),
    [
        ("economic_government", CodeKind.ECONOMIC_GOVERNMENT, "economic_government_code",
         "政府预算支出经济分类"),
        ("economic_department", CodeKind.ECONOMIC_DEPARTMENT, "economic_department_code",
         "部门预算支出经济分类"),
    ],
)  # fmt: skip
def test_the_summary_groups_by_each_economic_classification_apart(
    api_client: Client,
    finance_key: str,
    approved: Project,
    health_approved: Project,
    finance_reviewer: User,
    by: str,
    kind: CodeKind,
    field: str,
    label: str,
) -> None:
    """The two 经济分类 lists are two dimensions, each named as the finance core system
    names it: a project coded in one list is uncoded in the other."""
    code = ClassificationCode.objects.create(kind=kind, year=2027, code="50205", name="委托业务费")
    Project.objects.filter(pk=approved.pk).update(**{field: code})
    figures = api_client.get(
        "/api/v1/summary/", {"year": "2027", "by": by}, headers=bearer(finance_key)
    ).json()
    assert [(row["key"], row["label"], row["projects"]) for row in figures["rows"]] == [
        ("50205", "50205 委托业务费", 1),
        (None, "未选择代码", 1),
    ]
    other = "economic_department" if by == "economic_government" else "economic_government"
    uncoded = api_client.get(
        "/api/v1/summary/", {"year": "2027", "by": other}, headers=bearer(finance_key)
    ).json()
    assert [(row["key"], row["projects"]) for row in uncoded["rows"]] == [(None, 2)]
    page = Client()
    page.force_login(finance_reviewer)
    page.cookies["django_language"] = "zh-hans"
    html = page.get(reverse("reports:summary"), {"year": "2027", "by": by}).content.decode()
    assert f'<option value="{by}" selected>{label}</option>' in html
    schema = api_client.get("/api/schema/").json()
    [parameter] = [p for p in schema["paths"]["/api/v1/summary/"]["get"]["parameters"]
                   if p["name"] == "by"]  # fmt: skip
    assert f"`{by}` {label}" in parameter["description"]


def test_the_code_lists_by_year_and_list(api_client: Client, education_key: str) -> None:
    for kind, year, code, name in (
        (CodeKind.FUNCTIONAL, 2027, "2010150", "事业运行"),
        (CodeKind.ECONOMIC_GOVERNMENT, 2027, "50205", "委托业务费"),
        (CodeKind.ECONOMIC_DEPARTMENT, 2027, "30227", "委托业务费"),
        (CodeKind.ECONOMIC_DEPARTMENT, 2026, "30227", "委托业务费"),
    ):
        ClassificationCode.objects.create(kind=kind, year=year, code=code, name=name)
    codes = api_client.get(
        "/api/v1/codes/",
        {"year": "2027", "kind": "economic_department"},
        headers=bearer(education_key),  # a unit's client: code lists belong to no unit
    ).json()
    assert codes == {
        "items": [
            {"kind": "economic_department", "kind_name": "部门预算支出经济分类",
             "year": 2027, "code": "30227", "name": "委托业务费"},
        ],
        "next_cursor": None,
    }  # fmt: skip
    every = api_client.get("/api/v1/codes/", {"limit": "3"}, headers=bearer(education_key))
    assert len(every.json()["items"]) == 3
    assert every.json()["next_cursor"] is not None
    unknown = api_client.get("/api/v1/codes/", {"kind": "other"}, headers=bearer(education_key))
    assert unknown.status_code == 422
