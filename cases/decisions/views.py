"""Pages for decisions: propose one on a case, and the supervisor's approvals queue.

HTTP only: parse the form, call one service, show its errors as form errors and its
conflicts as messages. ``decision_form_for(case)`` builds the form the case page includes
as ``cases/_decision_form.html`` (context: ``case``, ``decision_form``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.decisions import services as decisions
from cases.decisions.policy import approval_reason_label
from cases.models import Case, Decision, DecisionKind, DecisionReason, DecisionState
from cases.permissions import can_approve_decisions, can_propose_decisions
from cases.selectors.detail import case_active_blocks, case_for_user
from portal.errors import Conflict
from portal.web.forms import add_service_errors
from portal.web.permissions import rule_required
from scoring.models import Block

APPROVALS_LIMIT = 100


class DecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    kind = forms.ChoiceField(label=gettext_lazy("Decision"), choices=DecisionKind.choices)
    reason_code = forms.ChoiceField(label=gettext_lazy("Reason"), choices=DecisionReason.choices)
    justification = forms.CharField(
        label=gettext_lazy("Justification"),
        max_length=decisions.JUSTIFICATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    usable_limit = forms.DecimalField(
        label=gettext_lazy("New usable limit (CNY)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=gettext_lazy("Only for an override of the usable limit."),
    )
    blocks = forms.MultipleChoiceField(
        label=gettext_lazy("Blocks"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Only for lifting or keeping blocks."),
    )

    def __init__(
        self, *args: Any, case: Case, blocks: Sequence[Block] | None = None, **kwargs: Any
    ) -> None:
        """``blocks``: the case's active blocks when the caller has loaded them already."""
        kwargs.setdefault("initial", {"version": case.version})
        super().__init__(*args, **kwargs)
        self.active_blocks = list(blocks) if blocks is not None else case_active_blocks(case=case)
        blocks_field = cast(forms.MultipleChoiceField, self.fields["blocks"])
        blocks_field.choices = [
            (str(block.pk), f"#{block.pk} {block.get_reason_code_display()}")
            for block in self.active_blocks
        ]


def decision_form_for(
    case: Case, data: Any = None, *, blocks: Sequence[Block] | None = None
) -> DecisionForm:
    """The decision form of a case (bound to ``data`` when given)."""
    return DecisionForm(data, case=case, blocks=blocks)


def _back(request: HttpRequest, case: Case) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("cases:detail", args=[case.pk])


@require_http_methods(["GET", "POST"])
@login_required
@rule_required(can_propose_decisions)
def decision_propose_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the decision form of a case. POST: decide (applied, or sent for approval)."""
    case = case_for_user(request.user, pk)
    if request.method == "GET":
        return _propose_page(request, case, decision_form_for(case))
    form = decision_form_for(case, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            decision = decisions.decision_propose(
                actor=request.user,  # type: ignore[arg-type]
                case_id=case.pk,
                version=data["version"],
                kind=data["kind"],
                reason_code=data["reason_code"],
                justification=data["justification"],
                usable_limit=data["usable_limit"],
                blocks=[int(b) for b in data["blocks"]],
            )
        except Conflict as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(_back(request, case))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if decision.state == DecisionState.PROPOSED:
                messages.success(request, _("The decision waits for a supervisor's approval."))
            else:
                messages.success(request, _("The decision is applied."))
            return redirect(_back(request, case))
    return _propose_page(request, case, form, status=400)


def _propose_page(
    request: HttpRequest, case: Case, form: DecisionForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "cases/decision_propose.html",
        {"case": case, "decision_form": form, "blocks": form.active_blocks},
        status=status,
    )


@require_GET
@login_required
@rule_required(can_approve_decisions)
def approvals_view(request: HttpRequest) -> HttpResponse:
    """Decisions waiting for a supervisor, oldest first."""
    pending = list(
        Decision.objects.filter(state=DecisionState.PROPOSED)
        .select_related("case", "case__customer", "case__credit_line", "proposed_by")
        .order_by("proposed_at", "id")[:APPROVALS_LIMIT]
    )
    for decision in pending:
        decision.approval_reason_text = approval_reason_label(  # type: ignore[attr-defined]
            decision.approval_reason
        )
    return render(request, "cases/approvals.html", {"pending": pending, "limit": APPROVALS_LIMIT})


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    comment = request.POST.get("comment", "")
    try:
        if approve:
            decisions.decision_approve(actor=request.user, decision_id=pk, comment=comment)  # type: ignore[arg-type]
        else:
            decisions.decision_reject(actor=request.user, decision_id=pk, comment=comment)  # type: ignore[arg-type]
    except Decision.DoesNotExist:
        messages.error(request, _("This decision no longer exists."))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:  # Conflict included
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The decision is approved and applied.")
            if approve
            else _("The decision is rejected."),
        )
    return redirect("decisions:approvals")


@require_POST
@login_required
@rule_required(can_approve_decisions)
def decision_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@require_POST
@login_required
@rule_required(can_approve_decisions)
def decision_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)
