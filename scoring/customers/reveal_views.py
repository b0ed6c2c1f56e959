"""The reveal form on the case page and the customer search, and a supervisor's grant of
extra reveals for today: HTTP only.

The form posts here; the answer is the form's partial again, with the plain values shown
once (``scoring/static/scoring/reveal.js`` swaps it in place; without JavaScript the same
partial comes back inside the page layout). Values never go into a URL, a redirect, the
session or a message, and every answer is marked ``no-store`` so no cache keeps them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.security import client_ip_address
from portal.views import audit_access_denied
from portal.web.forms import add_service_errors
from scoring.customers.access import AccessSource, PersonalField, RevealPurpose
from scoring.customers.budget import ALLOWANCE_MAX_EXTRA
from scoring.customers.budget import reveal_allowance_grant as grant_allowance
from scoring.customers.reveal import (
    PURPOSE_MAX_LENGTH,
    Reveal,
    customer_reveal_with_access,
)
from scoring.models import Customer
from scoring.permissions import can_grant_reveal_allowances, can_reveal_personal_data

PARTIAL = "scoring/_reveal_form.html"
PAGE = "scoring/_reveal_page.html"
# Sent by reveal.js: answer with the partial alone, for an in-place swap.
PARTIAL_HEADER = "HTTP_X_REQUESTED_WITH"


class RevealForm(forms.Form):
    """Which fields and why. Prefixed per customer, so several forms can share a page."""

    # Not "fields": that name is the form's own dict of fields.
    personal_fields = forms.MultipleChoiceField(
        label=_("Fields to reveal"),
        choices=PersonalField.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one field to reveal.")},
    )
    purpose_code = forms.ChoiceField(
        label=_("Purpose"),
        choices=[("", _("Choose…")), *RevealPurpose.choices],
        error_messages={
            "required": _("Choose why you need to see these details from the list."),
            "invalid_choice": _("Choose why you need to see these details from the list."),
        },
    )
    purpose = forms.CharField(
        label=_("Details of the purpose"),
        max_length=PURPOSE_MAX_LENGTH,
        required=False,
        help_text=_(
            "Required for “other”, optional otherwise. Recorded in the access log; do not "
            "type personal details here."
        ),
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
    )
    # The work the reveal serves: hidden on a case page (the case is given), typed on the
    # customer search.
    case = forms.IntegerField(
        label=_("Case number"),
        min_value=1,
        required=False,
        widget=forms.NumberInput(attrs={"autocomplete": "off"}),
        help_text=_("A case about this customer that is assigned to you."),
    )
    request = forms.IntegerField(
        label=_("Data-subject request number"),
        min_value=1,
        required=False,
        widget=forms.NumberInput(attrs={"autocomplete": "off"}),
        help_text=_("Privacy officers: an open request about this customer."),
    )

    # The service's error keys named differently here.
    SERVICE_FIELDS: ClassVar[dict[str, str]] = {"fields": "personal_fields"}

    def __init__(self, *args: Any, customer_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"reveal-{customer_id}")
        super().__init__(*args, **kwargs)


def reveal_context(
    customer: Customer,
    *,
    form: RevealForm | None = None,
    case_id: int | None = None,
    revealed: Reveal | None = None,
) -> dict[str, Any]:
    """What the partial needs; shared with the ``{% reveal_form %}`` inclusion tag."""
    if form is None:
        form = RevealForm(customer_id=customer.pk, initial={"case": case_id})
    rows: list[tuple[str, str]] = []
    if revealed is not None:
        labels = dict(PersonalField.choices)
        rows = [(str(labels[name]), value) for name, value in revealed.values.items()]
    return {
        "reveal_customer": customer,
        "reveal_form": form,
        "reveal_case_id": case_id,
        "revealed": revealed,
        "revealed_rows": rows,
    }


def _answer(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    partial_only = request.META.get(PARTIAL_HEADER) == "fetch"
    response = render(request, PARTIAL if partial_only else PAGE, context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_POST
@login_required
def customer_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal the chosen fields of one customer for the stated purpose (logged)."""
    if not can_reveal_personal_data(request.user):
        raise PermissionDenied
    try:
        customer = Customer.objects.only("id", "external_id").get(pk=pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    form = RevealForm(request.POST, customer_id=customer.pk)
    case_id = None
    status = 400
    if form.is_valid():
        case_id = form.cleaned_data.get("case")
        try:
            revealed = customer_reveal_with_access(
                actor=request.user,  # type: ignore[arg-type]
                customer_id=customer.pk,
                fields=form.cleaned_data["personal_fields"],
                purpose=form.cleaned_data["purpose"],
                purpose_code=form.cleaned_data["purpose_code"],
                case_id=case_id,
                request_id=form.cleaned_data.get("request"),
                source=AccessSource.PAGE,
                ip_address=client_ip_address(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc, fields=RevealForm.SERVICE_FIELDS)
        except PermissionDenied as exc:
            # Outside the actor's work: said on the form, answered 403 and audited.
            audit_access_denied(request.user, request.method or "", request.path)
            form.add_error(None, str(exc) or _("You may not reveal these details."))
            status = 403
        except Customer.DoesNotExist:
            raise Http404 from None
        else:
            return _answer(
                request,
                reveal_context(
                    customer,
                    form=RevealForm(customer_id=customer.pk, initial={"case": case_id}),
                    case_id=case_id,
                    revealed=revealed,
                ),
            )
    else:
        case_value = form.data.get(form.add_prefix("case"), "")
        case_id = int(case_value) if str(case_value).isdigit() else None
    return _answer(request, reveal_context(customer, form=form, case_id=case_id), status=status)


# --- a supervisor's extra allowance for today -------------------------------------------------


class RevealAllowanceForm(forms.Form):
    user = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    extra = forms.IntegerField(
        label=_("Extra reveals for today"), min_value=1, max_value=ALLOWANCE_MAX_EXTRA
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)


@require_POST
@login_required
def reveal_allowance_grant(request: HttpRequest) -> HttpResponse:
    """Grant a colleague extra reveals for today (from the supervisor's notifications);
    back to the notifications with a message either way."""
    if not can_grant_reveal_allowances(request.user):
        raise PermissionDenied
    form = RevealAllowanceForm(request.POST)
    if form.is_valid():
        try:
            allowance = grant_allowance(
                actor=request.user,  # type: ignore[arg-type]
                user_id=form.cleaned_data["user"],
                extra=form.cleaned_data["extra"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            audit_access_denied(request.user, request.method or "", request.path)
            messages.error(request, str(exc))
            return redirect("cases:notifications")
        else:
            messages.success(
                request,
                _("%(n)d extra reveals granted for today.") % {"n": allowance.extra},
            )
            return redirect("cases:notifications")
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return redirect("cases:notifications")
