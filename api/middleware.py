"""Log each call of a known API client: endpoint, status, milliseconds."""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

from api.services import record_call


class ApiCallLogMiddleware:
    """For a request that named a valid key (``api.auth.ApiKey`` marks it), after the
    answer: ``Cache-Control: private, no-store`` and one ``ApiCall`` row. The endpoint
    is the URL's route (``api/v1/projects/<code>/``), so the log groups calls without
    holding codes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        client_id = getattr(request, "api_client_id", None)
        if client_id is not None:
            # A client's answer holds its scope's data: no proxy or disk may keep it.
            patch_cache_control(response, private=True, no_store=True)
            match = request.resolver_match
            record_call(
                client_id,
                method=request.method or "",
                endpoint=match.route if match else request.path,
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000),
            )
        return response
