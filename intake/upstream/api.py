"""``POST /api/v1/signals/``: an upstream system reports an event about a customer. HTTP only.

Authenticated by the channel's API key alone (``Authorization: Api-Key …``); only
upstream channels may call it (a partner channel's key gets 403). Wrapped in
``idempotent_response``: with an ``Idempotency-Key`` the same body gives the same answer.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.channels import ChannelKeyAuthentication, request_channel
from intake.idempotency import HEADER, idempotent_response
from intake.models import Channel, SignalKind, SignalStatus
from intake.upstream import services as signals
from portal.api.errors import error_responses
from portal.api.fields import BoundedDateTimeField

BODY_MAX_BYTES = 16 * 1024


class SafeJSONParser(JSONParser):
    """JSON with a size cap, and absurd nesting answered as a 400 instead of a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if length > BODY_MAX_BYTES:
            raise ParseError(_("The body is at most %(n)d bytes.") % {"n": BODY_MAX_BYTES})
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("The JSON is nested too deeply.")) from exc


class IsUpstreamChannel(BasePermission):
    message = _("Only upstream systems may send signals; this key belongs to a partner channel.")

    def has_permission(self, request: Any, view: Any) -> bool:
        channel = request_channel(request)
        return channel is not None and channel.kind == Channel.Kind.UPSTREAM


class SignalKindField(serializers.ChoiceField):
    """A signal type; an unknown one is named in the error."""

    def __init__(self, **kwargs: Any) -> None:
        invalid = _("Unknown signal type “{input}”.")
        super().__init__(
            choices=SignalKind.choices, error_messages={"invalid_choice": invalid}, **kwargs
        )


class SignalStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=SignalStatus.choices, **kwargs)


class SignalInSerializer(serializers.Serializer):
    event_id = serializers.CharField(
        max_length=signals.EVENT_ID_MAX_LENGTH,
        help_text="The sender's own id of the event; a repeat is stored once.",
    )
    customer = serializers.CharField(max_length=40, help_text="The customer's external id.")
    credit_line = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="The credit line's id, if known."
    )
    occurred_at = BoundedDateTimeField(help_text="When it happened, with a time zone.")
    details = serializers.DictField(
        required=False,
        default=dict,
        help_text=(
            "Codes and ids only (no personal data, no fractions), at most 2 KB. Read: "
            '"decline_code" ("system_error", "timeout", or the sender\'s own code) and '
            '"operation" ("payment" or "activation").'
        ),
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "type" is the documented name; "kind" is accepted as an alias. Declared here
        # because a class attribute named "type" would shadow the builtin.
        fields["type"] = SignalKindField(
            required=False,
            help_text='What happened. The documented field; "kind" is accepted as an alias.',
        )
        fields["kind"] = SignalKindField(
            required=False,
            help_text='Alias of "type".',
        )
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = {attrs.get("type"), attrs.get("kind")} - {None}
        if not given:
            raise serializers.ValidationError({"type": [_("This field is required.")]})
        if len(given) > 1:
            raise serializers.ValidationError({"type": [_("“type” and “kind” disagree.")]})
        attrs["type"] = given.pop()
        return attrs


class SignalAcceptedSerializer(serializers.Serializer):
    signal = serializers.IntegerField()
    status = SignalStatusField()
    case = serializers.IntegerField(allow_null=True)
    duplicate = serializers.BooleanField(
        help_text="True when this event id was already received (nothing new was stored)."
    )


class SignalReceiveAPI(APIView):
    authentication_classes = [ChannelKeyAuthentication]
    permission_classes = [IsUpstreamChannel]
    parser_classes = [SafeJSONParser]

    @extend_schema(
        operation_id="signal_receive",
        summary="Report an upstream event about a customer",
        request=SignalInSerializer,
        parameters=[
            OpenApiParameter(
                HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description=(
                    "1 to 255 printable characters. The same key and body give the same "
                    "answer (header Idempotent-Replayed: true); another body is a 409."
                ),
            )
        ],
        responses={
            202: SignalAcceptedSerializer,
            **error_responses(
                400,
                descriptions={
                    401: "Missing, wrong or revoked key.",
                    403: "Not an upstream channel.",
                    409: "Idempotency-Key reused with another body.",
                },
            ),
        },
    )
    def post(self, request: Request) -> Response:
        channel = request_channel(request)
        assert channel is not None  # IsUpstreamChannel

        def receive() -> Response:
            payload = SignalInSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            data = payload.validated_data
            signal, created = signals.signal_receive(
                channel=channel,
                event_id=data["event_id"],
                kind=data["type"],
                customer_external_id=data["customer"],
                credit_line_id=data.get("credit_line"),
                occurred_at=data["occurred_at"],
                details=data.get("details") or {},
            )
            body = {
                "signal": signal.pk,
                "status": signal.status,
                "case": signal.case_id,
                "duplicate": not created,
            }
            return Response(body, status=status.HTTP_202_ACCEPTED)

        return idempotent_response(
            request=request, channel=channel, endpoint="signals", handler=receive
        )
