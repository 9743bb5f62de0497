"""Benchmark: the busiest pages at province scale against 1,000 projects (issue #21).

Run by ``make bench`` (not part of ``make test``). With the demo data, ``seed_scale``'s
synthetic projects (10 estimate lines each; those in review at every stage, with the
finance stage's decisions and approved batches) are added up to 1,000 projects, every
page is timed, then up to ``BENCH_SCALE_PROJECTS`` (100,000 by default: 1,000,000 lines)
and every page is timed again. Printed: the median server time of each page at both
sizes, the ratio (target ≤ 1.5) and the queries per request (which must be equal).
The page cache is off: these are the pages as drawn right after a write.

Pages: the project list and a project's page (as the finance reviewer), my tasks (the
finance reviewer's queue), the batch approval page (the finance director's) and the
budget summary from its kept totals (``reports.cells``), and the summary once more as
drawn right after a write, summed live (``summary_live``).
"""

import io
import json
import os
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from accounts.models import User
from benchmarks.pages import measure
from budgeting.scale import seed_reviews
from projects.demo import BUDGET_YEAR
from projects.models import EstimateLine, Project, ProjectState
from projects.scale import seed_scale
from reports import cells
from reports.models import SummaryStamp

SMALL = 1_000
LARGE = int(os.environ.get("BENCH_SCALE_PROJECTS", "100000"))
LINES = 10
CHUNK = 10_000  # projects a seeding call: 100,000 lines of models at a time at most
REPEATS = 9


def _fill_to(total: int) -> None:
    while (missing := total - Project.objects.count()) > 0:
        seed_scale(min(missing, CHUNK), year=BUDGET_YEAR, lines=LINES, seed=missing)
        seed_reviews(BUDGET_YEAR, seed=missing)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # The summary's kept totals, as the worker counts them after the writes.
    cells.refresh(BUDGET_YEAR)


def _measure(client: Client, url: str) -> tuple[float, int]:
    return measure(client, url, REPEATS)


def _measure_all(pages: dict[str, tuple[Client, str]]) -> dict[str, tuple[float, int]]:
    """Every page; and the summary once more as drawn right after a write, summed live."""
    measured = {name: _measure(client, url) for name, (client, url) in pages.items()}
    stamp = SummaryStamp.objects.get(budget_year=BUDGET_YEAR)
    SummaryStamp.objects.filter(pk=stamp.pk).update(generation=cells.ASKED)
    client, url = pages["summary"]
    measured["summary_live"] = _measure(client, url)
    SummaryStamp.objects.filter(pk=stamp.pk).update(generation=stamp.generation)
    return measured


@pytest.mark.django_db
def test_pages_at_province_scale(capsys: pytest.CaptureFixture[str], settings: Any) -> None:
    settings.PAGE_CACHE_SECONDS = 0
    call_command("seed_demo", stdout=io.StringIO())
    reviewer, director = Client(), Client()
    reviewer.force_login(User.objects.get(username="finance_reviewer"))
    director.force_login(User.objects.get(username="finance_director"))
    _fill_to(SMALL)
    # The same project at both sizes: a synthetic one waiting at the finance review.
    project = (
        Project.objects.filter(
            state=ProjectState.IN_REVIEW, review__stage__code="finance", name__endswith="项目"
        )
        .order_by("pk")
        .first()
    )
    assert project is not None
    pages = {
        "list": (reviewer, "/projects/"),
        "detail": (reviewer, f"/projects/{project.code}/"),
        "my_tasks": (reviewer, "/review/"),
        "batches": (director, "/review/batches/"),
        "summary": (reviewer, f"/reports/summary/?year={BUDGET_YEAR}"),
    }
    small = _measure_all(pages)
    start = time.perf_counter()
    _fill_to(LARGE)
    seeding = time.perf_counter() - start
    large = _measure_all(pages)
    figures: dict[str, Any] = {
        "scale_projects": Project.objects.count(),
        "scale_lines": EstimateLine.objects.count(),
        "scale_seed_s": round(seeding, 1),
    }
    for name in large:
        (small_time, small_queries), (large_time, large_queries) = small[name], large[name]
        figures.update(
            {
                f"scale_{name}_ms_{SMALL}": round(small_time * 1000, 1),
                f"scale_{name}_ms_{LARGE}": round(large_time * 1000, 1),
                f"scale_{name}_ratio": round(large_time / small_time, 2),
                f"scale_{name}_queries": [small_queries, large_queries],
            }
        )
    with capsys.disabled():
        print("BENCH " + json.dumps(figures))
    assert all(small[name][1] == large[name][1] for name in large), figures
