"""Project-level pages: the error pages (the signed-in home is ``accounts.views.home``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from portal.registries import access_denied


def audit_access_denied(user: Any, method: str, path: str) -> None:
    """Tell whoever listens (the audit log, ``portal.registries.on_access_denied``) of a
    refused request: method and path only."""
    access_denied(user, method, path)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    audit_access_denied(getattr(request, "user", None), request.method or "", request.path)
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # An unknown (or retired) API path answers in the API's error shape, not a page.
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": {"non_field_errors": [_("Not found.")]}}, status=404)
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No RequestContext: the template needs no session, user or database, so this page
    # still renders when the failure is the database itself.
    return HttpResponseServerError(loader.get_template("errors/500.html").render())


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "errors/403_csrf.html", status=403)
