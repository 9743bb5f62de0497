"""The site's URLs plus views that meet a database that does not answer."""

import psycopg
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler500
from config.urls import urlpatterns as site_urls

__all__ = ["handler400", "handler500", "urlpatterns"]

ERRORS: dict[str, Exception] = {
    "refused": OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
        "Connection refused\n\tIs the server running on that host?"
    ),
    "too-many": psycopg.OperationalError("sorry, too many clients already"),
    "closed": InterfaceError("connection already closed"),
    "a-bug": ZeroDivisionError("division by zero"),
}


def unreachable(request: HttpRequest, kind: str) -> HttpResponse:
    raise ERRORS[kind]


urlpatterns = [path("unreachable/<str:kind>/", unreachable), *site_urls]
