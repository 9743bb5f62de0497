"""Benchmark: requests per second through gunicorn, 8 clients for 30 s each.

With the demo data and 10,000 synthetic projects (``seed_scale``), eight
logged-in finance reviewers (eight sessions) ask for the project list, then
a project's page, then ``/healthz`` (the ceiling: the same server, middleware
and session, almost no view). Targets: list ≥ 40 % and detail ≥ 60 % of the
ceiling's throughput, and no error responses.
"""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from benchmarks.http_load import run_clients, served, session_cookie, timed_get
from projects.models import Project
from projects.permissions import projects_visible_to
from projects.scale import seed_scale

CLIENTS = 8
SECONDS = 30.0


@pytest.mark.django_db(transaction=True)
def test_throughput_of_list_and_detail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    seed_scale(10_000 - Project.objects.count())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    reviewer = User.objects.get(username="finance_reviewer")
    detail = (
        projects_visible_to(reviewer)
        .filter(lines__isnull=False)
        .order_by("code")
        .distinct()
        .first()
    )
    assert detail is not None
    sessions = [session_cookie("finance_reviewer") for _ in range(CLIENTS)]
    pages = {
        "trivial": "/healthz",
        "list": "/projects/",
        "detail": f"/projects/{detail.code}/",
    }
    figures: dict[str, float | int] = {}
    with served(tmp_path / "gunicorn.log") as port:
        for name, path in pages.items():
            for cookies in sessions:  # warm every worker's connection and caches
                timed_get(port, path, cookies)
            tally, elapsed = run_clients(
                [timed_get(port, path, cookies) for cookies in sessions], SECONDS
            )
            figures[f"throughput_{name}_rps"] = round(len(tally.latencies) / elapsed, 1)
            figures[f"throughput_{name}_p99_ms"] = tally.p99_ms()
            figures[f"throughput_{name}_errors"] = tally.errors
            assert set(tally.statuses) == {200}, f"{path}: {tally.statuses}"
    ceiling = figures["throughput_trivial_rps"]
    figures["throughput_list_share"] = round(figures["throughput_list_rps"] / ceiling, 2)
    figures["throughput_detail_share"] = round(figures["throughput_detail_rps"] / ceiling, 2)
    with capsys.disabled():
        print("BENCH " + json.dumps(figures))
