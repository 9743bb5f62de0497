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
drawn right after a write (``summary_after_write``: before each request one estimate
line's amount changes, which the triggers fold into the cells in the write's own
transaction; ``write_ms`` is that write's median time, triggers included).

At the large size, the peak Python memory (tracemalloc) of the summary request, of the
year's lines export as the background worker writes it (1,000,000 lines) and of
counting the year's cells afresh (``reports.cells.refresh``) is recorded too (target:
each ≤ 150 MB). ``BENCH_SCALE_EXPORT=0`` leaves the export out (a few minutes).
"""

import io
import json
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from benchmarks.pages import measure
from benchmarks.seeding import fill_to
from projects.demo import BUDGET_YEAR
from projects.models import EstimateLine, Project, ProjectState
from reports import cells
from reports.export_jobs import write_lines_export
from reports.models import ExportJob, ExportState
from reports.tests.export_helpers import requested_job

SMALL = 1_000
LARGE = int(os.environ.get("BENCH_SCALE_PROJECTS", "100000"))
LINES = 10
REPEATS = 9


def _measure(client: Client, url: str) -> tuple[float, int]:
    return measure(client, url, REPEATS)


def _after_writes(client: Client, url: str) -> tuple[float, int, float]:
    """The page's median time right after a write (a line's amount changed), its queries,
    and the write's median time."""
    line = EstimateLine.objects.filter(project__budget_year=BUDGET_YEAR).order_by("pk").first()
    assert line is not None
    lines = EstimateLine.objects.filter(pk=line.pk)

    def write(step: int) -> float:
        start = time.perf_counter()
        lines.update(amount=F("amount") + (1 if step % 2 else -1))
        return time.perf_counter() - start

    write(0)
    client.get(url)  # warm caches
    writes, timings = [], []
    for step in range(1, REPEATS + 1):
        writes.append(write(step))
        start = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200, url
    write(REPEATS + 1)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), len(queries.captured_queries), statistics.median(writes)


def _measure_all(pages: dict[str, tuple[Client, str]]) -> dict[str, tuple[float, int]]:
    """Every page; and the summary once more as drawn right after a write."""
    measured = {name: _measure(client, url) for name, (client, url) in pages.items()}
    client, url = pages["summary"]
    after, queries, write = _after_writes(client, url)
    measured["summary_after_write"] = (after, queries)
    measured["write"] = (write, 0)
    return measured


def _peak_mb(work: Callable[[], Any]) -> float:
    """The peak Python memory ``work`` allocated (tracemalloc), in MB."""
    tracemalloc.start()
    try:
        work()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 1_000_000, 1)


def _memory(reviewer: Client, summary_url: str, tmp_path: Path) -> dict[str, Any]:
    """Peak memory of the summary, a year's count and (unless left out) the lines export."""
    figures: dict[str, Any] = {
        "scale_summary_peak_mb": _peak_mb(lambda: reviewer.get(summary_url)),
    }
    start = time.perf_counter()
    figures["scale_year_count_peak_mb"] = _peak_mb(lambda: cells.refresh(BUDGET_YEAR))
    figures["scale_year_count_s"] = round(time.perf_counter() - start, 1)
    if os.environ.get("BENCH_SCALE_EXPORT", "1") != "0":
        admin = Client()  # every line of the year
        admin.force_login(User.objects.get(username="admin"))
        job = requested_job(admin, BUDGET_YEAR)
        start = time.perf_counter()
        figures["scale_lines_export_peak_mb"] = _peak_mb(
            lambda: write_lines_export.call(str(job.public_id))
        )
        figures["scale_lines_export_s"] = round(time.perf_counter() - start, 1)
        job.refresh_from_db()
        assert job.state == ExportState.DONE, job.error
        figures["scale_lines_exported"] = job.rows_total
        ExportJob.objects.filter(pk=job.pk).delete()
    return figures


@pytest.mark.django_db(transaction=True)  # committed as in production: see ``benchmarks.seeding``
def test_pages_at_province_scale(
    capsys: pytest.CaptureFixture[str], settings: Any, tmp_path: Path
) -> None:
    settings.PAGE_CACHE_SECONDS = 0
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    reviewer, director = Client(), Client()
    reviewer.force_login(User.objects.get(username="finance_reviewer"))
    director.force_login(User.objects.get(username="finance_director"))
    fill_to(SMALL, lines=LINES)
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
    fill_to(LARGE, lines=LINES)
    seeding = time.perf_counter() - start
    large = _measure_all(pages)
    figures: dict[str, Any] = {
        "scale_projects": Project.objects.count(),
        "scale_lines": EstimateLine.objects.count(),
        "scale_seed_s": round(seeding, 1),
    }
    figures.update(_memory(reviewer, pages["summary"][1], tmp_path))
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
    # The summary right after a write against the 1,000-project summary (target ≤ 1.5).
    figures["scale_summary_after_write_vs_small"] = round(
        large["summary_after_write"][0] / small["summary"][0], 2
    )
    with capsys.disabled():
        print("BENCH " + json.dumps(figures))
    assert all(small[name][1] == large[name][1] for name in large), figures
