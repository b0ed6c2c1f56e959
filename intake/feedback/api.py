"""``POST /api/v1/feedback/`` and the status lookup ``POST /api/v1/feedback/status/``. HTTP only.

Submitting: a partner channel's API key (``Authorization: Api-Key …``, rate limited per
key, then wrapped in ``idempotent_response``) or no credentials at all (the public form's
callers, rate limited per client address); over a limit, 429 with ``Retry-After``. The
status lookup is public and rate limited, and answers an unknown reference exactly as a
wrong phone. It takes the reference and the phone's last four digits in a JSON body, so
they stay out of URLs and access logs (the old ``GET /api/v1/feedback/{reference}/status/``
is retired: a 404 with ``errors``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.channels import ChannelKeyAuthentication, request_channel
from intake.feedback import submission
from intake.feedback.status import LOOKUP_NOT_FOUND, feedback_status
from intake.idempotency import HEADER, idempotent_response
from intake.models import ChannelKey, FeedbackKind, FeedbackStatus
from intake.ratelimits import LOOKUP_GROUP, SUBMIT_GROUP, key_rate_limited, rate_limited
from intake.upstream.api import SafeJSONParser
from portal.api.errors import error_responses
from portal.api.fields import BoundedDateTimeField


class FeedbackInSerializer(serializers.Serializer):
    """Types and sizes; the content rules (and their messages) are
    ``intake.feedback.submission``'s."""

    kind = serializers.ChoiceField(choices=FeedbackKind.choices)
    name = serializers.CharField(max_length=submission.NAME_MAX_LENGTH, trim_whitespace=True)
    phone = serializers.CharField(
        max_length=submission.PHONE_MAX_LENGTH, help_text="A mainland mobile number."
    )
    description = serializers.CharField(
        min_length=submission.DESCRIPTION_MIN_LENGTH, max_length=submission.DESCRIPTION_MAX_LENGTH
    )
    happened_at = BoundedDateTimeField(required=False, allow_null=True, default=None)
    consent = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Consent to processing financial information; must be true.",
    )
    consent_version = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=submission.CONSENT_VERSION_MAX_LENGTH,
        help_text="The version of the consent text shown; the portal's current one if empty.",
    )
    language = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=10, help_text="zh-hans or en."
    )


class FeedbackCreatedSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=FeedbackStatus.choices)
    case = serializers.IntegerField(allow_null=True)


class FeedbackStatusInSerializer(serializers.Serializer):
    """Presence and size; the four digits' rule (and its message) is ``cases.intake``'s."""

    reference = serializers.CharField(
        max_length=submission.REFERENCE_MAX_LENGTH,
        help_text="The reference number given on submitting, e.g. FB-ABCD EFGH JKMN.",
    )
    phone_last4 = serializers.CharField(
        max_length=submission.PHONE_MAX_LENGTH,
        help_text="The last four digits of the mobile number given.",
    )


class FeedbackStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["received", "in_review", "resolved", "closed", LOOKUP_NOT_FOUND]
    )
    message = serializers.CharField()


def _too_many(retry_after: int, *, per_key: bool = False) -> Response:
    message = (
        _("Too many requests with this API key. Try again in %(s)d seconds.")
        if per_key
        else _("Too many requests from your address. Try again in %(s)d seconds.")
    )
    return Response(
        {"errors": {"non_field_errors": [message % {"s": retry_after}]}},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(retry_after)},
    )


class FeedbackCreateAPI(APIView):
    authentication_classes = [ChannelKeyAuthentication]
    permission_classes = [AllowAny]
    parser_classes = [SafeJSONParser]

    @extend_schema(
        operation_id="feedback_create",
        summary="Submit a customer's feedback (partner channel or public form)",
        request=FeedbackInSerializer,
        parameters=[
            OpenApiParameter(
                HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="Channels only: the same key and body give the same answer.",
            )
        ],
        responses={
            201: FeedbackCreatedSerializer,
            **error_responses(
                400,
                429,
                descriptions={
                    401: "Wrong or revoked API key.",
                    429: "Too many requests from the address, or with the API key.",
                    409: "Idempotency key reused.",
                },
            ),
        },
    )
    def post(self, request: Request) -> Response:
        channel = request_channel(request)
        if channel is None:
            retry_after = rate_limited(
                request._request, group=SUBMIT_GROUP, rate=settings.INTAKE_RATE_SUBMIT
            )
            if retry_after is not None:
                return _too_many(retry_after)
            return self._create(request, channel=None)
        # Each partner key has its own allowance, counted before the idempotency replay so
        # retries of one request count too.
        channel_key = request.auth  # ChannelKeyAuthentication authenticated the channel
        assert isinstance(channel_key, ChannelKey)
        retry_after = key_rate_limited(
            request._request, key_id=channel_key.pk, rate=settings.INTAKE_RATE_PARTNER_KEY
        )
        if retry_after is not None:
            return _too_many(retry_after, per_key=True)
        return idempotent_response(
            request=request,
            channel=channel,
            endpoint="feedback",
            handler=lambda: self._create(request, channel=channel),
        )

    def _create(self, request: Request, *, channel: Any) -> Response:
        incoming = FeedbackInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        feedback = submission.feedback_submit(
            kind=data["kind"],
            name=data["name"],
            phone=data["phone"],
            description=data["description"],
            happened_at=data["happened_at"],
            consent=data["consent"],
            consent_version=data["consent_version"],
            language=data["language"] or translation.get_language() or "zh-hans",
            channel=channel,
        )
        # After processing when jobs run in-process (``make run``), else ``received``.
        return Response(
            {"reference": feedback.reference, "status": feedback.status, "case": feedback.case_id},
            status=status.HTTP_201_CREATED,
        )


def _lookup_limited(request: HttpRequest) -> Response | None:
    """The lookup counts against one group with the status page, checked before the input
    is looked at."""
    retry_after = rate_limited(request, group=LOOKUP_GROUP, rate=settings.INTAKE_RATE_LOOKUP)
    return _too_many(retry_after) if retry_after is not None else None


def _status_answer(*, reference: str, phone_last4: str) -> Response:
    """An unknown reference is answered exactly as a wrong phone, after the same work."""
    view = feedback_status(reference=reference, phone_last4=phone_last4)
    return Response({"status": view.status, "message": view.message})


class FeedbackStatusLookupAPI(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [SafeJSONParser]

    @extend_schema(
        operation_id="feedback_status_lookup",
        summary="The status of a submission, by reference and the phone's last four digits",
        description=(
            "Both values travel in the body, so they stay out of URLs and access logs. An "
            "unknown reference and a wrong phone get the same answer (`not_found`)."
        ),
        request=FeedbackStatusInSerializer,
        responses={
            200: FeedbackStatusSerializer,
            **error_responses(
                429, descriptions={400: "Missing fields, or phone_last4 not 4 digits."}
            ),
        },
    )
    def post(self, request: Request) -> Response:
        limited = _lookup_limited(request._request)
        if limited is not None:
            return limited
        incoming = FeedbackStatusInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        return _status_answer(
            reference=incoming.validated_data["reference"],
            phone_last4=incoming.validated_data["phone_last4"],
        )
