"""The Django admin for staff: read-only. Roles, activation and new accounts change on the
portal's staff pages (``accounts.staff``), under four-eyes; the admin only shows accounts
and keeps what has no portal page: lifting sign-in lockouts, which is audited here."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from audit.actions import AuditAction
from audit.log import audit_record


def _point_to_portal(request: HttpRequest) -> None:
    messages.info(
        request,
        format_html(
            _(
                "Staff accounts are read-only here. Invite, deactivate and change roles on "
                'the <a href="{}">staff page</a>, where a second administrator approves.'
            ),
            reverse("staff:list"),
        ),
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Shows staff; changes nothing (no groups, permissions, password or activation
    editing, no adding or deleting, for superusers too)."""

    list_display = ("username", "first_name", "last_name", "email", "is_active", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username",)}),
        (None, {"fields": ("first_name", "last_name", "email")}),
        (None, {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (None, {"fields": ("last_login", "date_joined")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        _point_to_portal(request)
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        _point_to_portal(request)
        return super().change_view(request, object_id, form_url, extra_context)


def _lockout_lifted(request: HttpRequest, attempts: list[AccessAttempt]) -> None:
    for attempt in attempts:
        account = User.objects.filter(username=attempt.username).first()
        audit_record(
            actor=request.user,
            action=AuditAction.AUTH_LOCKOUT_LIFTED,
            target=account,
            data={
                "ip": attempt.ip_address,
                "known_account": account is not None,
                "failures": attempt.failures_since_start,
            },
        )


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    """Lifting a lockout (deleting its attempt) is the admin's one write; each is audited."""

    @transaction.atomic
    def delete_model(self, request: HttpRequest, obj: AccessAttempt) -> None:
        _lockout_lifted(request, [obj])
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        _lockout_lifted(request, list(queryset))
        super().delete_queryset(request, queryset)


# Authenticator apps change only through audited paths: their owner's page
# (accounts.two_factor) and `manage.py totp_reset`; django-otp's admin would delete unaudited.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


class GroupAdmin(admin.ModelAdmin):
    """Roles and their permissions come from data migrations: shown, never edited here."""

    list_display = ("name",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


if admin.site.is_registered(Group):
    admin.site.unregister(Group)
admin.site.register(Group, GroupAdmin)
