from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

# Only a superuser may grant superuser status or permissions outside the roles: an
# administrator with "change user" could otherwise promote themselves.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "email", "is_active", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    ordering = ("username",)
    readonly_fields = ("last_login", "date_joined")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += SUPERUSER_ONLY_FIELDS
        return readonly


# Authenticator apps change only through audited paths: their owner's page
# (accounts.two_factor) and `manage.py totp_reset`; django-otp's admin would delete unaudited.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
