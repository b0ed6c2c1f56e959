"""Holders of ``OTP_REQUIRED_ROLES`` reach nothing but the enrolment page (and signing out)
until their session is verified by an authenticator app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.two_factor import second_factor_required

# Views such a user may still open: the second factor's own pages, signing in and out, the
# language switch and the health check.
OPEN_VIEWS = frozenset(
    {
        "accounts:two_factor",
        "accounts:two_factor_remove",
        "accounts:login",
        "accounts:sign_in_code",
        "accounts:logout",
        "set_language",
        "healthz",
    }
)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_VIEWS:
            return None
        if getattr(user, "is_verified", lambda: False)() or not second_factor_required(user):
            return None
        message = _("Your role needs a second sign-in step: set up an authenticator app first.")
        if request.path.startswith("/api/"):
            return JsonResponse({"errors": {"non_field_errors": [message]}}, status=403)
        messages.warning(request, message)
        return redirect("accounts:two_factor")
