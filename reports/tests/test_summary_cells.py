"""The summary from kept totals (reports.cells, issue #21): the same figures as summed
live, for every dimension and every scope, and never once a write has happened."""

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from accounts.models import User
from budgeting.scale import seed_reviews
from ops.page_cache import bump_generation
from projects.models import Project
from projects.scale import seed_scale
from reports import cells
from reports.models import SummaryCell, SummaryStamp
from reports.summary import DIMENSIONS
from reports.tests.report_fixtures import World, report_world  # noqa: F401

pytestmark = pytest.mark.django_db

USERS = ("finance_reviewer", "submitter", "outsider", "data_reviewer", "admin_user")


@pytest.fixture
def world(report_world: World) -> World:  # noqa: F811
    # Volume in every state and stage, beside the fixture's cut and approved projects.
    seed_scale(60, year=2027, lines=3)
    seed_reviews(2027)
    return report_world


def _figures(client: Client, by: str) -> dict[str, Any]:
    response = client.get(reverse("reports:summary"), {"year": "2027", "by": by})
    assert response.status_code == 200

    def flat(row: Any) -> tuple[Any, ...]:
        return (row.key, str(row.label), row.projects, row.requested, row.approved,
                row.requested_of_decided, row.counted)  # fmt: skip

    return {
        "rows": [flat(row) for row, _link in response.context["rows"]],
        "total": flat(response.context["totals"]),
        "fee_classes": [flat(row) for row, _link in response.context["fee_classes"]],
        "export": _export(client, by),
    }


def _export(client: Client, by: str) -> list[tuple[Any, ...]]:
    response = client.get(reverse("reports:summary_export"), {"year": "2027", "by": by})
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


@pytest.mark.parametrize("username", USERS)
def test_the_kept_figures_are_the_live_ones_for_every_dimension_and_scope(
    world: World, request: pytest.FixtureRequest, username: str
) -> None:
    user: User = request.getfixturevalue(username)
    client = Client()
    client.force_login(user)
    live = {by: _figures(client, by) for by in DIMENSIONS}
    assert cells.refresh(2027) > 0
    assert cells.fresh_cells(user, 2027) is not None
    kept = {by: _figures(client, by) for by in DIMENSIONS}
    assert kept == live
    assert any(figures["rows"] for figures in live.values())


def test_the_page_reads_the_cells_while_fresh(world: World, finance_reviewer: User) -> None:
    client = Client()
    client.force_login(finance_reviewer)
    cells.refresh(2027)
    # A cell changed behind the summary's back shows: the page read the cells.
    cell = SummaryCell.objects.filter(fee_class="", state="approved").first()
    assert cell is not None
    SummaryCell.objects.filter(pk=cell.pk).update(requested=cell.requested + 1)
    before = _figures(client, "state")["total"]
    cells.refresh(2027)
    assert _figures(client, "state")["total"][3] == before[3] - 1


def test_after_a_write_the_page_sums_live_and_asks_for_a_count_once(
    world: World, finance_reviewer: User
) -> None:
    client = Client()
    client.force_login(finance_reviewer)
    cells.refresh(2027)
    live_before = _figures(client, "unit")
    Project.objects.filter(pk=world.waiting.pk).update(requested_amount=1)
    bump_generation()  # what committing that write does (ops.page_cache)
    assert cells.fresh_cells(finance_reviewer, 2027) is None
    assert SummaryStamp.objects.get(budget_year=2027).generation == -1
    asked = DBTaskResult.objects.filter(task_path="reports.cells.refresh_task")
    assert asked.count() == 1
    after = _figures(client, "unit")
    assert after["total"][3] == live_before["total"][3] - world.waiting.requested_amount + 1
    assert asked.count() == 1  # asked once per write, not once per page
    cells.refresh(2027)  # what the worker does
    assert cells.fresh_cells(finance_reviewer, 2027) is not None
    assert _figures(client, "unit") == after


def test_an_inactive_user_s_cells_are_none(world: World, submitter: User) -> None:
    cells.refresh(2027)
    submitter.is_active = False
    submitter.save(update_fields=["is_active"])
    fresh = cells.fresh_cells(submitter, 2027)
    assert fresh is not None and not fresh.exists()
