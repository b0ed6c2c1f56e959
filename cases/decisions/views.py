"""Pages for decisions: propose one on a case, and the supervisor's approvals queue.

HTTP only: parse the form, call one service, show its errors as form errors and its
conflicts and refusals as messages (a refusal is a 403 and audited, as the portal's 403
page is). ``decision_form_for(case)`` builds the form the case page includes as
``cases/_decision_form.html`` (context: ``case``, ``decision_form``); the form carries the
reasons a decision on this case would wait for approval (``approval_hints``).
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
from cases.decisions.policy import (
    ASSESSMENT_MISSING,
    ASSESSMENT_STALE,
    approval_limit_threshold,
    approval_reason_label,
    assessment_fresh_since,
)
from cases.decisions.validation import JUSTIFICATION_MAX_LENGTH
from cases.models import Case, Decision, DecisionKind, DecisionReason, DecisionState
from cases.permissions import (
    can_approve_decisions,
    can_propose_decisions,
    ensure_can_decide_on,
)
from cases.selectors.detail import case_active_blocks, case_for_user
from portal.errors import Conflict
from portal.views import audit_access_denied
from portal.web.forms import add_service_errors
from portal.web.permissions import rule_required
from scoring.models import Block
from scoring.templatetags.scoring_tags import cny

APPROVALS_LIMIT = 100


class DecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    kind = forms.ChoiceField(label=gettext_lazy("Decision"), choices=DecisionKind.choices)
    reason_code = forms.ChoiceField(label=gettext_lazy("Reason"), choices=DecisionReason.choices)
    justification = forms.CharField(
        label=gettext_lazy("Justification"),
        max_length=JUSTIFICATION_MAX_LENGTH,
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


def approval_hints(case: Case) -> list[str]:
    """What would make a decision on this case wait for approval, in words (one query: the
    customer's latest succeeded assessment)."""
    on_record = decisions.latest_assessment_on_record(customer_id=case.customer_id)
    threshold = cny(approval_limit_threshold())
    if on_record.recommended_limit is not None:
        raise_rule = _(
            "Raising the usable limit above %(threshold)s, or above the recommended limit "
            "(%(recommended)s), waits for approval."
        ) % {"threshold": threshold, "recommended": cny(on_record.recommended_limit)}
    else:
        raise_rule = _("Raising the usable limit above %(threshold)s waits for approval.") % {
            "threshold": threshold
        }
    hints = [raise_rule]
    if on_record.finished_at is None:
        hints.append(approval_reason_label(ASSESSMENT_MISSING))
    elif on_record.finished_at < assessment_fresh_since():
        hints.append(approval_reason_label(ASSESSMENT_STALE))
    hints.append(
        _(
            "Lifting an identity-document or consent block waits for approval too. Whoever "
            "proposes (a supervisor as well), a supervisor other than the proposer approves."
        )
    )
    return hints


def decision_form_for(
    case: Case, data: Any = None, *, blocks: Sequence[Block] | None = None
) -> DecisionForm:
    """The decision form of a case (bound to ``data`` when given), with its approval hints."""
    form = DecisionForm(data, case=case, blocks=blocks)
    form.approval_hints = approval_hints(case)  # type: ignore[attr-defined]
    return form


def _waiting_message(decision: Decision) -> str:
    return _("The decision waits for approval by a supervisor other than you: %(why)s") % {
        "why": approval_reason_label(decision.approval_reason)
    }


def _refused(request: HttpRequest, exc: PermissionDenied) -> None:
    """A refused decision: audited like the portal's 403 page, and said on the page."""
    audit_access_denied(request.user, request.method or "", request.path)
    messages.error(request, str(exc) or _("You may not do this."))


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
    """GET: the decision form of a case. POST: decide (applied, or sent for approval).

    An officer on a case not assigned to them gets the reason, not the form (403)."""
    case = case_for_user(request.user, pk)
    try:
        ensure_can_decide_on(request.user, case)
    except PermissionDenied as exc:
        if request.method == "POST":
            _refused(request, exc)
        else:  # refused reads are not audited (portal.registries.on_access_denied)
            messages.error(request, str(exc))
        return _propose_page(request, case, None, status=403)
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
        except PermissionDenied as exc:
            _refused(request, exc)
            return _propose_page(request, case, None, status=403)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if decision.state == DecisionState.PROPOSED:
                messages.success(request, _waiting_message(decision))
            else:
                messages.success(request, _("The decision is applied."))
            return redirect(_back(request, case))
    return _propose_page(request, case, form, status=400)


def _propose_page(
    request: HttpRequest, case: Case, form: DecisionForm | None, status: int = 200
) -> HttpResponse:
    """The decision page; without a form (``None``) when the user may not decide here."""
    return render(
        request,
        "cases/decision_propose.html",
        {
            "case": case,
            "decision_form": form,
            "blocks": form.active_blocks if form is not None else case_active_blocks(case=case),
        },
        status=status,
    )


@require_GET
@login_required
@rule_required(can_approve_decisions)
def approvals_view(request: HttpRequest) -> HttpResponse:
    """Decisions waiting for a supervisor, oldest first; never one's own proposals (another
    supervisor decides those), which are only counted."""
    waiting = Decision.objects.filter(state=DecisionState.PROPOSED)
    own = waiting.filter(proposed_by_id=request.user.pk).count()
    pending = list(
        waiting.exclude(proposed_by_id=request.user.pk)
        .select_related("case", "case__customer", "case__credit_line", "proposed_by")
        .order_by("proposed_at", "id")[:APPROVALS_LIMIT]
    )
    for decision in pending:
        decision.approval_reason_text = approval_reason_label(  # type: ignore[attr-defined]
            decision.approval_reason
        )
    return render(
        request,
        "cases/approvals.html",
        {"pending": pending, "limit": APPROVALS_LIMIT, "own_waiting": own},
    )


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
        _refused(request, exc)
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
