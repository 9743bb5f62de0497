"""Cursor paging: every row once, in id order, at a fixed number of queries per page."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from api.tests.conftest import bearer
from budgeting.models import BudgetCycle
from budgeting.tests.workflow_fixtures import add_line
from projects.models import Project
from projects.tests.factories import register

pytestmark = pytest.mark.django_db


def _walk(api_client: Client, path: str, key: str, **params: Any) -> tuple[list[Any], int]:
    rows: list[Any] = []
    pages = 0
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = api_client.get(path, query, headers=bearer(key)).json()
        rows += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return rows, pages


def test_pages_cover_every_project_once(
    api_client: Client, education_key: str, cycle: BudgetCycle, submitter: User
) -> None:
    made = [register(submitter, name=f"项目{n}").code for n in range(7)]
    rows, pages = _walk(api_client, "/api/v1/projects/", education_key, limit=3)
    assert [row["code"] for row in rows] == made
    assert pages == 3


@pytest.mark.parametrize("cursor", ["x", "-1", "\x00", "1" * 19, "１２", "1 "])
def test_a_cursor_not_ours_is_422(api_client: Client, education_key: str, cursor: str) -> None:
    response = api_client.get(
        "/api/v1/projects/", {"cursor": cursor}, headers=bearer(education_key)
    )
    assert response.status_code == 422


def test_a_page_costs_the_same_queries_however_many_rows(
    api_client: Client,
    education_key: str,
    cycle: BudgetCycle,
    submitter: User,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    def lines_page() -> None:
        response = api_client.get("/api/v1/lines/", {"limit": 50}, headers=bearer(education_key))
        assert response.status_code == 200

    project = register(submitter)
    project = add_line(project, submitter, "一", "100")
    # Client lookup, units of its scope, the page, the call's log row.
    with django_assert_num_queries(4):
        lines_page()
    for n in range(30):
        project = add_line(project, submitter, f"明细{n}", "100")
        if n % 10 == 0:
            project = register(submitter, name=f"另一项目{n}")
    with django_assert_num_queries(4):
        lines_page()
    with django_assert_num_queries(4):
        api_client.get("/api/v1/projects/", {"limit": 50}, headers=bearer(education_key))
    with django_assert_num_queries(4):
        api_client.get("/api/v1/quotas/", {"limit": 50}, headers=bearer(education_key))


def test_history_lists_the_projects_events(
    api_client: Client, education_key: str, approved: Project
) -> None:
    rows, _ = _walk(
        api_client, f"/api/v1/projects/{approved.code}/history/", education_key, limit=2
    )
    types = [row["event_type"] for row in rows]
    assert types[0] == "projects.project.registered"
    assert types[-1] == "budgeting.project.approve"
    assert rows[-1]["actor"] == "finance_director"
