"""Benchmark: the summary's round columns (两上两下) at 100 and at 10,000 projects.

Figures (one "BENCH" JSON line, collected by ``make bench``): the queries of the
summary by unit of a two-round year (round columns, chart, fee classes) with 100 and
with 10,000 projects (must be equal), its median server time at both sizes, and the
round columns' own time (``round_summary``) at 10,000. Half
the projects are still in 一上 (live figures, their lines summed after the reviews), half
have moved into 二上 with their 一上 figures recorded (``RoundResult``); every unit has a
control figure.
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
from budgeting.models import BudgetRound, ControlFigure, Review, RoundResult
from budgeting.permissions import control_figure_units
from budgeting.tests.workflow_fixtures import two_round_year
from projects.models import Project
from projects.permissions import projects_visible_to
from projects.scale import seed_scale
from reports.rounds import round_summary

YEAR = 2031
REPEATS = 5
URL = f"/reports/summary/?year={YEAR}&by=unit"


def _measure(client: Client) -> tuple[float, int]:
    client.get(URL)  # warm caches
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        response = client.get(URL)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200
        assert response.context["rounds"] is not None
    with CaptureQueriesContext(connection) as queries:
        client.get(URL)
    return statistics.median(timings), len(queries.captured_queries)


def _into_rounds(first: BudgetRound, second: BudgetRound) -> None:
    """A review for each new project: every other one moved into 二上 with its 一上 figures."""
    projects = list(Project.objects.filter(budget_year=YEAR, review__isnull=True).order_by("pk"))
    moved = projects[::2]
    moved_ids = {p.pk for p in moved}
    Review.objects.bulk_create(
        Review(project=p, cycle=first.cycle, round=second if p.pk in moved_ids else first)
        for p in projects
    )
    RoundResult.objects.bulk_create(
        RoundResult(
            project=p,
            round=first,
            requested_amount=p.requested_amount,
            reviewed_amount=(p.requested_amount * Decimal("0.8")).quantize(Decimal("0.01")),
            state=p.state,
        )
        for p in moved
    )


@pytest.mark.django_db
def test_round_summary_at_scale(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    cycle = two_round_year(YEAR)
    first, second = cycle.rounds.filter(kind="submission").order_by("order")
    for unit in Organization.objects.filter(
        parent__isnull=True, is_finance_department=False, is_data_administration=False
    ):
        ControlFigure.objects.create(cycle=cycle, organization=unit, amount=Decimal("5e7"))
    client = Client()
    client.force_login(User.objects.get(username="finance_reviewer"))
    seed_scale(100, year=YEAR, lines=10)
    _into_rounds(first, second)
    small_time, small_queries = _measure(client)
    seed_scale(9_900, year=YEAR, seed=YEAR + 1, lines=10)
    _into_rounds(first, second)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    large_time, large_queries = _measure(client)
    reviewer = User.objects.get(username="finance_reviewer")
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        round_summary(
            projects_visible_to(reviewer).filter(budget_year=YEAR),
            YEAR,
            control_figure_units(reviewer),
        )
        timings.append(time.perf_counter() - start)
    figures = {
        "round_columns_ms_10000": round(statistics.median(timings) * 1000, 1),
        "round_summary_ms_100": round(small_time * 1000, 1),
        "round_summary_ms_10000": round(large_time * 1000, 1),
        "round_summary_queries_100": small_queries,
        "round_summary_queries_10000": large_queries,
    }
    with capsys.disabled():
        print("BENCH " + json.dumps(figures))
    assert small_queries == large_queries
