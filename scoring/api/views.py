"""API v1 for assessments and bulk re-assessments (see ../shared/API.md): HTTP only.

Permissions are the pages': officers, supervisors and auditors read assessments;
supervisors start, cancel and resume bulk jobs; auditors read bulk jobs. An auditor's token
reads and never writes (403). Domain errors map to the contract's error bodies in
``portal.api.errors.exception_handler``.
"""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.security import client_ip_address
from portal.api.errors import error_responses
from portal.api.permissions import allowed_by
from scoring import permissions, selectors
from scoring.api.serializers import (
    AssessmentSerializer,
    BulkJobAcceptedSerializer,
    BulkJobCreateSerializer,
    BulkJobProgressSerializer,
    RevealAllowanceRequestSerializer,
    RevealAllowanceSerializer,
    RevealRequestSerializer,
    RevealResponseSerializer,
)
from scoring.assessments import bulk
from scoring.customers.access import AccessSource
from scoring.customers.budget import reveal_allowance_grant
from scoring.customers.reveal import customer_reveal_with_access
from scoring.models import Assessment, BulkJob, Customer

CanViewAssessments = allowed_by(permissions.can_view_assessments)
CanViewBulkJobs = allowed_by(permissions.can_view_bulk_jobs)
CanStartBulkJobs = allowed_by(permissions.can_start_bulk_jobs)
CanManageBulkJobs = allowed_by(permissions.can_manage_bulk_jobs)
CanRevealPersonalData = allowed_by(permissions.can_reveal_personal_data)
CanGrantRevealAllowances = allowed_by(permissions.can_grant_reveal_allowances)


def _progress_response(job_id: int, code: int = status.HTTP_200_OK) -> Response:
    progress = selectors.bulk_job_progress(job_id=job_id)
    return Response(BulkJobProgressSerializer(progress).data, status=code)


class AssessmentDetailAPI(APIView):
    permission_classes = [IsAuthenticated, CanViewAssessments]

    @extend_schema(
        operation_id="assessment_retrieve",
        summary="An assessment: status, score, contributions, rule hits, ranked reasons",
        responses={200: AssessmentSerializer, **error_responses(403, 404)},
        tags=["assessments"],
    )
    def get(self, request: Request, pk: int) -> Response:
        try:
            assessment = selectors.assessment_detail(assessment_id=pk)
        except Assessment.DoesNotExist:
            raise NotFound from None
        return Response(AssessmentSerializer(assessment).data)


class BulkJobCreateAPI(APIView):
    permission_classes = [IsAuthenticated, CanStartBulkJobs]

    @extend_schema(
        operation_id="assessment_bulk_create",
        summary="Start re-assessing every customer matching a filter",
        request=BulkJobCreateSerializer,
        responses={202: BulkJobAcceptedSerializer, **error_responses(400, 403)},
        tags=["assessments"],
    )
    def post(self, request: Request) -> Response:
        serializer = BulkJobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = bulk.bulk_job_start(
            actor=request.user,  # type: ignore[arg-type]
            filters=serializer.filters(),
            scorecard_id=serializer.validated_data.get("scorecard"),
        )
        return Response({"job": job.pk, "status": job.status}, status=status.HTTP_202_ACCEPTED)


class BulkJobDetailAPI(APIView):
    permission_classes = [IsAuthenticated, CanViewBulkJobs]

    @extend_schema(
        operation_id="assessment_bulk_retrieve",
        summary="Progress of a bulk re-assessment",
        responses={200: BulkJobProgressSerializer, **error_responses(403, 404)},
        tags=["assessments"],
    )
    def get(self, request: Request, pk: int) -> Response:
        try:
            return _progress_response(pk)
        except BulkJob.DoesNotExist:
            raise NotFound from None


class _BulkJobActionAPI(APIView):
    permission_classes = [IsAuthenticated, CanManageBulkJobs]
    service: Callable[..., BulkJob]

    def post(self, request: Request, pk: int) -> Response:
        if not BulkJob.objects.filter(pk=pk).exists():
            raise NotFound
        type(self).service(actor=request.user, job_id=pk)
        return _progress_response(pk)


_ACTION_RESPONSES = {
    200: BulkJobProgressSerializer,
    **error_responses(403, 404, descriptions={409: "Not in a state that allows it."}),
}


class BulkJobCancelAPI(_BulkJobActionAPI):
    service = bulk.bulk_job_cancel

    @extend_schema(
        operation_id="assessment_bulk_cancel",
        summary="Cancel a queued or running bulk re-assessment",
        request=None,
        responses=_ACTION_RESPONSES,
        tags=["assessments"],
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class BulkJobResumeAPI(_BulkJobActionAPI):
    service = bulk.bulk_job_resume

    @extend_schema(
        operation_id="assessment_bulk_resume",
        summary="Resume a cancelled bulk re-assessment (customers not yet assessed in it)",
        request=None,
        responses=_ACTION_RESPONSES,
        tags=["assessments"],
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


# --- revealing personal fields ----------------------------------------------------------------


class CustomerRevealAPI(APIView):
    """Plain values of a customer's personal fields for a stated purpose and the actor's own
    work (a case or a data-subject request; 403 with an ``errors`` body, audited, outside
    it); every call that answers 200 wrote one access-log row and one audit entry. Never
    cached."""

    permission_classes = [IsAuthenticated, CanRevealPersonalData]

    @extend_schema(
        operation_id="customer_reveal",
        summary="Reveal personal fields of a customer for a stated purpose (logged)",
        request=RevealRequestSerializer,
        responses={
            200: RevealResponseSerializer,
            **error_responses(400, 403, 404),
        },
        tags=["customers"],
    )
    def post(self, request: Request, pk: int) -> Response:
        serializer = RevealRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            reveal = customer_reveal_with_access(
                actor=request.user,  # type: ignore[arg-type]
                customer_id=pk,
                fields=data["fields"],
                purpose=data["purpose"],
                purpose_code=data["purpose_code"],
                case_id=data.get("case"),
                request_id=data.get("request"),
                source=AccessSource.API,
                ip_address=client_ip_address(request),
            )
        except Customer.DoesNotExist:
            raise NotFound from None
        body = {
            "customer": reveal.customer_id,
            "fields": reveal.values,
            "access": reveal.access_id,
            "empty_fields": reveal.empty_fields,
        }
        response = Response(RevealResponseSerializer(body).data)
        response["Cache-Control"] = "no-store"
        return response


class RevealAllowanceCreateAPI(APIView):
    """A supervisor approves extra reveals for a colleague, for today (audited)."""

    permission_classes = [IsAuthenticated, CanGrantRevealAllowances]

    @extend_schema(
        operation_id="reveal_allowance_create",
        summary="Grant a colleague extra reveals for today, beyond the daily budget",
        request=RevealAllowanceRequestSerializer,
        responses={201: RevealAllowanceSerializer, **error_responses(400, 403)},
        tags=["customers"],
    )
    def post(self, request: Request) -> Response:
        serializer = RevealAllowanceRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        allowance = reveal_allowance_grant(
            actor=request.user,  # type: ignore[arg-type]
            user_id=data["user"],
            extra=data["extra"],
            reason=data["reason"],
        )
        return Response(RevealAllowanceSerializer(allowance).data, status=status.HTTP_201_CREATED)
