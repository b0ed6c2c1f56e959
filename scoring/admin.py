"""Read-only admin for customers, credit lines and blocks: masked, with their history.

Every change goes through the services (``scoring.customers.services``,
``scoring.lines.services``, ``scoring.lines.blocks``: history reason and audit entry
together), so the admin adds, changes and deletes nothing. Personal fields are shown masked, in the
lists, the detail pages and the history diffs alike.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from portal.pii.masking import mask
from scoring.models import Block, CreditLine, Customer

# Model field → masking kind; hashes are shown as a placeholder (they identify as well).
_MASKED_FIELDS = {"name": "name", "phone": "phone", "national_id": "id_number"}
_HIDDEN_FIELDS = {"name_hash", "phone_hash", "national_id_hash"}


class MaskingHistoryHelper(HistoricalRecordContextHelper):
    """History diffs with personal fields masked and hashes hidden."""

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        if change.field in _MASKED_FIELDS:
            return mask(_MASKED_FIELDS[change.field], value)
        if change.field in _HIDDEN_FIELDS:
            return "…" if value else ""
        return super().prepare_delta_change_value(change, value)


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(ReadOnlyHistoryAdmin):
    list_display = ("external_id", "masked_name", "masked_phone", "city", "consent_financial_info")
    list_filter = ("consent_financial_info",)
    search_fields = ("=external_id",)
    show_full_result_count = False
    fields = (
        "external_id",
        "masked_name",
        "masked_phone",
        "masked_national_id",
        "city",
        "consent_financial_info",
        "consent_version",
        "consent_at",
        "consent_withdrawn_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: Any
    ) -> HistoricalRecordContextHelper:
        return MaskingHistoryHelper(self.model, historical_record)

    @admin.display(description=pgettext_lazy("person", "name"))
    def masked_name(self, obj: Customer) -> str:
        return obj.masked_name

    @admin.display(description=_("mobile number"))
    def masked_phone(self, obj: Customer) -> str:
        return obj.masked_phone

    @admin.display(description=_("ID number"))
    def masked_national_id(self, obj: Customer) -> str:
        return obj.masked_national_id


class BlockInline(admin.TabularInline):
    model = Block
    extra = 0
    can_delete = False
    fields = (
        "reason_code",
        "source",
        "raised_at",
        "raised_by_label",
        "lifted_at",
        "lifted_by_label",
        "lift_reason",
    )
    readonly_fields = fields
    ordering = ("-raised_at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CreditLine)
class CreditLineAdmin(ReadOnlyHistoryAdmin):
    list_display = ("id", "customer", "product", "state", "granted_limit", "usable_limit")
    list_filter = ("product", "state")
    list_select_related = ("customer",)
    search_fields = ("=customer__external_id",)
    show_full_result_count = False
    readonly_fields = (
        "customer",
        "product",
        "state",
        "granted_limit",
        "usable_limit",
        "currency",
        "opened_at",
        "updated_at",
    )
    fields = readonly_fields
    inlines = (BlockInline,)


@admin.register(Block)
class BlockAdmin(ReadOnlyHistoryAdmin):
    list_display = ("id", "credit_line", "reason_code", "source", "raised_at", "lifted_at")
    list_filter = ("reason_code", "source")
    list_select_related = ("credit_line",)
    show_full_result_count = False
    readonly_fields = (
        "credit_line",
        "reason_code",
        "source",
        "raised_at",
        "raised_by",
        "raised_by_label",
        "note",
        "lifted_at",
        "lifted_by",
        "lifted_by_label",
        "lift_reason",
    )
    fields = readonly_fields
