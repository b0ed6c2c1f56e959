"""Read-only admin views of the audit log (the auditor's pages are the main way in)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEntry, ChainVerification


class _ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(_ReadOnlyAdmin):
    list_display = ("id", "created_at", "actor_label", "action", "target_type", "target_id")
    list_select_related = ("actor",)
    search_fields = ("=action", "=actor_label", "=target_id")
    date_hierarchy = None
    ordering = ("-id",)


@admin.register(ChainVerification)
class ChainVerificationAdmin(_ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "ok", "entries_checked", "first_bad")
    ordering = ("-created_at",)
