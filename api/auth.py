"""``Authorization: Bearer <key>``: which client calls, and whether it may call now.

The rate limit is a fixed window per client and minute, counted in Django's cache
(Redis in production with several app servers, so they share the count; each
process's memory otherwise, so the limit is per process there).
"""

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer

from api import keys, scopes
from api.models import ApiClient

WINDOW_SECONDS = 60


class RateLimitedError(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


class ApiKey(HttpBearer):
    """The client whose key this is, if it is active; None answers 401. Then the
    client's grants: ``ScopeMissingError`` (403) when it lacks one the endpoint needs.
    Each endpoint has its own instance, made by ``api.endpoints.needs``."""

    def __init__(self, needed: scopes.Needed) -> None:
        super().__init__()
        self.needed = needed

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        prefix = keys.prefix_of(token)
        if prefix is None:
            return None
        client = ApiClient.objects.filter(key_prefix=prefix, is_active=True).first()
        if client is None or not keys.matches(token, client.key_hash):
            return None
        # For the call log (api.middleware), which runs after the answer.
        request.api_client_id = client.pk  # type: ignore[attr-defined]
        check_rate(client)
        scopes.check(client.scopes, self.needed(request))
        return client


def check_rate(client: ApiClient) -> None:
    """Count this call in the client's current minute; raise ``RateLimitedError`` past
    ``API_RATE_LIMIT_PER_MINUTE``, saying how many seconds until the next window."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"api-rate:{client.pk}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    if count > settings.API_RATE_LIMIT_PER_MINUTE:
        raise RateLimitedError(retry_after=int((window + 1) * WINDOW_SECONDS - now) + 1)


def client_of(request: HttpRequest) -> ApiClient:
    """The authenticated client of an endpoint's request."""
    auth: Any = request.auth  # type: ignore[attr-defined]
    assert isinstance(auth, ApiClient)
    return auth
