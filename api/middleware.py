"""Log each call of a known API client: endpoint, status, milliseconds."""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from api.services import record_call


class ApiCallLogMiddleware:
    """After the answer, one ``ApiCall`` row for a request that named a valid key
    (``api.auth.ApiKey`` marks the request). The endpoint is the URL's route
    (``api/v1/projects/{code}/``), so the log groups calls without holding codes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        client_id = getattr(request, "api_client_id", None)
        if client_id is not None:
            match = request.resolver_match
            record_call(
                client_id,
                method=request.method or "",
                endpoint=match.route if match else request.path,
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000),
            )
        return response
