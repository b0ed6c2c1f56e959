"""Case pages: the queues, claim-next, the case page with its notes and re-assessment.

HTTP only: parse, call one service or selector, render. Service errors become messages
(``Conflict`` and ``PermissionDenied`` included), form errors stay on the form. A refused
note or re-run (someone else's case) is the case page with the reason, a 403, audited as
the portal's 403 page is.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.roles import Role
from cases.forms import NoteForm, PhoneSearchForm, QueueFilterForm, RatesFilterForm, ReassignForm
from cases.models import CaseCategory
from cases.permissions import (
    can_add_note_to,
    can_add_notes,
    can_approve_decisions,
    can_decide_on,
    can_reassess_case,
    can_reassign,
    can_view_cases,
    can_view_decision_rates,
    can_work_cases,
)
from cases.selectors.dashboard import decision_rates, supervision_summary
from cases.selectors.detail import case_active_blocks, case_for_user, case_latest_assessment
from cases.selectors.queue import queue_page
from cases.selectors.timeline import case_timeline
from cases.services import notes
from cases.services.claiming import case_claim_next
from cases.services.reassess import case_reassess
from cases.services.reassign import case_reassign
from portal.views import audit_access_denied
from portal.web.forms import add_service_errors
from portal.web.permissions import rule_required
from scoring.models import AssessmentStatus, Block, ReasonCode, reason_description


def _errors_to_messages(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    texts = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    for text in texts or [_("You may not do this.")]:
        messages.error(request, text)


def _assignees() -> list[tuple[int, str]]:
    users = (
        User.objects.filter(is_active=True, groups__name__in=[Role.RISK_OFFICER, Role.SUPERVISOR])
        .distinct()
        .order_by("username")
        .values_list("pk", "username")
    )
    return list(users)


def _queue_page(request: HttpRequest, *, mine: bool) -> HttpResponse:
    url_name = "cases:my_cases" if mine else "cases:queue"
    search = PhoneSearchForm(request.POST if request.method == "POST" else None)
    if search.is_bound and search.is_valid():
        # Only the number's keyed hash, encrypted, goes into the URL of the filtered queue.
        return redirect(f"{reverse(url_name)}?{urlencode({'ph': search.token()})}")
    form = QueueFilterForm(request.GET)
    page = None
    if form.is_valid():
        page = queue_page(
            user=request.user, filters=form.filters(mine=mine), after=form.cleaned_data["after"]
        )
    can_bulk = can_reassign(request.user) and not mine
    context: dict[str, Any] = {
        "mine": mine,
        "url_name": url_name,
        "form": form,
        "search": search,
        "page": page,
        "can_claim": can_work_cases(request.user),
        "now": timezone.now(),
        "reassign_form": ReassignForm(assignees=_assignees()) if can_bulk else None,
        "reason_help": [(code, reason_description(code)) for code in ReasonCode],
    }
    return render(request, "cases/queue.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@rule_required(can_view_cases)
def queue(request: HttpRequest) -> HttpResponse:
    """Open cases, most urgent first; filters, keyset pages and claim-next."""
    return _queue_page(request, mine=False)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@rule_required(can_view_cases)
def my_cases(request: HttpRequest) -> HttpResponse:
    """The signed-in officer's open cases."""
    return _queue_page(request, mine=True)


@require_POST
@login_required
@rule_required(can_work_cases)
def claim_next(request: HttpRequest) -> HttpResponse:
    try:
        case = case_claim_next(actor=request.user)  # type: ignore[arg-type]
    except (ValidationError, PermissionDenied) as exc:
        _errors_to_messages(request, exc)
        return redirect("cases:queue")
    if case is None:
        messages.info(request, _("The queue is empty: there is no unassigned case to claim."))
        return redirect("cases:queue")
    messages.success(request, _("Case #%(id)d is now yours.") % {"id": case.pk})
    return redirect("cases:detail", pk=case.pk)


@require_POST
@login_required
@rule_required(can_work_cases)
def reassign(request: HttpRequest) -> HttpResponse:
    if not can_reassign(request.user):
        raise PermissionDenied
    form = ReassignForm(request.POST, assignees=_assignees())
    if not form.is_valid():
        messages.error(request, _("Tick at least one case and choose who takes them."))
        return redirect("cases:queue")
    try:
        cases = case_reassign(
            actor=request.user,  # type: ignore[arg-type]
            case_ids=form.cleaned_data["case_ids"],
            assignee_id=form.cleaned_data["assignee"],
        )
    except (ValidationError, PermissionDenied) as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(request, _("%(n)d cases reassigned.") % {"n": len(cases)})
    return redirect("cases:queue")


def _decision_context(request: HttpRequest, case: Any, blocks: list[Block]) -> dict[str, Any]:
    """The decision form when the user may decide on this case now (officers on their own
    cases, supervisors on any open one)."""
    from cases.decisions.views import decision_form_for

    if not (case.is_open and can_decide_on(request.user, case)):
        return {"can_decide": False}
    return {"can_decide": True, "decision_form": decision_form_for(case, blocks=blocks)}


@require_http_methods(["GET"])
@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Customer (masked), credit line and blocks, the latest assessment (live while it
    runs), the decision form, notes and the timeline. Strangers get 404."""
    return _detail_page(request, case_for_user(request.user, pk))


def _detail_page(
    request: HttpRequest, case: Any, note_form: NoteForm | None = None, status: int = 200
) -> HttpResponse:
    assessment = case_latest_assessment(case=case)
    blocks = case_active_blocks(case=case)
    in_flight = assessment is not None and assessment.status in {
        AssessmentStatus.QUEUED,
        AssessmentStatus.RUNNING,
    }
    context: dict[str, Any] = {
        "case": case,
        "customer": case.customer,
        "credit_line": case.credit_line,
        "blocks": blocks,
        "assessment": assessment,
        "assessment_in_flight": in_flight,
        "timeline": case_timeline(case=case),
        "can_work": can_reassess_case(request.user, case) and case.is_open,
        "note_form": (
            note_form or NoteForm(initial={"version": case.version})
            if can_add_note_to(request.user, case)
            else None
        ),
        "reason_label": case.get_reason_code_display() if case.reason_code else "",
        "reason_text": reason_description(case.reason_code),
        **_decision_context(request, case, blocks),
    }
    return render(request, "cases/detail.html", context, status=status)


def _refused(request: HttpRequest, case: Any, exc: PermissionDenied) -> HttpResponse:
    """Someone else's case: the reason on the case page (403), audited."""
    audit_access_denied(request.user, request.method or "", request.path)
    messages.error(request, str(exc) or _("You may not do this."))
    return _detail_page(request, case, status=403)


@require_POST
@login_required
@rule_required(can_add_notes)
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for_user(request.user, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            notes.note_add(
                actor=request.user,  # type: ignore[arg-type]
                case_id=case.pk,
                body=form.cleaned_data["body"],
                version=form.cleaned_data["version"],
            )
        except PermissionDenied as exc:
            return _refused(request, case, exc)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_service_errors(form, exc)
            else:
                _errors_to_messages(request, exc)
                return redirect("cases:detail", pk=case.pk)
        else:
            messages.success(request, _("Note added."))
            return redirect("cases:detail", pk=case.pk)
    return _detail_page(request, case, note_form=form, status=400)


@require_POST
@login_required
@rule_required(can_work_cases)
def reassess(request: HttpRequest, pk: int) -> HttpResponse:
    """Re-run the assessment from the case page and come back to it (the page then polls
    the new assessment's status until its result and diff appear)."""
    case = case_for_user(request.user, pk)
    version = request.POST.get("version")
    try:
        case_reassess(
            actor=request.user,  # type: ignore[arg-type]
            case_id=case.pk,
            version=int(version) if version and version.isdigit() else None,
        )
    except PermissionDenied as exc:
        return _refused(request, case, exc)
    except ValidationError as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(
            request, _("The assessment is queued; this page shows it when it is done.")
        )
    return redirect("cases:detail", pk=case.pk)


@require_http_methods(["GET"])
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The supervisor's view of the work: depth, SLA, throughput, decision habits."""
    from cases import charts

    if not can_approve_decisions(request.user):
        raise PermissionDenied
    summary = supervision_summary()
    return render(
        request,
        "cases/dashboard.html",
        {
            "summary": summary,
            "reasons": [
                (ReasonCode(code).label if code else _("No block"), n)
                for code, n in summary.by_reason
            ],
            "categories": [(CaseCategory(code).label, n) for code, n in summary.by_category],
            "queue_chart": charts.queue_depth_html(summary) if summary.by_category else "",
            "closed_chart": (
                charts.closed_per_officer_html(summary) if summary.closed_per_officer_day else ""
            ),
        },
    )


# --- notifications -----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET"])
@login_required
def notifications_page(request: HttpRequest) -> HttpResponse:
    """The signed-in user's notifications, newest first, unread ones highlighted."""
    from cases import notifications

    items = list(notifications.notifications_for_user(request.user))
    return render(
        request,
        "cases/notifications.html",
        {
            "notifications": items,
            "limit": notifications.NOTIFICATION_LIST_LIMIT,
            "any_unread": any(n.read_at is None for n in items),
        },
    )


@require_POST
@login_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of one's own notifications read; someone else's is a 404. Goes on to the
    case when the form asks to (``open``)."""
    from cases import notifications
    from cases.models import Notification

    try:
        notification = notifications.notification_mark_read(
            actor=request.user,  # type: ignore[arg-type]
            notification_id=pk,
        )
    except Notification.DoesNotExist:
        raise Http404 from None
    if request.POST.get("open") and notification.case_id is not None:
        return redirect("cases:detail", pk=notification.case_id)
    return redirect("cases:notifications")


@require_POST
@login_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    from cases import notifications

    n = notifications.notifications_mark_all_read(actor=request.user)  # type: ignore[arg-type]
    if n:
        messages.success(
            request,
            ngettext("%(n)d notification marked read.", "%(n)d notifications marked read.", n)
            % {"n": n},
        )
    return redirect("cases:notifications")


# --- override and approval rates --------------------------------------------------------------


@never_cache
@require_http_methods(["GET"])
@login_required
@rule_required(can_view_decision_rates)
def rates(request: HttpRequest) -> HttpResponse:
    """Override and approval rates by officer and reason code, week by week (auditors and
    supervisors)."""
    from cases import charts
    from cases.models import DecisionReason

    form = RatesFilterForm(request.GET or None, officers=_assignees())
    result = None
    context: dict[str, Any] = {"form": form}
    if not form.is_bound or form.is_valid():
        filters = form.cleaned_data if form.is_bound else {}
        since, until = form.window()
        result = decision_rates(
            since=since,
            until=until,
            officer_id=filters.get("officer") or None,
            reason_code=filters.get("reason_code") or "",
        )
        context.update(
            {
                "since_day": since.date(),
                "until_day": (until - timedelta(days=1)).date(),
                "reasons": [
                    (DecisionReason(code).label if code in DecisionReason.values else code, row)
                    for code, row in result.by_reason
                ],
                "charts": (
                    [
                        charts.decisions_per_officer_html(result),
                        charts.override_share_html(result),
                        charts.approval_share_html(result),
                    ]
                    if result.weekly
                    else []
                ),
            }
        )
    context["rates"] = result
    return render(request, "cases/rates.html", context, status=200 if result else 400)
