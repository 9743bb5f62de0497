import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Organization, Role, User
from projects.models import Project, ProjectState
from projects.tests.factories import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(submitter: User, outsider: User, exam_authority: Organization) -> list[Project]:
    made = []
    for actor, unit, amount, approved, state, kind in (
        (submitter, None, "1000000.00", "700000.00", ProjectState.APPROVED, "construction"),
        (submitter, exam_authority, "500000.00", None, ProjectState.IN_REVIEW, "operation"),
        (outsider, None, "800000.00", "800000.00", ProjectState.APPROVED, "operation"),
        (outsider, None, "300000.00", None, ProjectState.IN_REVIEW, "construction"),
    ):
        project = register(actor, unit, name=f"项目{amount}", kind=kind)
        Project.objects.filter(pk=project.pk).update(
            requested_amount=Decimal(amount),
            approved_amount=Decimal(approved) if approved else None,
            state=state,
            reached_roles=[Role.FINANCE_REVIEWER],  # left the department: finance sees it
        )
        made.append(project)
    return made


def _rows(client: Client, **params: str):
    response = client.get(reverse("reports:summary"), {"year": "2027", **params})
    return {str(row.label): row for row, _link in response.context["rows"]}, response


@pytest.mark.usefixtures("projects")
def test_totals_by_unit_agree_with_the_lines(client: Client, finance_reviewer: User) -> None:
    client.force_login(finance_reviewer)
    rows, response = _rows(client, by="unit")
    edu = rows["省教育厅"]
    assert (edu.projects, edu.requested, edu.approved) == (
        2,
        Decimal("1500000.00"),
        Decimal("700000.00"),
    )
    assert edu.cut == Decimal("300000.00")
    assert edu.cut_rate == Decimal("30.00")
    totals = response.context["totals"]
    assert totals.requested == sum(p.requested_amount for p in Project.objects.all())
    assert totals.cut == Decimal("300000.00")


# The rows of the four projects on every axis, and how many projects each row counts.
EXPECTED_ROWS = {
    "unit": {"省教育厅": 2, "省卫生健康委": 2},  # the exam authority's project counts for EDU
    "level": {"一级预算单位": 3, "二级预算单位": 1},
    "kind": {"建设类": 2, "运维类": 2},
    "managed": {"已纳入": 4},
    "state": {"审核中": 2, "已批复": 2},
    "procurement": {"公开招标": 4},
    "continuity": {"新建": 4},
    "category": {"特定目标类": 4},
}


@pytest.mark.usefixtures("projects")
@pytest.mark.parametrize("by", list(EXPECTED_ROWS))
def test_each_row_drills_down_to_the_same_projects(
    client: Client, finance_reviewer: User, by: str
) -> None:
    client.force_login(finance_reviewer)
    response = client.get(reverse("reports:summary"), {"year": "2027", "by": by})
    rows = response.context["rows"]
    assert {str(row.label): row.projects for row, _link in rows} == EXPECTED_ROWS[by]
    for row, link in rows:
        listed = client.get(link).context["page"].paginator.count
        assert listed == row.projects, row.label


@pytest.mark.usefixtures("projects")
def test_secondary_units_add_up_apart_from_the_primary_ones(
    client: Client, finance_reviewer: User
) -> None:
    client.force_login(finance_reviewer)
    rows, _response = _rows(client, by="level")
    assert (rows["二级预算单位"].projects, rows["二级预算单位"].requested) == (
        1,
        Decimal("500000.00"),
    )
    assert (rows["一级预算单位"].projects, rows["一级预算单位"].requested) == (
        3,
        Decimal("2100000.00"),
    )


@pytest.mark.usefixtures("projects")
def test_a_department_sees_only_its_units(client: Client, submitter: User) -> None:
    client.force_login(submitter)
    rows, response = _rows(client, by="unit")
    assert list(rows) == ["省教育厅"]
    assert response.context["totals"].requested == Decimal("1500000.00")


@pytest.mark.usefixtures("projects")
def test_export_has_the_rows_and_a_total(client: Client, finance_reviewer: User) -> None:
    client.force_login(finance_reviewer)
    response = client.get(reverse("reports:summary_export"), {"year": "2027", "by": "kind"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1][0] == "合计"
    assert rows[-1][2] == 260  # 万元
    assert sheet.freeze_panes == "A2"


def test_query_count_does_not_grow_with_projects(
    client: Client, finance_reviewer: User, submitter: User, outsider: User
) -> None:
    client.force_login(finance_reviewer)
    register(submitter)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reports:summary"), {"year": "2027"})
    for number in range(10):
        register(outsider if number % 2 else submitter, name=f"项目{number}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("reports:summary"), {"year": "2027"})
    assert len(many.captured_queries) == len(few.captured_queries)
