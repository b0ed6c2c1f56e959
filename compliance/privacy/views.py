"""The privacy officer's pages: data-subject requests, legal holds and retention.

Privacy officers record, fulfil and refuse requests, place and release holds, edit the
retention policies and start a dry run; auditors read the same pages without the forms
(a write from them is a 403). HTTP only: parse, call one service or selector, render.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.security import client_ip_address
from compliance.models import (
    DataSubjectRequest,
    LegalHold,
    RequestKind,
    RequestStatus,
    RetentionPolicy,
    RetentionRun,
)
from compliance.permissions import (
    can_add_requests,
    can_download_exports,
    can_fulfil_requests,
    can_manage_legal_holds,
    can_run_retention,
    can_view_legal_holds,
    can_view_requests,
    can_view_retention,
)
from compliance.privacy import erasure, retention
from compliance.privacy import services as privacy
from compliance.privacy.forms import (
    CorrectionForm,
    DryRunForm,
    FulfilForm,
    LegalHoldPlaceForm,
    LegalHoldReleaseForm,
    RefuseForm,
    RequestCreateForm,
    RequestFilterForm,
    RetentionPolicyForm,
)
from compliance.privacy.selectors import privacy_request_page
from portal.web.forms import add_service_errors

RECENT_RUNS = 20
HOLDS_SHOWN = 100


def _errors_to_messages(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    texts = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    for text in texts or [_("You may not do this.")]:
        messages.error(request, text)


# --- requests -----------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def privacy_requests(request: HttpRequest) -> HttpResponse:
    """Requests, open first by deadline (overdue and due soon marked); a form to record one."""
    if not can_view_requests(request.user):
        raise PermissionDenied
    may_add = can_add_requests(request.user)
    create_form = RequestCreateForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied
        if create_form.is_valid():
            data = create_form.cleaned_data
            try:
                created = privacy.privacy_request_create(
                    actor=request.user,  # type: ignore[arg-type]
                    customer_id=data["customer"],
                    kind=data["kind"],
                    channel=data["channel"],
                    received_at=data.get("received_at"),
                )
            except ValidationError as exc:
                add_service_errors(create_form, exc)
            else:
                messages.success(request, _("Request #%(id)d recorded.") % {"id": created.pk})
                return redirect("compliance:privacy_request", pk=created.pk)
        status = 400
    filter_form = RequestFilterForm(request.GET)
    page = None
    if filter_form.is_valid():
        page = privacy_request_page(
            filter_form.filters(),
            filter_form.cleaned_data.get("cursor"),
            page_size=filter_form.cleaned_data.get("page_size"),
        )
    elif status == 200:
        status = 400  # a filter the API would refuse with a 400 is the page's error too
    now = timezone.now()
    rows = (
        [(item, privacy.request_deadline_state(item, now=now)) for item in page.rows]
        if page is not None
        else []
    )
    context = {
        "filter_form": filter_form,
        "create_form": create_form if may_add else None,
        "page": page,
        "rows": rows,
    }
    return render(request, "compliance/privacy_requests.html", context, status=status)


def _request_for_user(user: Any, pk: int) -> DataSubjectRequest:
    if not can_view_requests(user):
        raise Http404
    try:
        return privacy.privacy_request_get(request_id=pk)
    except DataSubjectRequest.DoesNotExist:
        raise Http404 from None


def _fulfil_form(kind: str, data: Any = None, version: int | None = None) -> FulfilForm:
    form_class = CorrectionForm if kind == RequestKind.CORRECT else FulfilForm
    return form_class(data, initial={"version": version}, prefix="fulfil")


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def privacy_request(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: its details, the fulfil and refuse forms while open, the result."""
    may_fulfil = can_fulfil_requests(request.user)
    if request.method == "POST" and not may_fulfil:
        raise PermissionDenied  # before the lookup: a write is refused, whatever the id
    item = _request_for_user(request.user, pk)
    fulfil_form = _fulfil_form(item.kind, version=item.version)
    refuse_form = RefuseForm(initial={"version": item.version}, prefix="refuse")
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "fulfil":
                fulfil_form = _fulfil_form(item.kind, data=request.POST)
                if fulfil_form.is_valid():
                    privacy.privacy_request_fulfil(
                        actor=request.user,  # type: ignore[arg-type]
                        request_id=item.pk,
                        outcome=fulfil_form.cleaned_data["outcome"],
                        version=fulfil_form.cleaned_data["version"],
                        corrections=(
                            fulfil_form.corrections()
                            if isinstance(fulfil_form, CorrectionForm)
                            else None
                        ),
                    )
                    messages.success(request, _("The request is fulfilled."))
                    return redirect("compliance:privacy_request", pk=item.pk)
            elif action == "refuse":
                refuse_form = RefuseForm(request.POST, prefix="refuse")
                if refuse_form.is_valid():
                    privacy.privacy_request_refuse(
                        actor=request.user,  # type: ignore[arg-type]
                        request_id=item.pk,
                        reason=refuse_form.cleaned_data["reason"],
                        version=refuse_form.cleaned_data["version"],
                    )
                    messages.success(request, _("The request is refused."))
                    return redirect("compliance:privacy_request", pk=item.pk)
            else:
                messages.error(request, _("Choose to fulfil or to refuse the request."))
        except ValidationError as exc:
            # Conflicts (closed, stale) and refusals (legal hold) are messages; bad
            # values stay on the form they came from.
            if action == "refuse":
                add_service_errors(refuse_form, exc)
            elif hasattr(exc, "error_dict"):
                add_service_errors(fulfil_form, exc)
            else:
                _errors_to_messages(request, exc)
            item = _request_for_user(request.user, pk)
        status = 400
    explanation = (item.result or {}).get("explanation")
    context = {
        "item": item,
        "deadline": privacy.request_deadline_state(item),
        "is_open": item.status == RequestStatus.OPEN,
        "may_fulfil": may_fulfil,
        "may_download": can_download_exports(request.user)
        and item.kind in privacy.EXPORT_KINDS
        and item.status == RequestStatus.FULFILLED,
        "fulfil_form": fulfil_form,
        "refuse_form": refuse_form,
        "explanation": explanation,
        "explanation_en": (explanation or {}).get("text", {}).get("en", ""),
        "explanation_zh": (explanation or {}).get("text", {}).get("zh-hans", ""),
        "export_counts": sorted(((item.result or {}).get("export") or {}).items()),
    }
    return render(request, "compliance/privacy_request.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET"])
def privacy_request_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The person's data as JSON, built now (a logged reveal) and never stored."""
    item = _request_for_user(request.user, pk)
    try:
        document = privacy.privacy_request_export(
            actor=request.user,  # type: ignore[arg-type]
            request_id=item.pk,
            ip_address=client_ip_address(request),
        )
    except ValidationError as exc:
        _errors_to_messages(request, exc)
        return redirect("compliance:privacy_request", pk=item.pk)
    body = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="privacy-request-{item.pk}.json"'
    return response


# --- legal holds --------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def legal_holds(request: HttpRequest) -> HttpResponse:
    """Active holds (and the latest released ones); forms to place and release holds."""
    if not can_view_legal_holds(request.user):
        raise PermissionDenied
    may_manage = can_manage_legal_holds(request.user)
    place_form = LegalHoldPlaceForm(prefix="place")
    status = 200
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        if request.POST.get("action") == "release":
            release_form = LegalHoldReleaseForm(request.POST)
            if release_form.is_valid():
                try:
                    erasure.legal_hold_release(
                        actor=request.user,  # type: ignore[arg-type]
                        hold_id=release_form.cleaned_data["hold"],
                        reason=release_form.cleaned_data["release_reason"],
                    )
                except LegalHold.DoesNotExist:
                    raise Http404 from None
                except ValidationError as exc:
                    _errors_to_messages(request, exc)
                else:
                    messages.success(request, _("The legal hold is released."))
                    return redirect("compliance:legal_holds")
            else:
                messages.error(request, _("Give a reason for releasing the hold."))
        else:
            place_form = LegalHoldPlaceForm(request.POST, prefix="place")
            if place_form.is_valid():
                try:
                    hold = erasure.legal_hold_place(
                        actor=request.user,  # type: ignore[arg-type]
                        customer_id=place_form.cleaned_data.get("customer"),
                        case_id=place_form.cleaned_data.get("case"),
                        reason=place_form.cleaned_data["reason"],
                    )
                except ValidationError as exc:
                    add_service_errors(place_form, exc)
                else:
                    messages.success(request, _("Legal hold #%(id)d placed.") % {"id": hold.pk})
                    return redirect("compliance:legal_holds")
        status = 400
    holds = LegalHold.objects.select_related("customer", "placed_by", "released_by")
    context = {
        "active": list(holds.filter(released_at__isnull=True).order_by("-placed_at", "-pk")),
        "released": list(
            holds.filter(released_at__isnull=False).order_by("-released_at", "-pk")[:HOLDS_SHOWN]
        ),
        "place_form": place_form if may_manage else None,
        "may_manage": may_manage,
    }
    return render(request, "compliance/privacy_holds.html", context, status=status)


# --- retention ----------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def retention_page(request: HttpRequest) -> HttpResponse:
    """The policies (editable by privacy officers), the recent runs, and "dry run now"."""
    if not can_view_retention(request.user):
        raise PermissionDenied
    may_change = can_run_retention(request.user)
    status = 200
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        if request.POST.get("action") == "dry_run":
            if DryRunForm(request.POST).is_valid():
                run = retention.retention_run(actor=request.user, dry_run=True)  # type: ignore[arg-type]
                messages.success(
                    request, _("Dry run #%(id)d finished; nothing was changed.") % {"id": run.pk}
                )
                return redirect("compliance:retention")
        else:
            form = RetentionPolicyForm(request.POST)
            if form.is_valid():
                try:
                    retention.retention_policy_update(
                        actor=request.user,  # type: ignore[arg-type]
                        policy_id=form.cleaned_data["policy"],
                        keep_days=form.cleaned_data["keep_days"],
                        enabled=form.cleaned_data["enabled"],
                    )
                except RetentionPolicy.DoesNotExist:
                    raise Http404 from None
                except ValidationError as exc:
                    _errors_to_messages(request, exc)
                else:
                    messages.success(request, _("The retention policy is saved."))
                    return redirect("compliance:retention")
            else:
                for errors in form.errors.values():
                    for error in errors:
                        messages.error(request, str(error))
        status = 400
    policies = list(RetentionPolicy.objects.order_by("record_type"))
    rows = [
        (
            policy,
            RetentionPolicyForm(
                initial={
                    "policy": policy.pk,
                    "keep_days": policy.keep_days,
                    "enabled": policy.enabled,
                },
                auto_id=f"id_policy{policy.pk}_%s",
            ),
            retention.minimum_keep_days(policy.record_type),
        )
        for policy in policies
    ]
    context = {
        "rows": rows,
        "runs": list(RetentionRun.objects.order_by("-started_at", "-pk")[:RECENT_RUNS]),
        "may_change": may_change,
        "dry_run_form": DryRunForm(),
    }
    return render(request, "compliance/privacy_retention.html", context, status=status)
