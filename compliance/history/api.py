"""API v1 of the auditor's workspace: record history with diffs, the audit log, and the
chain check. Auditors only; reads, apart from the chain check's own record of itself."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import AuditEntry
from audit.permissions import can_verify_audit_chain
from audit.services import audit_chain_verify
from compliance.auditlog.filters import parse_filters as parse_audit_filters
from compliance.auditlog.selectors import audit_entries
from compliance.history import selectors as history
from compliance.history.filters import HistoryFilterForm
from compliance.permissions import can_browse_history
from portal.api.errors import error_responses
from portal.api.pagination import KeysetPagination, page_link
from portal.api.permissions import allowed_by
from portal.web.forms import form_errors

CanBrowseHistory = allowed_by(can_browse_history)
CanVerifyAuditChain = allowed_by(can_verify_audit_chain)

_ERRORS = error_responses(descriptions={400: "Invalid filter, by field.", 403: "Not an auditor."})


# --- history --------------------------------------------------------------------------------


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    old = serializers.CharField(allow_blank=True, help_text="Masked for personal fields.")
    new = serializers.CharField(allow_blank=True, help_text="Masked for personal fields.")
    personal = serializers.BooleanField()


class VersionSerializer(serializers.Serializer):
    model = serializers.CharField(source="kind")
    object_id = serializers.IntegerField()
    history_id = serializers.IntegerField()
    time = serializers.DateTimeField(read_only=True)
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    actor = serializers.CharField(help_text="A username, or system:<job> for the system.")
    reason = serializers.CharField(allow_blank=True)
    first = serializers.BooleanField(help_text="No earlier version: changes are initial values.")
    changes = FieldChangeSerializer(many=True)


class VersionPageSerializer(serializers.Serializer):
    results = VersionSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class HistoryAPIParams(HistoryFilterForm):
    """The page's filters (the one parser), and the page size the API lets a client choose."""

    page_size = forms.IntegerField(required=False, min_value=1, max_value=history.MAX_PAGE_SIZE)


class HistoryVersionsAPI(APIView):
    permission_classes = [IsAuthenticated, CanBrowseHistory]

    @extend_schema(
        operation_id="history_versions",
        summary="Every version of a record (or every change by an officer), newest first",
        description=(
            "`model` is one of: " + ", ".join([*history.KINDS, history.OFFICER]) + ". "
            "Each version has its actor, time, change reason and field diffs (old → new) "
            "against the version before it; personal fields come masked. Cursor pagination."
        ),
        parameters=[
            OpenApiParameter("model", OpenApiTypes.STR, OpenApiParameter.PATH),
            OpenApiParameter("since", OpenApiTypes.DATE),
            OpenApiParameter("until", OpenApiTypes.DATE, description="Inclusive."),
            OpenApiParameter("action", OpenApiTypes.STR, enum=["created", "changed", "deleted"]),
            OpenApiParameter("actor", OpenApiTypes.STR),
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={
            200: VersionPageSerializer,
            **_ERRORS,
            **error_responses(descriptions={404: "Unknown model or id."}),
        },
        tags=["audit"],
    )
    def get(self, request: Request, model: str, pk: int) -> Response:
        try:
            exists = history.history_exists(model, pk)
        except history.UnknownHistoryKind:
            raise Http404 from None
        if not exists:
            raise Http404
        params = HistoryAPIParams(request.query_params)
        if not params.is_valid():
            raise form_errors(params)  # → 400, errors by field
        data = params.cleaned_data
        page = history.history_page(
            model,
            pk,
            params.filters(),
            cursor=data.get("cursor") or "",
            page_size=data.get("page_size") or history.DEFAULT_PAGE_SIZE,
        )
        return Response(
            {
                "results": VersionSerializer(page.versions, many=True).data,
                "next": page_link(request, param="cursor", cursor=page.next_cursor),
                "previous": page_link(request, param="cursor", cursor=page.previous_cursor),
            }
        )


# --- the audit log --------------------------------------------------------------------------


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "data",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields  # an answer, never input


class AuditCursorPagination(KeysetPagination):
    ordering = ("-id",)
    page_size = 50
    max_page_size = 500


class AuditEntryListAPI(ListAPIView):
    permission_classes = [IsAuthenticated, CanBrowseHistory]
    serializer_class = AuditEntrySerializer
    pagination_class = AuditCursorPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[AuditEntry]:
        # The page's parser: a bad filter is a ValidationError by field → 400.
        return audit_entries(parse_audit_filters(self.request.query_params)).select_related(None)

    @extend_schema(
        operation_id="audit_entry_list",
        summary="Audit entries, newest first, filtered; cursor pagination",
        parameters=[
            OpenApiParameter("case", OpenApiTypes.INT, description="Entries about this case."),
            OpenApiParameter(
                "customer",
                OpenApiTypes.INT,
                description="Entries about this customer or naming it in their data.",
            ),
            OpenApiParameter("actor", OpenApiTypes.STR, description="Username or system:<job>."),
            OpenApiParameter(
                "action", OpenApiTypes.STR, description="Exact, or a prefix ending in a dot."
            ),
            OpenApiParameter(
                "target_type", OpenApiTypes.STR, description="e.g. scoring.creditline."
            ),
            OpenApiParameter("target_id", OpenApiTypes.STR),
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Exclusive."),
        ],
        responses={200: AuditEntrySerializer(many=True), **_ERRORS},
        tags=["audit"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# --- the chain check ------------------------------------------------------------------------


class ChainCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    entries_checked = serializers.IntegerField()
    first_bad = serializers.IntegerField(allow_null=True)


class AuditVerifyAPI(APIView):
    permission_classes = [IsAuthenticated, CanVerifyAuditChain]

    @extend_schema(
        operation_id="audit_verify",
        summary="Verify the audit chain now (the check itself is recorded and audited)",
        responses={200: ChainCheckSerializer, 403: _ERRORS[403]},
        tags=["audit"],
    )
    def get(self, request: Request) -> Response:
        verification = audit_chain_verify(actor=request.user)
        return Response(
            {
                "ok": verification.ok,
                "entries_checked": verification.entries_checked,
                "first_bad": verification.first_bad,
            }
        )
