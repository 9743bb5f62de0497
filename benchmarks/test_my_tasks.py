"""Benchmark: my tasks (the finance reviewer's queue) with 1,000 and 10,000 waiting
projects (issue #21).

Run by ``make bench`` (not part of ``make test``): prints one JSON object with the
server time per request at both sizes, their ratio and the query counts (which must
be equal: the page is 50 rows whatever the queue's length).
"""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from accounts.models import Organization, User
from benchmarks.pages import measure
from budgeting.demo import BUDGET_YEAR
from budgeting.models import ReviewStage
from budgeting.review_views import tasks_for
from budgeting.scale import seed_waiting


@pytest.mark.django_db
def test_my_tasks_scale(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    reviewer = User.objects.get(username="finance_reviewer")
    client = Client()
    client.force_login(reviewer)
    url = "/review/"
    # The province's finance stage: the demo runs a year in each jurisdiction (issue #18).
    stage = ReviewStage.objects.get(
        cycle__year=BUDGET_YEAR, cycle__jurisdiction__parent=None, code="finance"
    )
    units = list(
        Organization.objects.filter(
            is_finance_department=False,
            is_data_administration=False,
            jurisdiction=stage.cycle.jurisdiction,
        )
    )

    def fill_to(total: int) -> None:
        seed_waiting(total - tasks_for(reviewer).count(), stage=stage, units=units, seed=total)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    fill_to(1_000)
    small_time, small_queries = measure(client, url)
    fill_to(10_000)
    large_time, large_queries = measure(client, url)
    sorted_time, sorted_queries = measure(client, f"{url}?sort=-amount&page=100")
    figures = {
        "my_tasks_ms_1000": round(small_time * 1000, 1),
        "my_tasks_ms_10000": round(large_time * 1000, 1),
        "my_tasks_ratio": round(large_time / small_time, 2),
        "my_tasks_queries_1000": small_queries,
        "my_tasks_queries_10000": large_queries,
        "my_tasks_ms_10000_by_amount_page_100": round(sorted_time * 1000, 1),
    }
    with capsys.disabled():
        print("BENCH " + json.dumps(figures))
    assert small_queries == large_queries
    # A page past the capped count (the first pages count up to the cap only) counts the
    # queue exactly: one query more, whatever the queue's size.
    assert sorted_queries == large_queries + 1
