"""API v1 for staff administration (see ../shared/API.md): HTTP only.

Administrators list staff, invite, propose role changes and (de)activation; another
administrator approves or rejects. Refusals are 403, a clash with the current state 409,
bad input 400, each with an ``errors`` body (``portal.api.errors``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import RoleChangeRequest, User
from accounts.permissions import can_administer_staff
from accounts.roles import Role, role_labels
from accounts.staff import selectors, services
from portal.api.errors import error_responses
from portal.api.permissions import allowed_by

CanAdministerStaff = allowed_by(can_administer_staff)

_ERRORS = error_responses(
    400,
    404,
    descriptions={
        403: "Not an administrator, one's own account, or one's own proposal.",
        409: "Already decided, already the account's state, or a change already waiting.",
    },
)

ROLE_CHOICES = [role.value for role in Role]


class StaffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    is_active = serializers.BooleanField()
    roles = serializers.ListField(child=serializers.CharField(), help_text="Role codes.")
    role_names = serializers.ListField(
        child=serializers.CharField(), help_text="Role names in the caller's language."
    )
    pending_change = serializers.IntegerField(allow_null=True)


class StaffListSerializer(serializers.Serializer):
    results = StaffSerializer(many=True)
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)


class RoleChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")
    kind = serializers.CharField()
    state = serializers.CharField()
    roles_before = serializers.ListField(child=serializers.CharField())
    roles_requested = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()
    proposed_by = serializers.CharField(source="proposed_by.username")
    proposed_at = serializers.DateTimeField(read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    comment = serializers.CharField()


class InviteSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    first_name = serializers.CharField(max_length=150, required=False, default="")
    last_name = serializers.CharField(max_length=150, required=False, default="")
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLE_CHOICES))
    reason = serializers.CharField(max_length=services.REASON_MAX_LENGTH)


class RolesSerializer(serializers.Serializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=ROLE_CHOICES), allow_empty=True
    )
    reason = serializers.CharField(max_length=services.REASON_MAX_LENGTH)


class ActivationSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    reason = serializers.CharField(max_length=services.REASON_MAX_LENGTH)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=services.REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


def _staff_row(user: User) -> dict[str, Any]:
    open_requests = getattr(user, "open_requests", [])
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.get_full_name(),
        "is_active": user.is_active,
        "roles": selectors.staff_role_codes(user),
        "role_names": role_labels(user.role_names),
        "pending_change": open_requests[0].pk if open_requests else None,
    }


def _change_response(change_id: int, code: int = status.HTTP_200_OK) -> Response:
    change = RoleChangeRequest.objects.select_related("user", "proposed_by", "decided_by").get(
        pk=change_id
    )
    return Response(RoleChangeSerializer(change).data, status=code)


class StaffAPI(APIView):
    permission_classes = [IsAuthenticated, CanAdministerStaff]

    @extend_schema(
        operation_id="staff_list",
        summary="Staff accounts with their roles (codes and names) and any waiting change",
        responses={200: StaffListSerializer, **_ERRORS},
        tags=["staff"],
    )
    def get(self, request: Request) -> Response:
        rows = [_staff_row(user) for user in selectors.staff_list()]
        return Response({"results": rows, "next": None, "previous": None})

    @extend_schema(
        operation_id="staff_invite",
        summary="Create an inactive account and propose its roles (a second admin approves)",
        request=InviteSerializer,
        responses={201: RoleChangeSerializer, **_ERRORS},
        tags=["staff"],
    )
    def post(self, request: Request) -> Response:
        data = InviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.staff_invite(
            actor=request.user,  # type: ignore[arg-type]
            **data.validated_data,
        )
        return _change_response(change.pk, status.HTTP_201_CREATED)


class StaffRolesAPI(APIView):
    permission_classes = [IsAuthenticated, CanAdministerStaff]

    @extend_schema(
        operation_id="staff_roles_propose",
        summary="Propose the roles an account should hold (never one's own)",
        request=RolesSerializer,
        responses={201: RoleChangeSerializer, **_ERRORS},
        tags=["staff"],
    )
    def post(self, request: Request, pk: int) -> Response:
        if not User.objects.filter(pk=pk).exists():
            raise NotFound
        data = RolesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.staff_roles_propose(
            actor=request.user,  # type: ignore[arg-type]
            user_id=pk,
            **data.validated_data,
        )
        return _change_response(change.pk, status.HTTP_201_CREATED)


class StaffActivationAPI(APIView):
    permission_classes = [IsAuthenticated, CanAdministerStaff]

    @extend_schema(
        operation_id="staff_activation_propose",
        summary="Propose to deactivate or reactivate an account (never one's own)",
        request=ActivationSerializer,
        responses={201: RoleChangeSerializer, **_ERRORS},
        tags=["staff"],
    )
    def post(self, request: Request, pk: int) -> Response:
        if not User.objects.filter(pk=pk).exists():
            raise NotFound
        data = ActivationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.staff_activation_propose(
            actor=request.user,  # type: ignore[arg-type]
            user_id=pk,
            **data.validated_data,
        )
        return _change_response(change.pk, status.HTTP_201_CREATED)


class RoleChangeListAPI(APIView):
    permission_classes = [IsAuthenticated, CanAdministerStaff]

    @extend_schema(
        operation_id="staff_role_changes_pending",
        summary="Staff changes waiting for a second administrator",
        responses={200: RoleChangeSerializer(many=True), **_ERRORS},
        tags=["staff"],
    )
    def get(self, request: Request) -> Response:
        changes = selectors.staff_changes_pending()
        return Response(RoleChangeSerializer(changes, many=True).data)


class RoleChangeApproveAPI(APIView):
    permission_classes = [IsAuthenticated, CanAdministerStaff]

    @extend_schema(
        operation_id="staff_role_change_approve",
        summary="Approve a staff change proposed by another administrator; applied at once",
        request=CommentSerializer,
        responses={200: RoleChangeSerializer, **_ERRORS},
        tags=["staff"],
    )
    def post(self, request: Request, pk: int) -> Response:
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            change = services.staff_change_approve(
                actor=request.user,  # type: ignore[arg-type]
                request_id=pk,
                comment=data.validated_data["comment"],
            )
        except RoleChangeRequest.DoesNotExist:
            raise NotFound from None
        return _change_response(change.pk)


class RoleChangeRejectAPI(APIView):
    permission_classes = [IsAuthenticated, CanAdministerStaff]

    @extend_schema(
        operation_id="staff_role_change_reject",
        summary="Reject a staff change proposed by another administrator, with a comment",
        request=CommentSerializer,
        responses={200: RoleChangeSerializer, **_ERRORS},
        tags=["staff"],
    )
    def post(self, request: Request, pk: int) -> Response:
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            change = services.staff_change_reject(
                actor=request.user,  # type: ignore[arg-type]
                request_id=pk,
                comment=data.validated_data["comment"],
            )
        except RoleChangeRequest.DoesNotExist:
            raise NotFound from None
        return _change_response(change.pk)
