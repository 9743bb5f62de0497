"""Benchmark: the project list with 100 and with 10,000 projects.

Run by ``make bench`` (not part of ``make test``): prints one JSON object with
the server time per request at both sizes, their ratio (target ≤ 1.5) and the
query counts (which must be equal).
"""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from accounts.models import User
from benchmarks.pages import measure
from projects.models import Project
from projects.scale import seed_scale


@pytest.mark.django_db
def test_project_list_scales(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    client = Client()
    client.force_login(User.objects.get(username="finance_reviewer"))
    url = "/projects/"
    seed_scale(100 - Project.objects.count())
    small_time, small_queries = measure(client, url)
    seed_scale(10_000 - Project.objects.count())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    large_time, large_queries = measure(client, url)
    figures = {
        "project_list_ms_100": round(small_time * 1000, 1),
        "project_list_ms_10000": round(large_time * 1000, 1),
        "project_list_ratio": round(large_time / small_time, 2),
        "project_list_queries_100": small_queries,
        "project_list_queries_10000": large_queries,
    }
    with capsys.disabled():
        print("BENCH " + json.dumps(figures))
    assert small_queries == large_queries
