import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _

from accounts.permissions import needs_two_factor

request_log = logging.getLogger("budgeting.requests")
LOGIN_AT_SESSION_KEY = "_budgeting_login_at"


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Use the language the user chose (the language cookie), else Simplified Chinese.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an
    English-configured browser in a provincial office would get English
    without asking. Chinese is the working language; English is a choice.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


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


class AbsoluteSessionLifetimeMiddleware:
    """End a session SESSION_ABSOLUTE_SECONDS (12 hours) after login, however active it is.

    The idle limit (SESSION_COOKIE_AGE renewed on every request) alone would let
    a busy or stolen session live for ever (ASVS 7.3.2). The login time is
    stored at login (``remember_login_time``); a session from before this
    middleware gets the time of its first request. After AuthenticationMiddleware
    and MessageMiddleware, so the login page can say why the user is there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            logged_in_at = request.session.setdefault(LOGIN_AT_SESSION_KEY, now)
            if now - logged_in_at > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(
                    request, _("Your session has reached its time limit. Please log in again.")
                )
        return self.get_response(request)


def remember_login_time(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    """user_logged_in receiver: start the absolute session clock at every login."""
    request.session[LOGIN_AT_SESSION_KEY] = timezone.now().timestamp()


class TwoFactorMiddleware:
    """With ENFORCE_2FA, reviewers and system admins enter a TOTP code before anything else.

    Until the session is verified (django-otp's OTPMiddleware, earlier in the
    list, says so), every view but the two-factor pages, logout and the
    language switch redirects to the code page, which sends a user without a
    device on to set one up. Nobody else is affected.
    """

    OPEN_VIEWS = frozenset(
        {"two_factor_setup", "two_factor_verify", "logout", "set_language", "healthz"}
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if not settings.ENFORCE_2FA or not needs_two_factor(request.user):
            return None
        if request.user.is_verified():  # type: ignore[union-attr]
            return None
        match = request.resolver_match
        if match is not None and match.view_name in self.OPEN_VIEWS:
            return None
        return redirect_to_login(request.get_full_path(), reverse("two_factor_verify"))
