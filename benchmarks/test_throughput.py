"""Benchmark: requests per second through gunicorn, 8 clients for 30 s each.

With the demo data and 10,000 synthetic projects (``seed_scale``), eight
logged-in finance reviewers (eight sessions) ask for the project list, then
a project's page, then ``/healthz`` (the ceiling: the same server, middleware
and session, almost no view). Targets: list ≥ 40 % and detail ≥ 60 % of the
ceiling's throughput, and no error responses.

The pages are measured as served, with the page cache (ops.page_cache),
and again with it off, which is what every page costs after a write.
"""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from benchmarks.http_load import Tally, run_clients, served, session_cookie, timed_get
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
    # As served (page cache on), then every page drawn afresh (the cost of a miss).
    for suffix, server_settings in (("", {}), ("_uncached", {"PAGE_CACHE_SECONDS": "0"})):
        measured = pages if not suffix else {k: v for k, v in pages.items() if k != "trivial"}
        with served(tmp_path / f"gunicorn{suffix}.log", server_settings) as port:
            for name, path in measured.items():
                figures.update(_load(port, path, sessions, f"throughput_{name}{suffix}"))
    ceiling = figures["throughput_trivial_rps"]
    for name in ("list", "detail", "list_uncached", "detail_uncached"):
        figures[f"throughput_{name}_share"] = round(figures[f"throughput_{name}_rps"] / ceiling, 2)
    with capsys.disabled():
        print("BENCH " + json.dumps(figures))


def _load(port: int, path: str, sessions: list[dict[str, str]], prefix: str) -> dict[str, float]:
    """CLIENTS clients, one per session, asking for ``path`` over and over for SECONDS."""
    for cookies in sessions:  # warm every worker's connection, and keep the CSRF cookie
        timed_get(port, path, cookies)(Tally())
    tally, elapsed = run_clients([timed_get(port, path, cookies) for cookies in sessions], SECONDS)
    assert set(tally.statuses) == {200}, f"{path}: {tally.statuses}"
    return {
        f"{prefix}_rps": round(len(tally.latencies) / elapsed, 1),
        f"{prefix}_p99_ms": tally.p99_ms(),
        f"{prefix}_errors": tally.errors,
    }
