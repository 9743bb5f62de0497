"""Two-factor authentication (TOTP, django-otp) for the accounts that see every unit.

Only with ENFORCE_2FA and only for reviewers and system admins; for anyone
else these pages do not exist (404). accounts.middleware.TwoFactorMiddleware
sends those users here until they have entered a code in this session.
"""

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.forms import OneTimeCodeForm
from accounts.models import User
from accounts.permissions import needs_two_factor


def _member_needing_two_factor(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not (settings.ENFORCE_2FA and needs_two_factor(user)):
        raise Http404
    return user


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = _member_needing_two_factor(request)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        # Adding a device takes a verified session, or a stolen password would do.
        return redirect("home" if user.is_verified() else "two_factor_verify")  # type: ignore[attr-defined]
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = OneTimeCodeForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        services.enable_two_factor(device, actor=user)
        otp_login(request, device)
        messages.success(request, _("Two-factor authentication is on."))
        return redirect("home")
    context = {
        "form": form,
        "qr_code": _qr_data_uri(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode(),
    }
    return render(request, "registration/two_factor_setup.html", context)


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = _member_needing_two_factor(request)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return redirect("two_factor_setup")
    form = OneTimeCodeForm(request.POST or None, device=device)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        otp_login(request, device)
        safe = url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return redirect(next_url if safe else "home")
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


def _qr_data_uri(data: str) -> str:
    # An <img> with alt text (the CSP allows data: images), not inline SVG markup.
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
