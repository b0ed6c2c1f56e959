"""Project-level pages: the signed-in home and the error pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.http import require_http_methods

from accounts.models import User
from accounts.roles import role_labels
from accounts.views import PREVIOUS_SIGN_IN_SESSION_KEY
from audit.log import audit_record
from portal.navigation import navigation_for


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


# Refused writes are audited; refused reads are not (every page's links would flood the chain).
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def audit_access_denied(user: Any, method: str, path: str) -> None:
    """Audit a signed-in person's refused write: method and path only (no query string,
    which could carry what they typed; paths hold ids, never personal data)."""
    if method.upper() not in WRITE_METHODS or not getattr(user, "is_authenticated", False):
        return
    audit_record(
        actor=user,
        action="access.denied",
        target=None,
        data={"method": method.upper(), "path": path[:300], "status": 403},
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    audit_access_denied(getattr(request, "user", None), request.method or "", request.path)
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No RequestContext: the template needs no session, user or database, so this page
    # still renders when the failure is the database itself.
    return HttpResponseServerError(loader.get_template("errors/500.html").render())


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "errors/403_csrf.html", status=403)
