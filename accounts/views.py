"""Sign-in and sign-out. django-axes (middleware and backend) counts failures and locks out."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import SignInForm
from accounts.models import User
from accounts.roles import role_labels
from accounts.security import clear_failed_sign_ins, client_ip_address
from portal.navigation import navigation_for

# Session key holding the time of the sign-in before this one (ISO 8601, UTC), for the home page.
PREVIOUS_SIGN_IN_SESSION_KEY = "accounts.previous_sign_in"


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        previous = user.last_login
        response = super().form_valid(form)  # rotates the session and stamps last_login
        clear_failed_sign_ins(user.get_username())
        self.request.session[PREVIOUS_SIGN_IN_SESSION_KEY] = (
            previous.isoformat() if previous else None
        )
        services.session_signed_in(actor=user, ip_address=client_ip_address(self.request))
        return response

    def form_invalid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        username = form.data.get("username", "").strip()
        if username and form.data.get("password"):  # an attempt, not an empty submit
            services.sign_in_failed(username=username, ip_address=client_ip_address(self.request))
        return super().form_invalid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = settings.AXES_FAILURE_LIMIT
        context["cooloff_minutes"] = cooloff_minutes()
        return context


class SignOutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET with 405): a link cannot sign anyone out."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            services.session_signed_out(actor=request.user, ip_address=client_ip_address(request))
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You have signed out."))
        return response


def cooloff_minutes() -> int:
    """``AXES_COOLOFF_TIME`` (hours as a number, or a timedelta) in whole minutes."""
    cooloff = settings.AXES_COOLOFF_TIME
    if cooloff is None:
        return 0
    if hasattr(cooloff, "total_seconds"):
        return round(cooloff.total_seconds() / 60)
    return round(float(cooloff) * 60)


@login_required
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required
    previous = request.session.get(PREVIOUS_SIGN_IN_SESSION_KEY)
    sections = [link for link in navigation_for(user, request.path) if link.key != "home"]
    return render(
        request,
        "home.html",
        {
            "display_name": user.get_full_name() or user.get_username(),
            "roles": role_labels(user.role_names),
            "signed_in_at": user.last_login,
            "previous_sign_in": datetime.fromisoformat(previous) if previous else None,
            "first_sign_in": PREVIOUS_SIGN_IN_SESSION_KEY in request.session and not previous,
            "sections": sections,
        },
    )
