"""The auditor's exports: a streamed download of a filtered view, its signed manifest, and
the list of exports with how to verify them. The work is in ``compliance.exports``."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from compliance.exports import kinds
from compliance.exports.services import export_start
from compliance.exports.signing import export_manifest as signed_manifest
from compliance.models import ExportFormat, ExportRecord
from compliance.permissions import can_view_exports
from portal.api.pagination import COUNT_CAP, InvalidCursor, Keyset
from portal.errors import Conflict

PAGE_SIZE = 50
# Newest first, as ``exports_for_user`` orders them: the shared pager and its capped count.
EXPORTS = Keyset("-created_at", "-id", model=ExportRecord, page_size=PAGE_SIZE)
CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSON: "application/json; charset=utf-8",
}


def _error_messages(exc: ValidationError) -> list[str]:
    return [str(message) for message in exc.messages]


def _exports_page(
    request: HttpRequest, *, problems: list[str] | None = None, status: int = 200
) -> HttpResponse:
    problems = list(problems or [])
    records = kinds.exports_for_user(request.user)
    try:
        page = EXPORTS.page(records, cursor=request.GET.get("cursor") or None, count_cap=COUNT_CAP)
    except InvalidCursor as exc:
        problems.append(str(exc.message))
        status = 400 if status == 200 else status
        page = EXPORTS.page(records, count_cap=COUNT_CAP)
    labels = {name: kind.label for name, kind in kinds.EXPORT_KINDS.items()}
    context: dict[str, Any] = {
        "page": page,
        "records": [
            (record, labels.get(record.kind, record.kind), sorted((record.filters or {}).items()))
            for record in page.rows
        ],
        "problems": problems,
    }
    return render(request, "compliance/exports.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def exports(request: HttpRequest) -> HttpResponse:
    if not can_view_exports(request.user):
        raise PermissionDenied
    return _exports_page(request)


@login_required
@require_http_methods(["GET"])
def export(request: HttpRequest, kind: str) -> HttpResponseBase:
    """Stream ``kind``'s view, filtered by the query string as on its page, as
    ``format=csv|json``. The file is never stored; its manifest is ready once it has been
    sent in full (``X-Export-Id`` names the export)."""
    if not can_view_exports(request.user):
        raise PermissionDenied
    if kinds.export_kind(kind) is None:
        raise Http404
    fmt = request.GET.get("format", "")
    params = {name: str(request.GET[name]) for name in request.GET if name != "format"}
    try:
        record, chunks = export_start(
            actor=request.user,  # type: ignore[arg-type]
            kind=kind,
            fmt=fmt,
            params=params,
        )
    except ValidationError as exc:
        return _exports_page(request, problems=_error_messages(exc), status=400)
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[ExportFormat(fmt)])
    response["Content-Disposition"] = f'attachment; filename="{kind}-export-{record.pk}.{fmt}"'
    response["X-Export-Id"] = str(record.pk)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD"])
def export_manifest(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed manifest of a finished export, for its exporter or any auditor."""
    try:
        record = kinds.export_for_user(request.user, pk)
    except ExportRecord.DoesNotExist:
        raise Http404 from None
    try:
        manifest = signed_manifest(record)
    except Conflict as exc:
        return _exports_page(request, problems=_error_messages(exc), status=409)
    body = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{record.kind}-export-{record.pk}.manifest.json"'
    )
    response["Cache-Control"] = "no-store"
    return response
