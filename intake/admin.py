"""Administration of partner channels, upstream systems and their API keys.

Every change goes through ``cases.channels`` (history row and audit entry together). A new
key's plaintext is shown once, on the page that answers the "add key" form, and stored
nowhere (not in the database, not in a message cookie or the session). Keys are revoked,
never deleted. djangorestframework-api-key's own ``APIKey`` model is installed only because
the library's models module needs it; the portal uses ``cases.ChannelKey``, so the library's
admin page is removed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework_api_key.models import APIKey
from simple_history.admin import SimpleHistoryAdmin

from intake import channels
from intake.models import Channel, ChannelKey
from portal.dates import BoundedDateTimeField

if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


class ChannelKeyInline(admin.TabularInline):
    """The channel's keys, read-only: add one on the API key page, revoke it there."""

    model = ChannelKey
    extra = 0
    can_delete = False
    fields = ("prefix", "name", "created", "expiry_date", "last_used_at", "revoked", "revoked_at")
    readonly_fields = fields
    ordering = ("-created",)
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Channel)
class ChannelAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "kind", "active", "created_at")
    list_filter = ("kind", "active")
    search_fields = ("=code", "name")
    ordering = ("code",)
    inlines = (ChannelKeyInline,)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code", "name", "kind", "active") + (("created_at",) if obj else ())

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The code names the channel in logs and audit entries: fixed once created.
        return ("code", "created_at") if obj else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Channel, form: Any, change: bool) -> None:
        actor = request.user
        if change:
            saved = channels.channel_update(
                actor=actor,  # type: ignore[arg-type]
                channel_id=obj.pk,
                name=obj.name,
                kind=obj.kind,
                active=obj.active,
            )
        else:
            saved = channels.channel_create(
                actor=actor,  # type: ignore[arg-type]
                code=obj.code,
                name=obj.name,
                kind=obj.kind,
                active=obj.active,
            )
        _copy_saved(saved, obj)


def _copy_saved(saved: Any, obj: Any) -> None:
    """Make the admin's unsaved instance the row the service wrote (for its redirect)."""
    for field in type(saved)._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class ChannelKeyAddForm(forms.ModelForm):
    # Declared, so the admin's split date-time widget does not replace the bounded field.
    expiry_date = BoundedDateTimeField(
        label=gettext_lazy("Expires"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("Empty: the key never expires."),
    )

    class Meta:
        model = ChannelKey
        fields = ("channel", "name", "expiry_date")

    def clean_expiry_date(self) -> Any:
        expiry = self.cleaned_data.get("expiry_date")
        if expiry is not None and expiry <= timezone.now():
            raise ValidationError(_("The expiry date must be in the future."))
        return expiry


@admin.register(ChannelKey)
class ChannelKeyAdmin(admin.ModelAdmin):
    add_form = ChannelKeyAddForm
    list_display = (
        "prefix",
        "name",
        "channel",
        "created",
        "expiry_date",
        "last_used_at",
        "revoked",
        "revoked_at",
    )
    list_filter = ("revoked", "channel__kind", "channel")
    list_select_related = ("channel",)
    search_fields = ("=prefix", "name", "=channel__code")
    ordering = ("-created",)
    actions = ("revoke_keys",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("channel", "name", "expiry_date")
        return (
            "prefix",
            "name",
            "channel",
            "created",
            "created_by",
            "expiry_date",
            "last_used_at",
            "revoked",
            "revoked_at",
        )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A key never changes after it is made; revoke it (the list's action) and make another.
        return self.get_fields(request, obj) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        found = super().get_actions(request)
        found.pop("delete_selected", None)
        return found

    def save_model(self, request: HttpRequest, obj: ChannelKey, form: Any, change: bool) -> None:
        if change:  # every field is read-only on the change page
            return
        key, plaintext = channels.channel_key_create(
            actor=request.user,  # type: ignore[arg-type]
            channel_id=obj.channel_id,
            name=obj.name,
            expiry_date=obj.expiry_date,
        )
        _copy_saved(key, obj)
        request._channel_key_plaintext = plaintext  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ChannelKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        plaintext = getattr(request, "_channel_key_plaintext", None)
        if plaintext is None:  # pragma: no cover - save_model always sets it
            return super().response_add(request, obj, post_url_continue)
        # Rendered straight into this answer, never stored: a message would travel in a
        # cookie or sit in the session until the next page.
        response = TemplateResponse(
            request,
            "admin/intake/channelkey/key_created.html",
            {
                **self.admin_site.each_context(request),
                "title": _("API key created"),
                "opts": self.model._meta,
                "key": obj,
                "plaintext": plaintext,
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=gettext_lazy("Revoke the selected keys"), permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ChannelKey]) -> None:
        revoked = 0
        for key_id in queryset.filter(revoked=False).values_list("pk", flat=True):
            try:
                channels.channel_key_revoke(actor=request.user, key_id=key_id)  # type: ignore[arg-type]
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(
                    request, "; ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR
                )
                return
            revoked += 1
        self.message_user(
            request,
            ngettext(
                "%(n)d API key revoked; it can no longer be used.",
                "%(n)d API keys revoked; they can no longer be used.",
                revoked,
            )
            % {"n": revoked},
            messages.SUCCESS,
        )
