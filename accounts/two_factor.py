"""The second factor's pages: the code step of signing in, and setting up or removing an
authenticator app (TOTP, django-otp). The secret of an enrolment in progress stays in the
(server-side) session until a first code confirms it; only then is a device stored."""

from __future__ import annotations

import base64
from typing import Any, cast

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import user_login_failed
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from accounts import services
from accounts.forms import CodeForm
from accounts.models import User
from accounts.security import client_ip_address
from accounts.throttle import sign_in_wait
from accounts.views import PENDING_SIGN_IN_SESSION_KEY, delayed_response, sign_in_complete
from portal.web.forms import add_service_errors

# Session key of the secret (hex) of an enrolment waiting for its first code.
ENROLMENT_KEY_SESSION_KEY = "accounts.totp_enrolment_key"


def second_factor_required(user: Any) -> bool:
    """Whether ``user`` holds a role in ``OTP_REQUIRED_ROLES`` (their session must be verified)."""
    required = set(settings.OTP_REQUIRED_ROLES)
    return bool(required) and bool(required & cast(User, user).role_names)


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING_SIGN_IN_SESSION_KEY)
    if not isinstance(pending, dict):
        return None
    age = timezone.now().timestamp() - float(pending.get("since", 0))
    user = User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    if user is None or age > settings.SIGN_IN_OTP_PENDING_SECONDS:
        request.session.pop(PENDING_SIGN_IN_SESSION_KEY, None)
        return None
    return user, pending


@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """Second step of signing in: the password was right; now the app's current code."""
    found = _pending_user(request)
    if found is None:
        messages.error(request, _("Your sign-in expired. Please sign in again."))
        return redirect("accounts:login")
    user, pending = found
    template = "registration/sign_in_code.html"
    if request.method != "POST":
        return render(request, template, {"form": CodeForm()})

    form = CodeForm(request.POST)
    wait = sign_in_wait(username=user.get_username())
    if wait:
        return delayed_response(request, template, {"form": CodeForm()}, wait)
    if form.is_valid():
        try:
            device = services.totp_code_check(
                user=user, code=form.cleaned_data["code"], ip_address=client_ip_address(request)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session.pop(PENDING_SIGN_IN_SESSION_KEY, None)
            sign_in_complete(request, user, backend=pending["backend"], device=device)
            return redirect(pending.get("next") or settings.LOGIN_REDIRECT_URL)
    # A wrong code counts as a failed sign-in for django-axes (the pair's lock and the
    # account's delay), and a few of them send the person back to the password.
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    pending["tries"] = int(pending.get("tries", 0)) + 1
    if pending["tries"] >= settings.SIGN_IN_OTP_MAX_TRIES:
        request.session.pop(PENDING_SIGN_IN_SESSION_KEY, None)
        messages.error(request, _("Too many wrong codes. Please sign in again."))
        return redirect("accounts:login")
    request.session[PENDING_SIGN_IN_SESSION_KEY] = pending
    return render(request, template, {"form": form})


def qr_svg(uri: str) -> SafeString:
    """The provisioning URI as an inline SVG QR code, drawn on the server (no script, no
    third-party service ever sees the secret)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg = image.to_string(encoding="unicode")
    return mark_safe(svg)  # noqa: S308  (our own drawing of a URI we built; no user markup)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app (GET shows the QR code; POST confirms a first code), or,
    with one set up, the page to remove it."""
    user = cast(User, request.user)
    device = services.confirmed_totp_device(user)
    context: dict[str, Any] = {
        "device": device,
        "required": second_factor_required(user),
        "verified": bool(getattr(request.user, "is_verified", lambda: False)()),
    }
    if device is not None:
        context["form"] = CodeForm()
        return render(request, "registration/two_factor.html", context)

    key = request.session.get(ENROLMENT_KEY_SESSION_KEY) or default_key()
    request.session[ENROLMENT_KEY_SESSION_KEY] = key
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_device_confirm(
                actor=user,
                key=key,
                code=form.cleaned_data["code"],
                ip_address=client_ip_address(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session.pop(ENROLMENT_KEY_SESSION_KEY, None)
            otp_login(request, device)
            messages.success(
                request, _("Your authenticator app is set up: sign-in will ask for its code.")
            )
            return redirect("accounts:two_factor")
    unsaved = TOTPDevice(user=user, key=key)
    secret = base64.b32encode(unsaved.bin_key).decode()
    context.update({"form": form, "qr_svg": qr_svg(unsaved.config_url), "secret": _grouped(secret)})
    return render(request, "registration/two_factor.html", context)


@login_required
@require_POST
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            services.totp_device_remove(
                actor=user, code=form.cleaned_data["code"], ip_address=client_ip_address(request)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            messages.success(request, _("Your authenticator app has been removed."))
            return redirect("accounts:two_factor")
    context = {
        "device": services.confirmed_totp_device(user),
        "required": second_factor_required(user),
        "verified": True,
        "form": form,
    }
    return render(request, "registration/two_factor.html", context)
