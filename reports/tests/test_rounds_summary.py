"""The summary's round columns (issue #16): 一上申报数 / 一上审核数 / 控制数 / 二上申报数 /
批复数 by unit, with totals equal to the sums of their rows, a chart, and the Excel export."""

import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from accounts.models import Organization, User
from budgeting import services
from budgeting.models import Review
from budgeting.permissions import control_figure_units
from budgeting.tests.workflow_fixtures import make_ready, two_round_year
from projects.models import Project, ProjectState
from projects.permissions import projects_visible_to
from projects.tests.factories import register
from reports.rounds import RoundSummary, round_summary
from reports.tests.round_fixtures import (
    RoundsWorld,
    cut_the_line,
    log_in_english,
    rounds_world,
    to_final,
)

__all__ = ["rounds_world"]

pytestmark = pytest.mark.django_db

URL = reverse("reports:summary")
EXPORT = reverse("reports:rounds_export")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _summary_or_none(user: User, year: int = 2027) -> RoundSummary | None:
    projects = projects_visible_to(user).filter(budget_year=year)
    return round_summary(projects, year, control_figure_units(user))


def _summary(user: User) -> RoundSummary:
    summary = _summary_or_none(user)
    assert summary is not None
    return summary


def _by_unit(summary: RoundSummary) -> dict[Organization | None, list[Decimal | None]]:
    return {row.unit: summary.cells(row) for row in summary.rows}


def test_the_columns_are_each_rounds_figures_the_control_figure_and_the_approved(
    rounds_world: RoundsWorld, finance_reviewer: User
) -> None:
    summary = _summary(finance_reviewer)
    assert [str(column.label) for column in summary.columns] == [
        "一上 requested",
        "一上 reviewed",
        "Control figure",
        "二上 requested",
        "Approved",
    ]
    # EDU: 一上 the kept project (500,000 cut to 400,000) and the rejected one (500,000,
    # nothing reviewed); figure 420,000; 二上 the kept project revised to 410,000, approved.
    assert _by_unit(summary) == {
        rounds_world.education: [
            Decimal("1000000.00"),
            Decimal("400000.00"),
            Decimal("420000.00"),
            Decimal("410000.00"),
            Decimal("410000.00"),
        ],
        # HEALTH: 580,000 reviewed whole, figure 600,000, in 二上 580,000 awaiting approval.
        rounds_world.health_unit: [
            Decimal("580000.00"),
            Decimal("580000.00"),
            Decimal("600000.00"),
            Decimal("580000.00"),
            Decimal("0.00"),
        ],
    }


def test_every_total_is_the_sum_of_its_rows(
    rounds_world: RoundsWorld, finance_reviewer: User
) -> None:
    summary = _summary(finance_reviewer)
    totals = summary.cells(summary.total)
    for index, total in enumerate(totals):
        assert total == sum(summary.cells(row)[index] or 0 for row in summary.rows)
    assert totals == [
        Decimal("1580000.00"),
        Decimal("980000.00"),
        Decimal("1020000.00"),
        Decimal("990000.00"),
        Decimal("410000.00"),
    ]


def test_a_department_sees_its_own_unit_only(rounds_world: RoundsWorld, submitter: User) -> None:
    summary = _summary(submitter)
    assert [row.unit for row in summary.rows] == [rounds_world.education]
    assert summary.cells(summary.total) == summary.cells(summary.rows[0])


def test_a_project_still_in_the_first_round_counts_live(
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
) -> None:
    two_round_year()
    project = make_ready(register(submitter, name="一上项目"), submitter)
    project = services.submit(project, actor=submitter, expected_version=project.version)
    project = to_final(project, [department_approver, data_reviewer])
    cut_the_line(project, finance_reviewer, "300000")
    summary = _summary(finance_reviewer)
    assert _by_unit(summary) == {
        submitter.organization: [
            Decimal("500000.00"),
            Decimal("300000.00"),
            None,  # no figure yet
            Decimal("0.00"),
            Decimal("0.00"),
        ]
    }
    assert summary.total.figure is None


def test_a_year_of_one_round_has_no_round_columns(
    cycle, client: Client, finance_reviewer: User
) -> None:
    assert _summary_or_none(finance_reviewer) is None
    log_in_english(client, finance_reviewer)
    response = client.get(URL, {"year": "2027", "by": "unit"})
    assert response.status_code == 200
    assert "rounds" not in response.context
    assert "By unit and round" not in response.content.decode()


def test_the_page_shows_the_round_table_its_chart_and_links(
    rounds_world: RoundsWorld, client: Client, finance_reviewer: User
) -> None:
    log_in_english(client, finance_reviewer)
    response = client.get(URL, {"year": "2027", "by": "unit"})
    page = response.content.decode()
    assert "By unit and round" in page
    assert "一上 requested" in page
    assert 'id="rounds-chart-title"' in page
    assert "102.00" in page  # the total of the figures, 1,020,000 yuan in 10k yuan
    row, _cells, link = response.context["round_rows"][0]
    assert row.unit == rounds_world.education
    assert link == (
        f"{reverse('projects:list')}?year=2027&counted=yes&unit={rounds_world.education.pk}"
    )
    # The link lists what the unit row of the summary by unit lists: the same URL.
    unit_rows = {r.key: url for r, url in response.context["rows"]}
    assert unit_rows[rounds_world.education.pk] == link
    # Grouped by another dimension, there are no round columns.
    other = client.get(URL, {"year": "2027", "by": "kind"})
    assert "rounds" not in other.context


def test_the_excel_export_has_the_same_columns_and_totals(
    rounds_world: RoundsWorld, client: Client, finance_reviewer: User
) -> None:
    log_in_english(client, finance_reviewer)
    response = client.get(EXPORT, {"year": "2027"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('summary-rounds-2027.xlsx"')
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == (
        "Budget unit",
        "一上 requested (10k yuan)",
        "一上 reviewed (10k yuan)",
        "Control figure (10k yuan)",
        "二上 requested (10k yuan)",
        "Approved (10k yuan)",
    )
    assert rows[1] == (rounds_world.education.name, 100, 40, 42, 41, 41)
    assert rows[2] == (rounds_world.health_unit.name, 58, 58, 60, 58, 0)
    assert rows[3] == ("Total", 158, 98, 102, 99, 41)


def test_the_export_of_a_one_round_year_has_only_the_unit_column(
    cycle, client: Client, finance_reviewer: User
) -> None:
    log_in_english(client, finance_reviewer)
    response = client.get(EXPORT, {"year": "2027"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows == [("Budget unit",)]


def test_the_round_columns_take_as_many_queries_for_many_units_and_projects(
    rounds_world: RoundsWorld,
    finance_reviewer: User,
    secondary_submitter: User,
    client: Client,
) -> None:
    with CaptureQueriesContext(connection) as few:
        _summary(finance_reviewer)
    log_in_english(client, finance_reviewer)
    with CaptureQueriesContext(connection) as page_few:
        client.get(URL, {"year": "2027", "by": "unit"})
    # More projects, of a secondary unit too, submitted in 二上.
    for index in range(3):
        clerk = secondary_submitter
        project = make_ready(register(clerk, name=f"二上新项目{index}"), clerk)
        Project.objects.filter(pk=project.pk).update(
            state=ProjectState.IN_REVIEW, reached_roles=rounds_world.kept.reached_roles
        )
        Review.objects.create(
            project=project, cycle=rounds_world.cycle, round=rounds_world.round("2up")
        )
    with CaptureQueriesContext(connection) as many:
        summary = _summary(finance_reviewer)
    assert len(many) == len(few) == 7
    with CaptureQueriesContext(connection) as page_many:
        client.get(URL, {"year": "2027", "by": "unit"})
    assert len(page_many) == len(page_few)
    # The secondary unit's projects count for EDU, its primary unit: 410,000 + 3 × 500,000.
    assert _by_unit(summary)[rounds_world.education][3] == Decimal("1910000.00")
