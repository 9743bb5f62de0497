"""Timing a page through Django's test client, for the page benchmarks."""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def measure(client: Client, url: str, repeats: int = 15) -> tuple[float, int]:
    """The median server time of ``repeats`` requests after a warm-up, and the queries
    of one more."""
    client.get(url)  # warm caches
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), len(queries.captured_queries)
