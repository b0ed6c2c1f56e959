"""The officers' triage page: unmatched feedback, oldest first, linked to a customer or
closed. HTTP only (``intake.triage.selectors``, ``intake.triage.services``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from intake.permissions import can_triage_feedback
from intake.triage import selectors, services
from intake.triage.forms import TriageCloseForm, TriageLinkForm
from portal.web.permissions import rule_required


@never_cache
@require_http_methods(["GET"])
@login_required
@rule_required(can_triage_feedback)
def triage(request: HttpRequest) -> HttpResponse:
    """Unmatched feedback, oldest first: link each to a customer or close it."""
    page = selectors.triage_page(after=request.GET.get("after", ""))
    context = {
        "rows": page.rows,
        "next_after": page.next_after,
        "link_form": TriageLinkForm(),
        "close_form": TriageCloseForm(),
    }
    return render(request, "intake/triage.html", context)


def _errors_to_messages(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    texts = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    for text in texts or [_("You may not do this.")]:
        messages.error(request, text)


@require_POST
@login_required
@rule_required(can_triage_feedback)
def triage_link(request: HttpRequest, pk: int) -> HttpResponse:
    form = TriageLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the customer number to link this feedback to."))
        return redirect("intake:triage")
    customer_id = selectors.customer_id_for(form.cleaned_data["customer"])
    if customer_id is None:
        messages.error(request, _("No customer has this customer number."))
        return redirect("intake:triage")
    try:
        linked = services.feedback_triage_link(
            actor=request.user,  # type: ignore[arg-type]
            feedback_id=pk,
            customer_id=customer_id,
        )
    except (ValidationError, PermissionDenied) as exc:
        _errors_to_messages(request, exc)
        return redirect("intake:triage")
    messages.success(
        request,
        _("Feedback %(reference)s is linked to case #%(case)d.")
        % {"reference": linked.reference, "case": linked.case_id},
    )
    return redirect("intake:triage")


@require_POST
@login_required
@rule_required(can_triage_feedback)
def triage_close(request: HttpRequest, pk: int) -> HttpResponse:
    form = TriageCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a reason for closing from the list."))
        return redirect("intake:triage")
    try:
        closed = services.feedback_triage_close(
            actor=request.user,  # type: ignore[arg-type]
            feedback_id=pk,
            reason=form.cleaned_data["reason"],
        )
    except (ValidationError, PermissionDenied) as exc:
        _errors_to_messages(request, exc)
        return redirect("intake:triage")
    messages.success(
        request, _("Feedback %(reference)s is closed.") % {"reference": closed.reference}
    )
    return redirect("intake:triage")
