"""Sign-in and sign-out. django-axes (middleware and backend) counts failures and locks out
the pair of account and address; ``accounts.throttle`` adds the per-account delay; accounts
with an authenticator app give a code as a second step (``accounts.two_factor``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.forms import SignInForm
from accounts.models import User
from accounts.roles import role_labels
from accounts.security import (
    clear_failed_sign_ins,
    client_ip_address,
    stored_username,
    typed_username,
)
from accounts.throttle import sign_in_wait
from portal.navigation import navigation_for

# Session key holding the time of the sign-in before this one (ISO 8601, UTC), for the home page.
PREVIOUS_SIGN_IN_SESSION_KEY = "accounts.previous_sign_in"
# Session key of a sign-in whose password was right and whose code is still to come.
PENDING_SIGN_IN_SESSION_KEY = "accounts.pending_sign_in"


def sign_in_complete(
    request: HttpRequest, user: User, *, backend: str, device: TOTPDevice | None = None
) -> None:
    """Sign ``user`` in (rotating the session), verified by ``device`` when given; forget the
    account's failed attempts; remember the previous sign-in; audit it."""
    previous = user.last_login
    auth_login(request, user, backend=backend)  # rotates the session, stamps last_login
    if device is not None:
        otp_login(request, device)
    clear_failed_sign_ins(user.get_username())
    request.session[PREVIOUS_SIGN_IN_SESSION_KEY] = previous.isoformat() if previous else None
    services.session_signed_in(
        actor=user, ip_address=client_ip_address(request), second_factor=device is not None
    )


def delayed_response(
    request: HttpRequest, template: str, context: dict[str, Any], wait: int
) -> HttpResponse:
    """The page again, refusing the attempt unchecked until the per-account delay passes."""
    response = render(request, template, {**context, "wait_seconds": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        typed = typed_username(request.POST.get("username"))
        wait = sign_in_wait(username=stored_username(typed)) if typed else 0
        if wait:
            services.sign_in_delayed(
                username=typed, ip_address=client_ip_address(request), wait_seconds=wait
            )
            form = SignInForm(request, initial={"username": typed})
            return delayed_response(
                request, self.template_name, self.get_context_data(form=form), wait
            )
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        user = cast(User, form.get_user())
        backend = getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1])
        if services.confirmed_totp_device(user) is not None:
            self.request.session[PENDING_SIGN_IN_SESSION_KEY] = {
                "user": user.pk,
                "backend": backend,
                "since": timezone.now().timestamp(),
                "tries": 0,
                "next": self.get_success_url(),
            }
            return redirect("accounts:sign_in_code")
        sign_in_complete(self.request, user, backend=backend)
        return HttpResponseRedirect(self.get_success_url())

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
