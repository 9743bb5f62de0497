"""Session limits and two-factor enforcement, after authentication."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import needs_two_factor

LOGIN_AT_SESSION_KEY = "_budgeting_login_at"


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
