"""Login throttling with django-axes: who the client is, and what a locked-out person sees.

Attempts are counted per username *and* client address, so guessing at a
reviewer's password from one address does not lock the reviewer out from
their own desk, and every lock ends after the cool-off (ASVS 6.3.1).
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str:
    """The client's address: nginx's view of it when BEHIND_PROXY, else the socket's peer.

    nginx appends the address it saw to X-Forwarded-For, so the last entry is
    the one no client can forge; earlier entries are whatever the client sent.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return str(request.META.get("REMOTE_ADDR", ""))


# The length of django-axes's username columns (AccessAttempt, AccessLog, AccessFailureLog).
AXES_USERNAME_LENGTH = 255


def client_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The username django-axes counts and stores a failure under: as typed, cut to its
    column's length (a longer one was a server error). Our login forms refuse such a
    username before any lookup; this keeps any other caller of ``authenticate`` safe."""
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"))
    if username is None:
        return None
    return str(username)[:AXES_USERNAME_LENGTH]


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The page django-axes shows instead of the login form while a lock lasts (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
