"""API v1 for cases, notes, decisions and re-assessment (see ../shared/API.md): HTTP only.

Permissions are the pages': officers, supervisors and auditors read cases; officers and
supervisors write notes, decisions and re-assessments; supervisors approve and reject. An
auditor's token reads and never writes (403). Domain errors map to the contract's error
bodies in ``portal.api.exception_handler`` (Conflict → 409, ValidationError → 400).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import decisions, permissions, policy, services
from cases.models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseStatus,
    Decision,
    Priority,
)
from cases.selectors import case_for_user
from cases.serializers import (
    AssessmentQueuedSerializer,
    CaseDetailSerializer,
    CaseListSerializer,
    DecisionCommentSerializer,
    DecisionCreateSerializer,
    DecisionSerializer,
    NoteCreateSerializer,
    NoteSerializer,
)
from portal.api import allowed_by
from scoring.models import Assessment, Block, ReasonCode
from scoring.serializers import ErrorsSerializer

TIMELINE_LIMIT = 200


CanViewCases = allowed_by(permissions.can_view_cases)
CanWorkCases = allowed_by(permissions.can_work_cases)
CanAddNotes = allowed_by(permissions.can_add_notes)
CanProposeDecisions = allowed_by(decisions.can_propose_decisions)
CanApproveDecisions = allowed_by(decisions.can_approve_decisions)

_ERRORS = {
    400: OpenApiResponse(ErrorsSerializer, description="Invalid input, by field."),
    403: OpenApiResponse(ErrorsSerializer, description="Not allowed for this role or case."),
    404: OpenApiResponse(ErrorsSerializer, description="No such object."),
    409: OpenApiResponse(
        ErrorsSerializer, description="Stale version, already decided, or case closed."
    ),
}


# --- the case list ---------------------------------------------------------------------------


class CaseFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
    category = serializers.ChoiceField(choices=CaseCategory.choices, required=False)
    reason_code = serializers.ChoiceField(
        choices=ReasonCode.choices,
        required=False,
        help_text="The case's main reason or an active block of its line.",
    )
    assignee = serializers.CharField(
        required=False, help_text='"me", "none" (unassigned) or a user id.'
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    sla = serializers.ChoiceField(choices=["breached", "due_soon"], required=False)
    customer = serializers.CharField(
        required=False, max_length=40, help_text="The customer's external id."
    )

    def validate_assignee(self, value: str) -> str:
        if value in {"me", "none"} or value.isdigit():
            return value
        raise serializers.ValidationError('Use "me", "none" or a user id.')


def _cases_filtered(*, user: Any, filters: dict[str, Any]) -> QuerySet[Case]:
    """Cases matching the validated filters (the caller has checked ``view_case``)."""
    cases = Case.objects.select_related("customer", "assignee")
    if "status" in filters:
        cases = cases.filter(status=filters["status"])
    if "category" in filters:
        cases = cases.filter(category=filters["category"])
    if "priority" in filters:
        cases = cases.filter(priority=filters["priority"])
    if "customer" in filters:
        cases = cases.filter(customer__external_id=filters["customer"])
    if "reason_code" in filters:
        code = filters["reason_code"]
        blocked = Block.objects.active().filter(
            credit_line=OuterRef("credit_line"), reason_code=code
        )
        cases = cases.filter(Q(reason_code=code) | Exists(blocked))
    assignee = filters.get("assignee")
    if assignee == "me":
        cases = cases.filter(assignee=user)
    elif assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    elif assignee:
        cases = cases.filter(assignee_id=int(assignee))
    sla = filters.get("sla")
    if sla:
        now = timezone.now()
        cases = cases.filter(status__in=OPEN_STATUSES)
        if sla == "breached":
            cases = cases.filter(sla_due_at__lt=now)
        else:
            soon = now + timedelta(minutes=policy.due_soon_minutes())
            cases = cases.filter(sla_due_at__gte=now, sla_due_at__lte=soon)
    return cases


class CaseCursorPagination(CursorPagination):
    """Keyset pages in queue order: priority, then earliest due, then id."""

    ordering = ("priority", "sla_due_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


_FILTER_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=CaseStatus.values),
    OpenApiParameter("category", OpenApiTypes.STR, enum=CaseCategory.values),
    OpenApiParameter("reason_code", OpenApiTypes.STR, enum=ReasonCode.values),
    OpenApiParameter("assignee", OpenApiTypes.STR, description='"me", "none" or a user id.'),
    OpenApiParameter("priority", OpenApiTypes.INT, enum=Priority.values),
    OpenApiParameter("sla", OpenApiTypes.STR, enum=["breached", "due_soon"]),
    OpenApiParameter("customer", OpenApiTypes.STR, description="The customer's external id."),
]


class CaseListAPI(ListAPIView):
    permission_classes = [IsAuthenticated, CanViewCases]
    serializer_class = CaseListSerializer
    pagination_class = CaseCursorPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Case]:
        filters = CaseFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return _cases_filtered(user=self.request.user, filters=dict(filters.validated_data))

    @extend_schema(
        operation_id="case_list",
        summary="Cases in queue order, filtered; cursor pagination",
        parameters=_FILTER_PARAMETERS,
        responses={200: CaseListSerializer(many=True), 400: _ERRORS[400], 403: _ERRORS[403]},
        tags=["cases"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# --- one case --------------------------------------------------------------------------------


def _case_detail(case: Case) -> dict[str, Any]:
    """The case's detail body: a fixed number of queries, whatever the case holds."""
    blocks = (
        list(Block.objects.active().filter(credit_line_id=case.credit_line_id).order_by("id"))
        if case.credit_line_id
        else []
    )
    latest = (
        Assessment.objects.filter(customer_id=case.customer_id)
        .only("id", "status", "score", "recommended_limit", "finished_at")
        .order_by("-queued_at", "-id")
        .first()
    )
    timeline = list(case.events.order_by("-at", "-id")[:TIMELINE_LIMIT])[::-1]
    context = {"blocks": blocks, "latest_assessment": latest, "timeline": timeline}
    return CaseDetailSerializer(case, context=context).data


def _detail_response(user: Any, case_id: int, code: int = status.HTTP_200_OK) -> Response:
    return Response(_case_detail(case_for_user(user, case_id)), status=code)


class CaseDetailAPI(APIView):
    permission_classes = [IsAuthenticated, CanViewCases]

    @extend_schema(
        operation_id="case_retrieve",
        summary="A case: masked customer, credit line, active blocks, latest assessment, timeline",
        responses={200: CaseDetailSerializer, 403: _ERRORS[403], 404: _ERRORS[404]},
        tags=["cases"],
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail_response(request.user, pk)


class CaseClaimNextAPI(APIView):
    permission_classes = [IsAuthenticated, CanWorkCases]

    @extend_schema(
        operation_id="case_claim_next",
        summary="Claim the most urgent unassigned case; 204 when the queue is empty",
        request=None,
        responses={
            200: CaseDetailSerializer,
            204: OpenApiResponse(description="The queue is empty."),
            403: _ERRORS[403],
            409: OpenApiResponse(ErrorsSerializer, description="At the work-in-progress limit."),
        },
        tags=["cases"],
    )
    def post(self, request: Request) -> Response:
        case = services.case_claim_next(actor=request.user)  # type: ignore[arg-type]
        if case is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return _detail_response(request.user, case.pk)


class CaseNoteCreateAPI(APIView):
    permission_classes = [IsAuthenticated, CanAddNotes]

    @extend_schema(
        operation_id="case_note_create",
        summary="Add a note to a case (from the version it was read at)",
        request=NoteCreateSerializer,
        responses={201: NoteSerializer, **_ERRORS},
        tags=["cases"],
    )
    def post(self, request: Request, pk: int) -> Response:
        case_for_user(request.user, pk)
        data = NoteCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.note_add(
            actor=request.user,  # type: ignore[arg-type]
            case_id=pk,
            body=data.validated_data["body"],
            version=data.validated_data["version"],
        )
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class CaseReassessAPI(APIView):
    permission_classes = [IsAuthenticated, CanWorkCases]

    @extend_schema(
        operation_id="case_reassess",
        summary="Re-run the assessment of the case's customer (a job)",
        request=None,
        responses={202: AssessmentQueuedSerializer, **_ERRORS},
        tags=["cases"],
    )
    def post(self, request: Request, pk: int) -> Response:
        case_for_user(request.user, pk)
        assessment = services.case_reassess(actor=request.user, case_id=pk)  # type: ignore[arg-type]
        return Response(
            {"assessment": assessment.pk, "status": assessment.status},
            status=status.HTTP_202_ACCEPTED,
        )


# --- decisions -------------------------------------------------------------------------------


def _decision_response(decision_id: int, code: int = status.HTTP_200_OK) -> Response:
    decision = Decision.objects.select_related("proposed_by", "approver").get(pk=decision_id)
    return Response(DecisionSerializer(decision).data, status=code)


class CaseDecisionCreateAPI(APIView):
    permission_classes = [IsAuthenticated, CanProposeDecisions]

    @extend_schema(
        operation_id="case_decision_create",
        summary="Decide on a case: applied at once, or proposed when it needs approval",
        request=DecisionCreateSerializer,
        responses={201: DecisionSerializer, **_ERRORS},
        tags=["decisions"],
    )
    def post(self, request: Request, pk: int) -> Response:
        case_for_user(request.user, pk)
        data = DecisionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        decision = decisions.decision_propose(
            actor=request.user,  # type: ignore[arg-type]
            case_id=pk,
            version=fields["version"],
            kind=fields["kind"],
            reason_code=fields["reason_code"],
            justification=fields["justification"],
            usable_limit=fields.get("usable_limit"),
            blocks=fields.get("blocks"),
        )
        return _decision_response(decision.pk, status.HTTP_201_CREATED)


class _DecisionActionAPI(APIView):
    permission_classes = [IsAuthenticated, CanApproveDecisions]
    service: Callable[..., Decision]

    def post(self, request: Request, pk: int) -> Response:
        data = DecisionCommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            decision = type(self).service(
                actor=request.user, decision_id=pk, comment=data.validated_data["comment"]
            )
        except Decision.DoesNotExist:
            raise NotFound() from None
        return _decision_response(decision.pk)


class DecisionApproveAPI(_DecisionActionAPI):
    service = decisions.decision_approve

    @extend_schema(
        operation_id="decision_approve",
        summary="Approve a proposed decision (not your own); it is applied at once",
        request=DecisionCommentSerializer,
        responses={200: DecisionSerializer, **_ERRORS},
        tags=["decisions"],
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class DecisionRejectAPI(_DecisionActionAPI):
    service = decisions.decision_reject

    @extend_schema(
        operation_id="decision_reject",
        summary="Reject a proposed decision with a comment; the case returns to its officer",
        request=DecisionCommentSerializer,
        responses={200: DecisionSerializer, **_ERRORS},
        tags=["decisions"],
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)
