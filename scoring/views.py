"""Scoring pages: HTTP only. Reads go through scoring.selectors, writes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.web.forms import add_service_errors
from portal.web.permissions import rule_required
from scoring import permissions, selectors
from scoring.assessments import bulk
from scoring.assessments import services as jobs
from scoring.customers import services as customer_services
from scoring.forms import (
    BulkJobForm,
    CustomerSearchForm,
    ShadowCompareForm,
    UnusableLinesFilterForm,
)
from scoring.models import (
    REASON_DESCRIPTIONS,
    Assessment,
    AssessmentStatus,
    AssessmentTrigger,
    BulkJob,
    ReasonCode,
    Scorecard,
)
from scoring.scorecards import charts, explain, labels, shadow
from scoring.scorecards import selectors as scorecard_selectors
from scoring.scorecards import services as scorecard_services


@require_GET
@login_required
@rule_required(permissions.can_view_credit_lines)
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
@rule_required(permissions.can_search_customers)
def customer_search(request: HttpRequest) -> HttpResponse:
    result = None
    form = CustomerSearchForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            result = customer_services.customer_search(
                actor=request.user,  # type: ignore[arg-type]
                term=form.cleaned_data["term"],
            )
        except ValidationError as exc:
            form.add_error("term", exc)
    return render(request, "scoring/customer_search.html", {"form": form, "result": result})


# --- assessments as jobs: re-run, live status, bulk re-assessment ---------------------------

# Polling partials answer with this header: "continue" while the job moves, else "stop".
POLL_HEADER = "X-Poll"


def _poll_response(response: HttpResponse, *, keep_polling: bool) -> HttpResponse:
    response[POLL_HEADER] = "continue" if keep_polling else "stop"
    return response


@require_POST
@login_required
@rule_required(permissions.can_request_assessments)
def assessment_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a new assessment of the same customer (trigger: officer) and show it."""
    previous = get_object_or_404(
        Assessment.objects.only("id", "customer_id", "credit_line_id"), pk=pk
    )
    try:
        assessment = jobs.assessment_request(
            actor=request.user,  # type: ignore[arg-type]
            customer_id=previous.customer_id,
            trigger=AssessmentTrigger.OFFICER,
            credit_line_id=previous.credit_line_id,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("scoring:assessment_detail", pk=previous.pk)
    messages.success(request, _("The assessment is queued; this page shows it when it is done."))
    return redirect("scoring:assessment_detail", pk=assessment.pk)


@require_GET
@login_required
@rule_required(permissions.can_view_assessments)
def assessment_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The assessment's result partial, for pages that poll while it is queued or running."""
    try:
        assessment = selectors.assessment_detail(assessment_id=pk)
    except Assessment.DoesNotExist:
        raise Http404 from None
    keep_polling = assessment.status in {AssessmentStatus.QUEUED, AssessmentStatus.RUNNING}
    response = render(
        request,
        "scoring/_assessment_status.html",
        {
            "assessment": assessment,
            "keep_polling": keep_polling,
            # Embedded in a page with its own re-run button (?embed=case): leave ours out.
            "rerun_elsewhere": request.GET.get("embed") == "case",
        },
    )
    return _poll_response(response, keep_polling=keep_polling)


@require_http_methods(["GET", "POST"])
@login_required
@rule_required(permissions.can_view_bulk_jobs)
def bulk_jobs(request: HttpRequest) -> HttpResponse:
    """Recent bulk re-assessments and, for supervisors, the form that starts one."""
    can_start = permissions.can_start_bulk_jobs(request.user)
    form = BulkJobForm(request.POST if request.method == "POST" else None) if can_start else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                job = bulk.bulk_job_start(
                    actor=request.user,  # type: ignore[arg-type]
                    filters=form.filters(),
                    scorecard_id=form.scorecard_id(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Bulk re-assessment started for %(n)d customers.") % {"n": job.total},
                )
                return redirect("scoring:bulk_job_detail", pk=job.pk)
    return render(
        request,
        "scoring/bulk_jobs.html",
        {"form": form, "jobs": selectors.bulk_jobs_recent()},
    )


@require_GET
@login_required
@rule_required(permissions.can_view_bulk_jobs)
def bulk_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        progress = selectors.bulk_job_progress(job_id=pk)
    except BulkJob.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "scoring/bulk_job_detail.html",
        {"progress": progress, "can_manage": permissions.can_manage_bulk_jobs(request.user)},
    )


@require_GET
@login_required
@rule_required(permissions.can_view_bulk_jobs)
def bulk_job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress partial that the detail page fetches every two seconds."""
    try:
        progress = selectors.bulk_job_progress(job_id=pk)
    except BulkJob.DoesNotExist:
        raise Http404 from None
    response = render(request, "scoring/_bulk_job_progress.html", {"progress": progress})
    return _poll_response(response, keep_polling=progress.is_active)


@require_POST
@login_required
@rule_required(permissions.can_manage_bulk_jobs)
def bulk_job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(BulkJob.objects.only("id"), pk=pk)
    try:
        bulk.bulk_job_cancel(actor=request.user, job_id=pk)  # type: ignore[arg-type]
    except ValidationError as exc:  # Conflict included
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The bulk re-assessment is cancelled."))
    return redirect("scoring:bulk_job_detail", pk=pk)


@require_POST
@login_required
@rule_required(permissions.can_manage_bulk_jobs)
def bulk_job_resume(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(BulkJob.objects.only("id"), pk=pk)
    try:
        bulk.bulk_job_resume(actor=request.user, job_id=pk)  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The bulk re-assessment is resumed."))
    return redirect("scoring:bulk_job_detail", pk=pk)


# --- assessments and scorecards (explanations, versions, champion/challenger) ------------------


@require_GET
@login_required
@rule_required(permissions.can_view_assessments)
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Status, waterfall, ranked reasons, diff with the previous one, the feature snapshot
    and the customer-facing explanation in both languages."""
    try:
        assessment = selectors.assessment_detail(assessment_id=pk)
    except Assessment.DoesNotExist:
        raise Http404 from None
    explanations = []
    if assessment.status == AssessmentStatus.SUCCEEDED:
        explanations = [
            (code, label, explain.customer_explanation(assessment, language=language))
            for language, code, label in (
                ("en", "en", "English"),
                ("zh-hans", "zh-Hans", "简体中文"),
            )
        ]
    return render(
        request,
        "scoring/assessment_detail.html",
        {
            "assessment": assessment,
            "snapshot": labels.snapshot_rows(assessment),
            "explanations": explanations,
        },
    )


@require_GET
@login_required
@rule_required(permissions.can_view_scorecards)
def scorecards(request: HttpRequest) -> HttpResponse:
    """Every scorecard version; supervisors activate and compare from here."""
    return render(
        request,
        "scoring/scorecards.html",
        {
            "scorecards": scorecard_selectors.scorecards_for_list(),
            "can_activate": permissions.can_activate_scorecards(request.user),
            "can_compare": permissions.can_shadow_compare_scorecards(request.user),
        },
    )


@require_GET
@login_required
@rule_required(permissions.can_view_scorecards)
def scorecard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A version's bins and points, limit policy and block rules."""
    try:
        scorecard = scorecard_selectors.scorecard_for_detail(scorecard_id=pk)
    except Scorecard.DoesNotExist:
        raise Http404 from None
    characteristics = [
        {
            **ch,
            "label": labels.characteristic_label(ch.get("key", ""), ch.get("feature", "")),
            "feature_label": labels.feature_label(ch.get("feature", "")),
        }
        for ch in scorecard.characteristics
    ]
    rules = [
        {"code": rule.get("code"), "text": labels.rule_text(rule)} for rule in scorecard.block_rules
    ]
    return render(
        request,
        "scoring/scorecard_detail.html",
        {"scorecard": scorecard, "characteristics": characteristics, "rules": rules},
    )


@require_POST
@login_required
@rule_required(permissions.can_view_scorecards)
def scorecard_activate(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a version the champion (the service checks ``activate_scorecard``)."""
    try:
        scorecard = scorecard_services.scorecard_activate(
            actor=request.user,  # type: ignore[arg-type]
            scorecard_id=pk,
        )
    except Scorecard.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Version %(version)d is now the champion.") % {"version": scorecard.version},
        )
    return redirect("scoring:scorecards")


@require_http_methods(["GET", "POST"])
@login_required
@rule_required(permissions.can_shadow_compare_scorecards)
def scorecard_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Shadow-score a sample with this version and the champion; show what would change."""
    challenger = get_object_or_404(Scorecard.objects.only("id", "version", "name"), pk=pk)
    form = ShadowCompareForm(request.POST if request.method == "POST" else None)
    comparison = None
    if form.is_bound and form.is_valid():
        try:
            comparison = shadow.scorecard_shadow_compare(
                actor=request.user,  # type: ignore[arg-type]
                challenger_id=pk,
                sample_size=form.cleaned_data["sample_size"],
                seed=form.cleaned_data["seed"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    context: dict[str, Any] = {"challenger": challenger, "form": form, "comparison": comparison}
    if comparison is not None:
        context.update(
            champion_rate=f"{comparison.champion_approval_rate:.1%}",
            challenger_rate=f"{comparison.challenger_approval_rate:.1%}",
            curve=[(cut, f"{a:.1%}", f"{b:.1%}") for cut, a, b in comparison.approval_curve],
            histogram=charts.comparison_histogram_html(
                comparison.champion_scores,
                comparison.challenger_scores,
                champion_version=comparison.champion.version,
                challenger_version=comparison.challenger.version,
                champion_cutoff=comparison.champion.cutoff,
                challenger_cutoff=comparison.challenger.cutoff,
            ),
        )
    return render(request, "scoring/scorecard_compare.html", context)
