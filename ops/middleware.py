"""One log line per request, for operators."""

import logging
import time
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseBase
from django.utils.encoding import escape_uri_path

request_log = logging.getLogger("ops.requests")


class RequestLogMiddleware:
    """Write one line per request: method, path, status, username (or ``-``), duration.

    First in MIDDLEWARE, so the duration covers every other middleware and the
    line is written even when a later middleware answers by itself. The path
    is escaped (no query string, no raw control characters), so a crafted URL
    cannot forge extra log lines.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        request_log.info(
            "%s %s %s %s %.0fms",
            request.method,
            escape_uri_path(request.path),
            response.status_code,
            _username(request),
            elapsed_ms,
        )
        return response


def _username(request: HttpRequest) -> str:
    user = getattr(request, "user", None)  # absent when whitenoise answered first
    if user is None:
        return "-"
    try:
        return user.get_username() or "-"
    except DatabaseError:
        # The session or user could not be loaded (e.g. /healthz during an outage).
        return "-"


class PrivatePagesMiddleware:
    """``Cache-Control: private, no-store`` on every answer to a logged-in user, unless
    the view set its own (Django admin's ``never_cache``, say).

    Every page behind the login shows one user's scope (projects, reviews, reports,
    exports, downloads): no shared cache nor the browser's disk may keep it. After the
    authentication middleware, so it knows the user; static files never reach it
    (whitenoise answers first, with its own long-lived caching), and the page cache
    (``ops.page_cache``) keeps pages on the server, whatever this header says.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and _logged_in(request):
            response["Cache-Control"] = "private, no-store"
        return response


def _logged_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is None:
        return False
    try:
        return bool(user.is_authenticated)
    except DatabaseError:
        # The session could not be read: it may be a logged-in user's answer.
        return True
