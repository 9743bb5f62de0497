"""Database connections stay bounded: the dev server's thread per request shares a
pool (make run), gunicorn's sync workers keep one each (make serve, production)."""

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from typing import Any

import psycopg
import pytest

from benchmarks.http_load import database_url
from tests.helpers import BASE_DIR, clean_environment, free_port, run_python

SETTINGS = (
    "from config import settings; import json; print(json.dumps(settings.DATABASES['default']))"
)


def _database_settings(**environment: str) -> dict[str, Any]:
    result = run_python(
        {
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgresql://db.internal/budgeting",
            **environment,
        },
        "-c",
        SETTINGS,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_the_dev_server_shares_a_bounded_pool() -> None:
    database = _database_settings(DEBUG="true")
    assert database["OPTIONS"]["pool"] == {"min_size": 0, "max_size": 10, "timeout": 10}
    assert database["CONN_MAX_AGE"] == 0  # the pool keeps them; Django refuses both


def test_production_keeps_one_connection_per_worker_without_a_pool() -> None:
    database = _database_settings(DEBUG="false")
    assert "pool" not in database["OPTIONS"]
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_the_pool_size_is_a_setting() -> None:
    threaded = _database_settings(DEBUG="false", DATABASE_POOL_SIZE="4")
    assert threaded["OPTIONS"]["pool"]["max_size"] == 4
    assert "pool" not in _database_settings(DEBUG="true", DATABASE_POOL_SIZE="0")["OPTIONS"]


@contextlib.contextmanager
def _dev_server(url: str) -> Iterator[int]:
    """`manage.py runserver` as `make run` starts it (DEBUG on), on a free port."""
    port = free_port()
    env = {"DEBUG": "true", "DATABASE_URL": url, "DATABASE_POOL_SIZE": "3"}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=BASE_DIR,
        env=clean_environment(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                connection = HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            assert time.monotonic() < deadline, "the dev server did not start"
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _connections(observer: psycopg.Connection[Any], name: str) -> int:
    row = observer.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [name]
    ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.django_db(transaction=True)
def test_many_requests_at_once_under_the_dev_server_hold_few_connections() -> None:
    """Twelve requests at once, each held on a lock while it has its connection: the
    dev server holds three (the pool), not twelve, and keeps no more afterwards."""
    name = f"pool-test-{free_port()}"
    url = database_url()
    url += f"{'' if url.endswith('?') else '&'}application_name={name}"
    with (
        _dev_server(url) as port,
        psycopg.connect(database_url(), autocommit=True) as observer,
        psycopg.connect(database_url()) as locker,
    ):
        statuses: list[int] = []

        def ask() -> None:
            connection = HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("GET", "/", headers={"Cookie": "sessionid=waits-for-the-lock"})
            statuses.append(connection.getresponse().status)

        # Every request reads its session first: it waits, holding its connection.
        locker.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
        requests = [threading.Thread(target=ask) for _ in range(12)]
        for request in requests:
            request.start()
        peak = 0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            peak = max(peak, _connections(observer, name))
            time.sleep(0.05)
        locker.rollback()
        for request in requests:
            request.join(timeout=60)
        assert sorted(set(statuses)) == [302] and len(statuses) == 12  # to the login page
        assert peak == 3
        assert _connections(observer, name) <= 3
