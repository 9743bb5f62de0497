"""The summary grouped by the finance core system's code lists (issue #20): one row per
code and one for the projects without one, totals that are the rows' sums, drill-down
to the same projects, the Excel export of the grouping, and a flat query count."""

import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Organization, Role, User
from classification.models import ClassificationCode, CodeKind
from classification.rules import CODE_PARAMETERS, PROJECT_CODE_FIELDS
from projects.models import Project, ProjectState
from projects.tests.factories import register
from reports import cells
from reports.summary import DIMENSIONS, SummaryRow

pytestmark = pytest.mark.django_db

CODE_DIMENSIONS = list(CODE_PARAMETERS)


def _code(kind: CodeKind, code: str, name: str) -> ClassificationCode:
    return ClassificationCode.objects.create(kind=kind, year=2027, code=code, name=name)


def _made(actor: User, unit: Organization | None, amount: str, approved: str | None) -> Project:
    project = register(actor, unit, name=f"项目{amount}")
    Project.objects.filter(pk=project.pk).update(
        requested_amount=Decimal(amount),
        approved_amount=Decimal(approved) if approved else None,
        state=ProjectState.APPROVED if approved else ProjectState.IN_REVIEW,
        reached_roles=[Role.FINANCE_REVIEWER],
    )
    return project


@pytest.fixture
def coded(submitter: User, outsider: User, exam_authority: Organization) -> list[Project]:
    """Four counted projects: two under 2010150, one under 2050299, one without codes;
    and a draft with a code, which no total counts."""
    operation = _code(CodeKind.FUNCTIONAL, "2010150", "事业运行")
    education = _code(CodeKind.FUNCTIONAL, "2050299", "其他普通教育支出")
    general = _code(CodeKind.FUND_TYPE, "1", "一般公共预算资金")
    made = [
        _made(submitter, None, "1000000.00", "700000.00"),
        _made(submitter, exam_authority, "500000.00", None),
        _made(outsider, None, "800000.00", "800000.00"),
        _made(outsider, None, "300000.00", None),
    ]
    for project, functional in zip(made, (operation, operation, education, None), strict=True):
        Project.objects.filter(pk=project.pk).update(
            functional_code=functional, fund_type_code=general if functional else None
        )
    draft = register(submitter, name="草稿")
    Project.objects.filter(pk=draft.pk).update(functional_code=education, requested_amount=9)
    return made


def _summary(client: Client, by: str) -> tuple[list[Any], SummaryRow]:
    response = client.get(reverse("reports:summary"), {"year": "2027", "by": by})
    assert response.status_code == 200
    return response.context["rows"], response.context["totals"]


@pytest.mark.usefixtures("coded")
def test_grouped_by_functional_code_each_code_is_a_row(
    client: Client, finance_reviewer: User
) -> None:
    client.force_login(finance_reviewer)
    client.cookies["django_language"] = "en"
    rows, _totals = _summary(client, "functional")
    figures = {str(row.label): (row.projects, row.requested, row.approved) for row, _ in rows}
    assert figures == {
        "2010150 事业运行": (2, Decimal("1500000.00"), Decimal("700000.00")),
        "2050299 其他普通教育支出": (1, Decimal("800000.00"), Decimal("800000.00")),
        "No code chosen": (1, Decimal("300000.00"), Decimal("0.00")),
    }
    assert [str(row.label) for row, _ in rows][-1] == "No code chosen"  # by code, none last


@pytest.mark.usefixtures("coded")
@pytest.mark.parametrize("by", CODE_DIMENSIONS)
def test_the_totals_are_the_sums_of_the_rows_and_the_rows_drill_down(
    client: Client, finance_reviewer: User, by: str
) -> None:
    client.force_login(finance_reviewer)
    rows, totals = _summary(client, by)
    assert totals.projects == sum(row.projects for row, _ in rows) == 4
    assert totals.requested == sum(row.requested for row, _ in rows) == Decimal("2600000.00")
    assert totals.approved == sum(row.approved for row, _ in rows) == Decimal("1500000.00")
    for row, link in rows:
        assert client.get(link).context["page"].paginator.count == row.projects, row.label


@pytest.mark.usefixtures("coded")
def test_the_export_has_the_grouping_and_its_total(client: Client, finance_reviewer: User) -> None:
    client.force_login(finance_reviewer)
    response = client.get(reverse("reports:summary_export"), {"year": "2027", "by": "fund_type"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "资金性质"
    assert [row[:3] for row in rows[1:]] == [
        ("1 一般公共预算资金", 3, 230),  # 万元
        ("未选择代码", 1, 30),
        ("合计", 4, 260),
    ]


@pytest.mark.usefixtures("coded")
def test_the_kept_cells_group_by_the_codes_as_the_live_sums(
    client: Client, finance_reviewer: User
) -> None:
    client.force_login(finance_reviewer)
    live = {by: _flat(*_summary(client, by)) for by in CODE_DIMENSIONS}
    cells.refresh(2027)
    assert cells.fresh_cells(finance_reviewer, 2027) is not None
    assert {by: _flat(*_summary(client, by)) for by in CODE_DIMENSIONS} == live


def _flat(rows: list[Any], totals: SummaryRow) -> list[tuple[Any, ...]]:
    return [
        (row.key, str(row.label), row.projects, row.requested, row.approved)
        for row in [*(row for row, _ in rows), totals]
    ]


@pytest.mark.parametrize("by", CODE_DIMENSIONS)
def test_the_query_count_does_not_grow_with_projects_or_codes(
    client: Client, finance_reviewer: User, submitter: User, outsider: User, by: str
) -> None:
    client.force_login(finance_reviewer)
    kind = CODE_PARAMETERS[by]
    field = PROJECT_CODE_FIELDS[kind]

    def add(number: int) -> None:
        project = _made(outsider if number % 2 else submitter, None, "1000.00", None)
        code = _code(kind, f"9{number:03d}", f"代码{number}")
        Project.objects.filter(pk=project.pk).update(**{field: code})

    add(0)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reports:summary"), {"year": "2027", "by": by})
    for number in range(1, 11):
        add(number)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("reports:summary"), {"year": "2027", "by": by})
    assert len(response.context["rows"]) == 11
    assert len(many.captured_queries) == len(few.captured_queries)


def test_every_code_list_is_a_dimension_labelled_as_the_list() -> None:
    for name, kind in CODE_PARAMETERS.items():
        assert DIMENSIONS[name].label == kind.label
