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
