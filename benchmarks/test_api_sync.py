"""Benchmark: a full sync of a year's approved lines through the API (issue #20).

10,000 approved projects of 10 lines each (100,000 lines) are read page by page
from ``/api/v1/lines/?year=2027&state=approved`` by cursor, 500 a page, as the
finance core system would. Figures (one "BENCH" JSON line, collected by ``make bench``):
- the queries of the first page and of the last (must be equal: keyset paging);
- the first and last page's time (a deep page must cost what the first does);
- the whole sync's time ÷ the Excel export of the same rows (``reports.exports``,
  written to memory): target ≤ 1.5.
"""

import io
import json
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from api import services
from projects.models import EstimateLine, Project, ProjectState
from projects.scale import seed_scale
from reports import exports

PROJECTS = 10_000
LINES_PER_PROJECT = 10
LIMIT = 500
URL = "/api/v1/lines/"


@pytest.mark.django_db
def test_api_sync_at_scale(capsys: pytest.CaptureFixture[str], settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 10_000
    call_command("seed_demo", stdout=io.StringIO())
    seed_scale(PROJECTS, lines=LINES_PER_PROJECT)
    year = Project.objects.filter(budget_year=2027)
    year.update(
        state=ProjectState.APPROVED,
        approved_amount=F("requested_amount"),
        reached_roles=sorted([Role.DEPARTMENT_APPROVER, Role.FINANCE_REVIEWER]),
    )
    with connection.cursor() as sql:
        sql.execute("ANALYZE")
    lines = EstimateLine.objects.filter(project__in=year).count()
    _, key = services.register_client(actor=None, name="finance-core", all_units=True)
    client = Client(headers={"Authorization": f"Bearer {key}"})
    query = {"year": "2027", "state": "approved", "limit": str(LIMIT)}

    def fetch(cursor: str | None) -> tuple[dict[str, Any], float, int]:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(URL, params)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200
        return response.json(), elapsed, len(queries.captured_queries)

    fetch(None)  # warm
    start = time.perf_counter()
    cursor, synced, pages, page_times, page_queries = None, 0, 0, [], []
    while True:
        body, elapsed, queries = fetch(cursor)
        synced += len(body["items"])
        pages += 1
        page_times.append(elapsed)
        page_queries.append(queries)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    sync_time = time.perf_counter() - start

    start = time.perf_counter()
    exported = exports.write_lines(exports.line_rows(year), io.BytesIO(), "明细")
    export_time = time.perf_counter() - start

    figures = {
        "api_lines_synced": synced,
        "api_pages": pages,
        "api_queries_first_page": page_queries[0],
        "api_queries_last_page": page_queries[-2],  # the last full page
        "api_first_page_ms": round(page_times[0] * 1000, 1),
        "api_last_page_ms": round(page_times[-2] * 1000, 1),
        "api_sync_s": round(sync_time, 2),
        "api_lines_excel_export_s": round(export_time, 2),
        "api_sync_to_export_ratio": round(sync_time / export_time, 2),
    }
    with capsys.disabled():
        print("BENCH " + json.dumps(figures))
    assert synced == exported == lines >= PROJECTS * LINES_PER_PROJECT
    assert len(set(page_queries)) == 1
    assert sync_time <= 1.5 * export_time
