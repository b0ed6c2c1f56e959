"""Forms of the auditor pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from compliance.auditlog.selectors import AuditEntryFilters


class AuditLogFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action"),
        max_length=100,
        required=False,
        help_text=_("Exact name, or a prefix ending in a dot, e.g. credit_line."),
    )
    actor = forms.CharField(
        label=_("Actor"),
        max_length=200,
        required=False,
        help_text=_("A username, or system:<job> for the system."),
    )
    target_type = forms.CharField(label=_("Target type"), max_length=100, required=False)
    target_id = forms.CharField(label=_("Target id"), max_length=64, required=False)
    since = forms.DateTimeField(
        label=_("Since"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = forms.DateTimeField(
        label=_("Until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    before = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    after = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since >= until:
            self.add_error("until", _("“Until” must be later than “since”."))
        if cleaned.get("before") and cleaned.get("after") is not None:
            raise forms.ValidationError(_("Choose either older or newer entries, not both."))
        return cleaned

    def filters(self) -> AuditEntryFilters:
        data = self.cleaned_data
        return AuditEntryFilters(
            action=data.get("action", "").strip(),
            actor=data.get("actor", "").strip(),
            target_type=data.get("target_type", "").strip().lower(),
            target_id=data.get("target_id", "").strip(),
            since=data.get("since"),
            until=data.get("until"),
        )


class VerifyChainForm(forms.Form):
    """No fields: the POST and its CSRF token are the whole request."""
