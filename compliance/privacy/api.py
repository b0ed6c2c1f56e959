"""API v1 for data-subject requests (privacy officers; auditors read): HTTP only.

``GET privacy/requests/`` lists them as the page does; ``POST privacy/requests/`` records a
request; ``GET privacy/requests/{id}/`` reads it;
``POST …/{id}/fulfil/`` and ``POST …/{id}/refuse/`` close it; ``GET …/{id}/export/`` gives
the person's data for a fulfilled access or copy request (built now, a logged reveal).
Domain errors map in ``portal.api.errors.exception_handler`` (Conflict → 409,
ValidationError → 400).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.security import client_ip_address
from compliance.models import DataSubjectRequest, RequestChannel, RequestKind, RequestStatus
from compliance.permissions import (
    can_add_requests,
    can_download_exports,
    can_fulfil_requests,
    can_view_requests,
)
from compliance.privacy import services as privacy
from compliance.privacy.forms import parse_request_filters
from compliance.privacy.selectors import REQUESTS, privacy_request_page
from portal.api.errors import error_responses
from portal.api.fields import BoundedDateTimeField
from portal.api.pagination import page_link
from portal.api.permissions import allowed_by

CanViewRequests = allowed_by(can_view_requests)
CanAddRequests = allowed_by(can_add_requests)
CanFulfilRequests = allowed_by(can_fulfil_requests)
CanDownloadExports = allowed_by(can_download_exports)


_ERRORS = error_responses(
    400,
    403,
    descriptions={404: "No such request.", 409: "Already closed, or a stale version."},
)


class PrivacyRequestSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_id", read_only=True)
    customer_name = serializers.CharField(
        source="customer.masked_name", read_only=True, help_text="Masked."
    )
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    closed_by = serializers.CharField(
        source="closed_by.username", read_only=True, allow_null=True, default=None
    )
    deadline = serializers.SerializerMethodField(
        help_text='"overdue", "due_soon" or "" (closed requests: "").'
    )

    class Meta:
        model = DataSubjectRequest
        fields = [
            "id",
            "customer",
            "customer_name",
            "kind",
            "channel",
            "received_at",
            "due_at",
            "deadline",
            "status",
            "outcome",
            "refusal_reason",
            "result",
            "created_by",
            "created_at",
            "closed_by",
            "closed_at",
            "version",
        ]
        read_only_fields = fields

    def get_deadline(self, obj: DataSubjectRequest) -> str:
        return privacy.request_deadline_state(obj)


class PrivacyRequestCreateSerializer(serializers.Serializer):
    customer = serializers.CharField(max_length=40, help_text="The customer's external id.")
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    channel = serializers.ChoiceField(choices=RequestChannel.choices)
    received_at = BoundedDateTimeField(
        required=False, help_text="When the request was received (default: now)."
    )


class PrivacyRequestFulfilSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version the request was read at.")
    outcome = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    corrections = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=100),
        required=False,
        help_text='For "correct" requests: any of name, phone, national_id, city.',
    )


class PrivacyRequestRefuseSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version the request was read at.")
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, default="", help_text="Required."
    )


def _request(pk: int) -> DataSubjectRequest:
    try:
        return privacy.privacy_request_get(request_id=pk)
    except DataSubjectRequest.DoesNotExist:
        raise NotFound from None


def _body(pk: int, code: int = status.HTTP_200_OK) -> Response:
    return Response(PrivacyRequestSerializer(_request(pk)).data, status=code)


class PrivacyRequestPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PrivacyRequestSerializer(many=True)


class PrivacyRequestCreateAPI(APIView):
    """``GET`` lists the requests as the privacy page does (the same parser and selector);
    ``POST`` records one."""

    def get_permissions(self) -> list[Any]:
        may = CanViewRequests if self.request.method in ("GET", "HEAD") else CanAddRequests
        return [IsAuthenticated(), may()]

    @extend_schema(
        operation_id="privacy_request_list",
        summary="Requests, open first by deadline, then the closed; filtered, 50 a page by default",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(RequestStatus.values)),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=list(RequestKind.values)),
            OpenApiParameter(
                "cursor", OpenApiTypes.STR, description="From the `next` or `previous` link."
            ),
            OpenApiParameter(
                "page_size",
                OpenApiTypes.INT,
                description=f"Rows per page, up to {REQUESTS.max_page_size}.",
            ),
        ],
        responses={200: PrivacyRequestPageSerializer, **error_responses(400, 403)},
        tags=["privacy"],
    )
    def get(self, request: Request) -> Response:
        filters, cursor, page_size = parse_request_filters(request.query_params)  # 400 by field
        page = privacy_request_page(filters, cursor, page_size=page_size)
        return Response(
            {
                "next": page_link(request, param="cursor", cursor=page.next_cursor),
                "previous": page_link(request, param="cursor", cursor=page.previous_cursor),
                "results": PrivacyRequestSerializer(page.rows, many=True).data,
            }
        )

    @extend_schema(
        operation_id="privacy_request_create",
        summary="Record a data-subject request; due PRIVACY_REQUEST_DUE_DAYS after receipt",
        request=PrivacyRequestCreateSerializer,
        responses={201: PrivacyRequestSerializer, **error_responses(400, 403)},
        tags=["privacy"],
    )
    def post(self, request: Request) -> Response:
        data = PrivacyRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer_id = privacy.customer_id_for(data.validated_data["customer"])
        if customer_id is None:
            raise ValidationError({"customer": [_("No such customer.")]})
        created = privacy.privacy_request_create(
            actor=request.user,  # type: ignore[arg-type]
            customer_id=customer_id,
            kind=data.validated_data["kind"],
            channel=data.validated_data["channel"],
            received_at=data.validated_data.get("received_at"),
        )
        return _body(created.pk, status.HTTP_201_CREATED)


class PrivacyRequestDetailAPI(APIView):
    permission_classes = [IsAuthenticated, CanViewRequests]

    @extend_schema(
        operation_id="privacy_request_retrieve",
        summary="A data-subject request with its deadline state and result",
        responses={
            200: PrivacyRequestSerializer,
            **error_responses(403, descriptions={404: "No such request."}),
        },
        tags=["privacy"],
    )
    def get(self, request: Request, pk: int) -> Response:
        return _body(pk)


class PrivacyRequestFulfilAPI(APIView):
    permission_classes = [IsAuthenticated, CanFulfilRequests]

    @extend_schema(
        operation_id="privacy_request_fulfil",
        summary="Do what the request asks and close it as fulfilled",
        description=(
            "access/copy: prepare the export (download it from export/); correct: change the "
            "fields in `corrections`; explain: the plain explanation of the latest automated "
            "decision (in `result.explanation`); human_review: open a human-review case "
            "(`result.case`); withdraw_consent: record the withdrawal; delete: erase the "
            "customer's personal data (400 under legal hold). To refuse, use refuse/."
        ),
        request=PrivacyRequestFulfilSerializer,
        responses={200: PrivacyRequestSerializer, **_ERRORS},
        tags=["privacy"],
    )
    def post(self, request: Request, pk: int) -> Response:
        _request(pk)
        data = PrivacyRequestFulfilSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        privacy.privacy_request_fulfil(
            actor=request.user,  # type: ignore[arg-type]
            request_id=pk,
            outcome=data.validated_data["outcome"],
            version=data.validated_data["version"],
            corrections=data.validated_data.get("corrections"),
        )
        return _body(pk)


class PrivacyRequestRefuseAPI(APIView):
    permission_classes = [IsAuthenticated, CanFulfilRequests]

    @extend_schema(
        operation_id="privacy_request_refuse",
        summary="Close a request as refused; a reason is required",
        request=PrivacyRequestRefuseSerializer,
        responses={200: PrivacyRequestSerializer, **_ERRORS},
        tags=["privacy"],
    )
    def post(self, request: Request, pk: int) -> Response:
        _request(pk)
        data = PrivacyRequestRefuseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        privacy.privacy_request_refuse(
            actor=request.user,  # type: ignore[arg-type]
            request_id=pk,
            reason=data.validated_data["reason"],
            version=data.validated_data["version"],
        )
        return _body(pk)


class PrivacyRequestExportAPI(APIView):
    permission_classes = [IsAuthenticated, CanDownloadExports]

    @extend_schema(
        operation_id="privacy_request_export",
        summary="The person's data for a fulfilled access or copy request (logged reveal)",
        description=(
            "Built on each call and never stored; each call writes a personal-data access "
            "row naming the request. Plain personal values: handle as the person's data."
        ),
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The export document."),
            **error_responses(
                403,
                descriptions={
                    404: "No such request.",
                    409: "Not an access or copy request, or not fulfilled yet.",
                },
            ),
        },
        tags=["privacy"],
    )
    def get(self, request: Request, pk: int) -> Response:
        _request(pk)
        document: dict[str, Any] = privacy.privacy_request_export(
            actor=request.user,  # type: ignore[arg-type]
            request_id=pk,
            ip_address=client_ip_address(request),
        )
        response = Response(document)
        response["Cache-Control"] = "no-store"
        return response
