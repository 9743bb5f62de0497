"""Benchmark: the control figure's check in 二上 with 1,000 and 10,000 requests of the
year (issue #16).

Run by ``make bench`` (not part of ``make test``): prints one JSON object with, at both
sizes, the department approver's review page (which asks whether the pass would take
the unit over its figure) and one real pass through the service, with their query
counts, which must be equal: the check is one sum, whatever the number of projects.
"""

import io
import json
import statistics
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization, User
from budgeting import cycles, services
from budgeting.demo import BUDGET_YEAR
from budgeting.models import BudgetCycle, Review, ReviewStage
from budgeting.scale import seed_waiting
from projects.models import Project

REPEATS = 15


def _page(client: Client, url: str) -> tuple[float, int]:
    client.get(url)  # warm caches
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        assert client.get(url).status_code == 200
        timings.append(time.perf_counter() - start)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), len(queries.captured_queries)


def _one_pass(project: Project, approver: User) -> tuple[float, int]:
    project = Project.objects.get(pk=project.pk)
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        services.pass_stage(project, actor=approver, expected_version=project.version)
        elapsed = time.perf_counter() - start
    return elapsed, len(queries.captured_queries)


@pytest.mark.django_db
def test_enforcement_scale(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    education = Organization.objects.get(code="EDU")
    # The demo runs a year in each jurisdiction (issue #18): the education unit's.
    year = BudgetCycle.objects.get(year=BUDGET_YEAR, jurisdiction=education.jurisdiction)
    # A figure the unit stays within, so every pass goes through and is measured whole.
    cycles.set_control_figure(year, education, Decimal("999999999999.99"), actor=None)
    approver = User.objects.get(username="edu_head")
    stage = ReviewStage.objects.get(cycle=year, code="department")
    client = Client()
    client.force_login(approver)

    def fill_to(total: int) -> list[Project]:
        have = Review.objects.filter(cycle=year, project__organization=education).count()
        added = seed_waiting(total - have, stage=stage, units=[education], seed=total)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return added

    small = fill_to(1_000)
    small_page = _page(client, f"/review/{small[0].code}/")
    small_pass = _one_pass(small[1], approver)
    large = fill_to(10_000)
    large_page = _page(client, f"/review/{large[0].code}/")
    large_pass = _one_pass(large[1], approver)
    figures = {
        "enforcement_review_page_ms_1000": round(small_page[0] * 1000, 1),
        "enforcement_review_page_ms_10000": round(large_page[0] * 1000, 1),
        "enforcement_review_page_queries_1000": small_page[1],
        "enforcement_review_page_queries_10000": large_page[1],
        "enforcement_pass_ms_1000": round(small_pass[0] * 1000, 1),
        "enforcement_pass_ms_10000": round(large_pass[0] * 1000, 1),
        "enforcement_pass_queries_1000": small_pass[1],
        "enforcement_pass_queries_10000": large_pass[1],
    }
    with capsys.disabled():
        print("BENCH " + json.dumps(figures))
    assert small_page[1] == large_page[1]
    assert small_pass[1] == large_pass[1]
