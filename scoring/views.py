"""Scoring pages: HTTP only. Reads go through scoring.selectors, writes through services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from scoring import selectors, services
from scoring.forms import CustomerSearchForm, UnusableLinesFilterForm
from scoring.models import REASON_DESCRIPTIONS, ReasonCode


@require_GET
@login_required
@permission_required("scoring.view_creditline", raise_exception=True)
def unusable_lines(request: HttpRequest) -> HttpResponse:
    """Credit lines shown but unusable, filtered, newest first, keyset-paginated."""
    form = UnusableLinesFilterForm(request.GET)
    page = selectors.unusable_lines_page(**form.filters()) if form.is_valid() else None
    return render(
        request,
        "scoring/unusable_lines.html",
        {
            "form": form,
            "page": page,
            "reason_help": [(code, REASON_DESCRIPTIONS[code]) for code in ReasonCode],
        },
    )


# The search is a POST with a CSRF token, not a GET: a mobile or ID number in a query
# string would be written to access logs (ours, proxies', load balancers'), kept in browser
# history and sent on in Referer headers. The term is never echoed back unmasked, and the
# response is marked uncacheable.
@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@permission_required("scoring.view_customer", raise_exception=True)
def customer_search(request: HttpRequest) -> HttpResponse:
    result = None
    form = CustomerSearchForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            result = services.customer_search(
                actor=request.user,  # type: ignore[arg-type]
                term=form.cleaned_data["term"],
            )
        except ValidationError as exc:
            form.add_error("term", exc)
    return render(request, "scoring/customer_search.html", {"form": form, "result": result})
