"""The database restarts: users get a page saying it is back in a moment (503 with
Retry-After), operators one log line per kind of failure instead of a traceback per
request."""

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client

from accounts.models import User
from ops import outage

pytestmark = pytest.mark.urls("ops.tests.outage_urls")


@pytest.fixture(autouse=True)
def _nothing_logged_yet() -> Iterator[None]:
    outage._last_logged.clear()
    outage._hidden.clear()
    yield
    outage._last_logged.clear()
    outage._hidden.clear()


def _database_down(*args: Any) -> None:
    raise OperationalError("terminating connection due to administrator command")


def _outage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ops.outage"]


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def _is_the_503_page(response: Any) -> str:
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "服务暂时不可用" in html
    assert "Service temporarily unavailable" in html
    return html


def test_a_view_that_loses_the_database_answers_503_and_logs_one_line(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    responses = [client.get("/unreachable/refused/") for _ in range(20)]
    html = _is_the_503_page(responses[0])
    assert {response.status_code for response in responses} == {503}
    assert '<meta http-equiv="refresh" content="10">' in html  # a GET tries again by itself
    assert _outage_lines(caplog) == [
        "Database unavailable, answering 503: OperationalError: connection failed: "
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
    ]
    assert _tracebacks(caplog) == []


def test_each_kind_of_failure_is_logged_once(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    for kind in ("refused", "too-many", "closed", "too-many", "closed", "refused"):
        _is_the_503_page(client.get(f"/unreachable/{kind}/"))
    lines = _outage_lines(caplog)
    assert len(lines) == 3
    assert "OperationalError: sorry, too many clients already" in lines[1]
    assert "InterfaceError: connection already closed" in lines[2]


def test_a_form_sent_during_the_outage_is_not_sent_again_by_itself(client: Client) -> None:
    html = _is_the_503_page(client.post("/unreachable/refused/"))
    assert "http-equiv" not in html
    assert "may not have been saved" in html


def test_a_logged_in_user_gets_the_page_when_no_query_works(
    submitter: User, caplog: pytest.LogCaptureFixture
) -> None:
    """The session and the user are loaded by middlewares, before any view: Django's
    handler500 gets those errors. The page is drawn without a single query."""
    client = Client(raise_request_exception=False)
    client.force_login(submitter)
    with connection.execute_wrapper(_database_down):
        responses = [client.get(url) for url in ("/", "/projects/", "/reports/summary/")]
    for response in responses:
        _is_the_503_page(response)
    assert _outage_lines(caplog) == [
        "Database unavailable, answering 503: "
        "OperationalError: terminating connection due to administrator command"
    ]
    assert _tracebacks(caplog) == []


def test_a_session_that_cannot_be_saved_for_the_database_is_the_503_page_not_a_400(
    submitter: User, caplog: pytest.LogCaptureFixture
) -> None:
    """The server goes away between the view and the session's save: Django says 400
    ("the session was deleted"), which would send the user to a page of its own."""

    def down_when_saving_the_session(execute: Any, sql: str, *args: Any) -> Any:
        if sql.startswith('UPDATE "django_session"'):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, *args)

    client = Client(raise_request_exception=False)
    client.force_login(submitter)
    with connection.execute_wrapper(down_when_saving_the_session):
        _is_the_503_page(client.get("/"))
    assert _outage_lines(caplog) == [
        "Database unavailable, answering 503: "
        "OperationalError: server closed the connection unexpectedly"
    ]
    assert Client().get("/accounts/login/", {"next": "/"}).status_code == 200


def test_any_other_error_is_still_the_500_page_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = Client(raise_request_exception=False).get("/unreachable/a-bug/")
    assert response.status_code == 500
    assert "Server error" in response.content.decode()
    assert [r.exc_info[0] for r in _tracebacks(caplog) if r.exc_info] == [ZeroDivisionError]
    assert _outage_lines(caplog) == []


def test_a_long_outage_is_reported_again_each_minute_with_what_it_hid(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = iter([0.0, 1.0, 30.0, 59.0, 61.0, 62.0])
    now: Callable[[], float] = lambda: next(clock)  # noqa: E731
    error = OperationalError("the database system is starting up")
    for _moment in range(6):
        outage.log_failure(error, now=now)
    assert _outage_lines(caplog) == [
        "Database unavailable, answering 503: OperationalError: the database system is starting up",
        "Database unavailable, answering 503: "
        "OperationalError: the database system is starting up (3 more since the last report)",
    ]
