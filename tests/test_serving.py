import logging
import os
import re
import subprocess
import time
from http.client import HTTPConnection, HTTPMessage
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from config.gunicorn_conf import worker_count
from reports.tests.report_fixtures import report_world
from tests.helpers import (
    BASE_DIR,
    PRODUCTION,
    clean_environment,
    free_port,
    gunicorn_command,
    run_python,
)

__all__ = ["report_world"]


def test_gunicorn_workers_follow_the_core_count() -> None:
    assert worker_count({}) == 2 * (os.cpu_count() or 1) + 1


def test_web_concurrency_overrides_the_worker_count() -> None:
    assert worker_count({"WEB_CONCURRENCY": "3"}) == 3
    assert worker_count({"WEB_CONCURRENCY": " "}) == 2 * (os.cpu_count() or 1) + 1


def _storages_with(**overrides: str) -> str:
    code = "from config import settings; print(settings.STORAGES['staticfiles']['BACKEND'])"
    result = run_python({"SECRET_KEY": "x" * 50, **overrides}, "-c", code)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_serves_hashed_compressed_static_files() -> None:
    assert _storages_with(DEBUG="false").endswith("CompressedManifestStaticFilesStorage")


def test_static_storage_is_an_explicit_switch_not_debug() -> None:
    assert _storages_with(DEBUG="false", STATIC_MANIFEST="false").endswith(
        "storage.StaticFilesStorage"
    )


@pytest.mark.django_db
def test_one_log_line_per_request_with_user_and_duration(
    client: Client, submitter: User, caplog: pytest.LogCaptureFixture
) -> None:
    client.force_login(submitter)
    with caplog.at_level(logging.INFO, logger="ops.requests"):
        client.get(reverse("home"))
    [record] = [r for r in caplog.records if r.name == "ops.requests"]
    method, path, status, username, duration = record.getMessage().split(" ")
    assert (method, path, status, username) == ("GET", "/", "200", "edu_clerk")
    assert duration.endswith("ms")
    assert int(duration.removesuffix("ms")) >= 0


@pytest.mark.django_db
def test_anonymous_requests_log_a_dash_and_crafted_paths_stay_on_one_line(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ops.requests"):
        client.get("/no-such-page%0AGET%20/%20200%20admin%201ms")
    [record] = [r for r in caplog.records if r.name == "ops.requests"]
    message = record.getMessage()
    assert "\n" not in message
    assert message.startswith("GET /no-such-page%0AGET%20/%20200%20admin%201ms 404 - ")


def test_redis_url_moves_the_cache_and_sessions_to_redis() -> None:
    code = (
        "from config import settings as s; "
        "print(s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'], s.SESSION_ENGINE)"
    )
    result = run_python(
        {"SECRET_KEY": "x" * 50, "REDIS_URL": "redis://cache.internal:6379/0"}, "-c", code
    )
    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache.internal:6379/0",
        "django.contrib.sessions.backends.cached_db",
    ], result.stderr


def _get(port: int, path: str) -> tuple[int, HTTPMessage, str]:
    connection = HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def test_gunicorn_serves_production_settings_with_hashed_static_files(tmp_path: Path) -> None:
    """What `make serve` runs: collectstatic, then gunicorn with our config."""
    env = {
        **PRODUCTION,
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(tmp_path / "static"),
        "WEB_CONCURRENCY": "1",
    }
    collected = run_python(env, "manage.py", "collectstatic", "--noinput", "--verbosity", "0")
    assert collected.returncode == 0, collected.stderr
    port = free_port()
    server = subprocess.Popen(
        gunicorn_command(port),
        cwd=BASE_DIR,
        env=clean_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, headers, page = _get(port, "/accounts/login/")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        assert status == 200
        assert "object-src 'none'" in headers["Content-Security-Policy"]
        assert any(c.startswith("__Host-csrftoken=") for c in headers.get_all("Set-Cookie", []))
        stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet, "the page does not link the hashed stylesheet"
        status, headers, _css = _get(port, stylesheet[1])
        assert status == 200
        assert "immutable" in headers["Cache-Control"]
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert re.search(r"ops\.requests GET /accounts/login/ 200 - \d+ms", output), output
