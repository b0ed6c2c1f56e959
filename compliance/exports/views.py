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
from portal.errors import Conflict

PAGE_SIZE = 50
CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSON: "application/json; charset=utf-8",
}


def _error_messages(exc: ValidationError) -> list[str]:
    return [str(message) for message in exc.messages]


def _exports_page(
    request: HttpRequest, *, problems: list[str] | None = None, status: int = 200
) -> HttpResponse:
    before = request.GET.get("before", "")
    records = kinds.exports_for_user(request.user)
    if before.isdigit():
        records = records.filter(id__lt=int(before))
    rows = list(records[: PAGE_SIZE + 1])
    labels = {name: kind.label for name, kind in kinds.EXPORT_KINDS.items()}
    context: dict[str, Any] = {
        "records": [
            (record, labels.get(record.kind, record.kind), sorted((record.filters or {}).items()))
            for record in rows[:PAGE_SIZE]
        ],
        "older": rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None,
        "problems": problems or [],
    }
    return render(request, "compliance/exports.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def exports(request: HttpRequest) -> HttpResponse:
    if not kinds.can_view_exports(request.user):
        raise PermissionDenied
    return _exports_page(request)


@login_required
@require_http_methods(["GET"])
def export(request: HttpRequest, kind: str) -> HttpResponseBase:
    """Stream ``kind``'s view, filtered by the query string as on its page, as
    ``format=csv|json``. The file is never stored; its manifest is ready once it has been
    sent in full (``X-Export-Id`` names the export)."""
    if not kinds.can_view_exports(request.user):
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
