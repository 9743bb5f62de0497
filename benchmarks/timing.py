"""Timing a page as the benchmarks do: server time through Django's test client."""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def measure(client: Client, url: str, repeats: int) -> tuple[float, int]:
    """The median time of ``repeats`` GETs of ``url`` (after one to warm the caches),
    each answered 200, and the number of queries one GET costs."""
    client.get(url)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), len(queries.captured_queries)
