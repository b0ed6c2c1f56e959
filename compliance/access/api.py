"""API v1: the personal-data access log for auditors (see ../shared/API.md): HTTP only.

``GET /api/v1/audit/personal-data-access/``: who revealed which personal fields of whom,
when, why and from where; filters ``actor`` (username), ``customer`` (id or external id),
``since``, ``until`` (ISO 8601) and ``purpose`` (text it contains); newest first, cursor
pagination. Auditors only (``scoring.view_personaldataaccess``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from compliance.access.selectors import accesses, filters_from_params
from compliance.permissions import can_view_access_log
from portal.api.errors import error_responses
from portal.api.pagination import KeysetPagination
from portal.api.permissions import allowed_by
from scoring.customers.access import PersonalDataAccess, PersonalField

CanViewAccessLog = allowed_by(can_view_access_log)


class PersonalDataAccessSerializer(serializers.ModelSerializer):
    """One reveal. Field names only; the customer by id and external id, never a value."""

    actor = serializers.CharField(source="actor_label", help_text="The username.")
    actor_id = serializers.IntegerField()
    customer = serializers.IntegerField(source="customer_id")
    customer_external_id = serializers.CharField()
    case = serializers.IntegerField(source="case_id", allow_null=True)
    request = serializers.IntegerField(
        source="request_id", allow_null=True, help_text="The data-subject request it served."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # Declared here: a class attribute named "fields" would hide ``Serializer.fields``.
        fields = super().get_fields()
        fields["fields"] = serializers.ListField(
            child=serializers.ChoiceField(choices=PersonalField.choices),
            help_text="The personal fields revealed (names, not values).",
        )
        return fields

    class Meta:
        model = PersonalDataAccess
        fields = [
            "id",
            "at",
            "actor",
            "actor_id",
            "customer",
            "customer_external_id",
            "fields",
            "purpose_code",
            "purpose",
            "case",
            "request",
            "source",
            "ip_address",
        ]
        read_only_fields = fields  # an answer, never input


class AccessCursorPagination(KeysetPagination):
    """Newest first, by id (unique, so a cursor never skips or repeats a row)."""

    ordering = ("-id",)
    page_size = 50
    max_page_size = 200


_ERRORS = error_responses(descriptions={400: "Invalid filters, by field.", 403: "Not an auditor."})


class PersonalDataAccessListAPI(ListAPIView):
    permission_classes = [IsAuthenticated, CanViewAccessLog]
    serializer_class = PersonalDataAccessSerializer
    pagination_class = AccessCursorPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[PersonalDataAccess]:
        # ValidationError (by field) → 400 in portal.api.errors.exception_handler.
        return accesses(filters_from_params(self.request.query_params))

    @extend_schema(
        operation_id="personal_data_access_list",
        summary="Who revealed which personal fields, when and why; cursor pagination",
        parameters=[
            OpenApiParameter("actor", OpenApiTypes.STR, description="A username."),
            OpenApiParameter(
                "customer", OpenApiTypes.STR, description="A customer's id or external id."
            ),
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
            OpenApiParameter("purpose", OpenApiTypes.STR, description="Text it contains."),
        ],
        responses={200: PersonalDataAccessSerializer(many=True), **_ERRORS},
        tags=["audit"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
