"""The auditor's pages: the audit log and the chain verification."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.actions import action_label
from audit.permissions import can_verify_audit_chain
from audit.services import audit_chain_verify
from compliance.auditlog.filters import AuditEntryFilters, AuditLogFilterForm
from compliance.auditlog.forms import VerifyChainForm
from compliance.auditlog.selectors import audit_entry_page, last_chain_verification
from compliance.permissions import can_view_audit_log

PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "HEAD"])
def audit_log(request: HttpRequest) -> HttpResponse:
    if not can_view_audit_log(request.user):
        raise PermissionDenied
    form = AuditLogFilterForm(request.GET)
    if not form.is_valid():
        return render(
            request, "compliance/audit_log.html", {"form": form, "page": None}, status=400
        )
    page = audit_entry_page(
        form.filters(),
        before=form.cleaned_data.get("before"),
        after=form.cleaned_data.get("after"),
        page_size=PAGE_SIZE,
    )
    for entry in page.entries:
        entry.action_label = action_label(entry.action)  # type: ignore[attr-defined]
    filtered = form.filters() != AuditEntryFilters()
    return render(
        request, "compliance/audit_log.html", {"form": form, "page": page, "filtered": filtered}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def audit_verify(request: HttpRequest) -> HttpResponse:
    may_verify = can_verify_audit_chain(request.user)
    if not (may_verify or can_view_audit_log(request.user)):
        raise PermissionDenied
    if request.method == "POST":
        if not may_verify:
            raise PermissionDenied
        form = VerifyChainForm(request.POST)
        if form.is_valid():
            verification = audit_chain_verify(actor=request.user)
            if verification.ok:
                messages.success(request, _("The audit chain is intact."))
            else:
                messages.error(request, _("The audit chain is broken."))
            return redirect("compliance:audit_verify")
    return render(
        request,
        "compliance/audit_verify.html",
        {
            "verification": last_chain_verification(),
            "may_verify": may_verify,
            "form": VerifyChainForm(),
        },
    )
