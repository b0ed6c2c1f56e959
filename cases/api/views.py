"""API v1 for cases, notes, decisions and re-assessment (see ../shared/API.md): HTTP only.

Permissions are the pages': officers, supervisors and auditors read cases; officers and
supervisors write notes, decisions and re-assessments; supervisors approve and reject. An
auditor's token reads and never writes (403). Domain errors map to the contract's error
bodies in ``portal.api.errors.exception_handler`` (Conflict → 409, ValidationError → 400).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import permissions
from cases.api.serializers import (
    AssessmentQueuedSerializer,
    CaseDetailSerializer,
    CaseListPageSerializer,
    CaseListSerializer,
    DecisionCommentSerializer,
    DecisionCreateSerializer,
    DecisionSerializer,
    NoteCreateSerializer,
    NoteSerializer,
)
from cases.decisions import services as decisions
from cases.forms import CASE_LIST_MAX_PAGE_SIZE, CaseListQueryForm
from cases.models import Case, CaseCategory, CaseStatus, Decision, Priority
from cases.selectors.detail import case_active_blocks, case_for_user, case_latest_assessment
from cases.selectors.queue import SlaFilter, queue_page
from cases.services.claiming import case_claim_next
from cases.services.notes import note_add
from cases.services.reassess import case_reassess
from portal.api.errors import error_responses
from portal.api.pagination import page_link
from portal.api.permissions import allowed_by
from scoring.models import ReasonCode

TIMELINE_LIMIT = 200


CanViewCases = allowed_by(permissions.can_view_cases)
CanWorkCases = allowed_by(permissions.can_work_cases)
CanAddNotes = allowed_by(permissions.can_add_notes)
CanProposeDecisions = allowed_by(permissions.can_propose_decisions)
CanApproveDecisions = allowed_by(permissions.can_approve_decisions)

_ERRORS = error_responses(
    400,
    404,
    descriptions={
        403: "Not allowed for this role or case.",
        409: "Stale version, already decided, or case closed.",
    },
)


# --- the case list ---------------------------------------------------------------------------


def _form_errors(form: forms.Form) -> dict[str, list[str]]:
    """A form's errors in the contract's shape (``non_field_errors`` for the form's own)."""
    return {
        "non_field_errors" if field == NON_FIELD_ERRORS else field: [str(m) for m in messages]
        for field, messages in form.errors.items()
    }


_FILTER_PARAMETERS = [
    OpenApiParameter(
        "status", OpenApiTypes.STR, enum=CaseStatus.values, description="Empty: every open status."
    ),
    OpenApiParameter("category", OpenApiTypes.STR, enum=CaseCategory.values),
    OpenApiParameter(
        "reason_code",
        OpenApiTypes.STR,
        enum=ReasonCode.values,
        description="The case's main reason or an active block of its credit line.",
    ),
    OpenApiParameter("assignee", OpenApiTypes.STR, description='"me", "none" or a user id.'),
    OpenApiParameter("priority", OpenApiTypes.INT, enum=Priority.values),
    OpenApiParameter(
        "sla",
        OpenApiTypes.STR,
        enum=[SlaFilter.BREACHED.value, SlaFilter.DUE_SOON.value],
        description=(
            "breached: marked breached, past due while open, or closed after its due time; "
            "due_soon: open, not breached, due within the due-soon window."
        ),
    ),
    OpenApiParameter("customer", OpenApiTypes.STR, description="The customer's external id."),
    OpenApiParameter("after", OpenApiTypes.STR, description="From the `next` link."),
    OpenApiParameter("before", OpenApiTypes.STR, description="From the `previous` link."),
    OpenApiParameter(
        "page_size", OpenApiTypes.INT, description=f"Up to {CASE_LIST_MAX_PAGE_SIZE}."
    ),
]


class CaseListAPI(APIView):
    """The queue page's cases (``queue_page``, the filters parsed by the page's
    own ``CaseFilterForm``): the same cases in the same order, in keyset pages as long as
    the page's (50) unless ``page_size`` says otherwise."""

    permission_classes = [IsAuthenticated, CanViewCases]

    @extend_schema(
        operation_id="case_list",
        summary="Cases in queue order, filtered; cursor pagination",
        parameters=_FILTER_PARAMETERS,
        responses={200: CaseListPageSerializer, **error_responses(400, 403)},
        tags=["cases"],
    )
    def get(self, request: Request) -> Response:
        query = CaseListQueryForm(request.query_params)
        if not query.is_valid():
            raise serializers.ValidationError(_form_errors(query))
        page = queue_page(
            user=request.user,
            filters=query.filters(),
            after=query.cleaned_data["after"],
            before=query.cleaned_data["before"],
            page_size=query.cleaned_data["page_size"],
        )
        return Response(
            {
                "results": CaseListSerializer(page.cases, many=True).data,
                "next": page_link(request, param="after", cursor=page.next_cursor, drop=["before"]),
                "previous": page_link(
                    request, param="before", cursor=page.previous_cursor, drop=["after"]
                ),
            }
        )


# --- one case --------------------------------------------------------------------------------


def _case_detail(case: Case) -> dict[str, Any]:
    """The case's detail body: a fixed number of queries, whatever the case holds. Blocks
    and the latest assessment are the case page's (``selectors``): oldest block first, and
    never a shadow run of a challenger scorecard."""
    timeline = list(case.events.order_by("-at", "-id")[:TIMELINE_LIMIT])[::-1]
    context = {
        "blocks": case_active_blocks(case=case),
        "latest_assessment": case_latest_assessment(case=case),
        "timeline": timeline,
    }
    return CaseDetailSerializer(case, context=context).data


def _detail_response(user: Any, case_id: int, code: int = status.HTTP_200_OK) -> Response:
    return Response(_case_detail(case_for_user(user, case_id)), status=code)


class CaseDetailAPI(APIView):
    permission_classes = [IsAuthenticated, CanViewCases]

    @extend_schema(
        operation_id="case_retrieve",
        summary="A case: masked customer, credit line, active blocks, latest assessment, timeline",
        responses={200: CaseDetailSerializer, **error_responses(403, 404)},
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
            **error_responses(403, descriptions={409: "At the work-in-progress limit."}),
        },
        tags=["cases"],
    )
    def post(self, request: Request) -> Response:
        case = case_claim_next(actor=request.user)  # type: ignore[arg-type]
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
        note = note_add(
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
        assessment = case_reassess(actor=request.user, case_id=pk)  # type: ignore[arg-type]
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
            raise NotFound from None
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
