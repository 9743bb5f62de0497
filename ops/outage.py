"""When the database does not answer: a 503 page for users, one log line per kind for operators.

A database restart of ten seconds used to give every request the generic 500
page and the log a traceback each (about 2,400 under load). Now a request
that meets a connection error gets ``templates/503.html`` ("back in a
moment", in Chinese and English, reloading itself on a GET) with
``Retry-After``, and the log one warning per kind of failure per process and
minute, with how many requests it hid since.

Two ways in, one answer: ``DatabaseUnavailableMiddleware.process_exception``
for errors raised by a view (or while its template renders), and
``server_error``, the project's ``handler500``, for those raised in a
middleware (loading the session or the user comes first on most requests),
which Django turns into a response before any outer middleware sees them.
"""

import logging
import sys
import threading
import time
from collections.abc import Callable

import psycopg
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views import defaults

logger = logging.getLogger("ops.outage")

# Django's wrappers of the driver's errors, and the driver's own (a connection
# pool raises them outside Django's wrapper). OperationalError covers a server
# that is down, restarting, refusing ("too many clients") or that dropped the
# connection; InterfaceError a connection already closed under us.
DATABASE_UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
# What the page and the Retry-After header tell browsers and proxies to wait.
RETRY_AFTER_SECONDS = 10
# One warning per kind of failure per this many seconds (per process).
LOG_EVERY_SECONDS = 60.0

_lock = threading.Lock()
_last_logged: dict[str, float] = {}
_hidden: dict[str, int] = {}


def database_error_in(error: BaseException | None) -> BaseException | None:
    """The connection error that is ``error`` or that it was raised from or while
    handling, if any. (Django's session middleware, failing to save the session,
    raises SessionInterrupted, a 400, from the database's error.)"""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, DATABASE_UNAVAILABLE):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def is_database_unavailable(error: BaseException | None) -> bool:
    return database_error_in(error) is not None


def unavailable_response(request: HttpRequest, error: BaseException) -> HttpResponse:
    """The 503 page. Rendered without the request, so no context processor (the
    navigation, the user) asks the database for anything."""
    log_failure(database_error_in(error) or error)
    content = loader.render_to_string(
        "503.html",
        {
            "retry_after": RETRY_AFTER_SECONDS,
            # A GET is safe to repeat; a form is not sent twice behind the user's back.
            "reload": request.method in ("GET", "HEAD"),
        },
    )
    response = HttpResponse(content, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    # Django logs every 5xx response (with the traceback when it has one) unless
    # the response says it has been logged: the line above stands for them, and
    # the request log still has its line per request.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def log_failure(error: BaseException, now: Callable[[], float] = time.monotonic) -> None:
    """One warning for each kind of failure, then silence for LOG_EVERY_SECONDS."""
    kind = _kind(error)
    with _lock:
        moment = now()
        last = _last_logged.get(kind)
        if last is not None and moment - last < LOG_EVERY_SECONDS:
            _hidden[kind] = _hidden.get(kind, 0) + 1
            return
        hidden = _hidden.pop(kind, 0)
        _last_logged[kind] = moment
    logger.warning(
        "Database unavailable, answering 503: %s%s",
        kind,
        f" ({hidden} more since the last report)" if hidden else "",
    )


def _kind(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:200] if lines else ''}"


class DatabaseUnavailableMiddleware:
    """A view that meets a connection error answers the 503 page (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            return unavailable_response(request, exception)
        return None


def bad_request(
    request: HttpRequest, exception: Exception, template_name: str = "400.html"
) -> HttpResponse:
    """handler400: the 503 page when the session could not be saved for the database."""
    if is_database_unavailable(exception):
        return unavailable_response(request, exception)
    return defaults.bad_request(request, exception, template_name)


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """handler500: the 503 page for a connection error raised in a middleware, else the 500 page."""
    error = sys.exc_info()[1]
    if error is not None and is_database_unavailable(error):
        return unavailable_response(request, error)
    return defaults.server_error(request, template_name)
