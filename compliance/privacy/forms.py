"""Forms of the privacy officer's pages: requests, legal holds, retention."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from compliance.models import RequestChannel, RequestKind, RequestStatus
from compliance.privacy.retention import MAX_KEEP_DAYS
from compliance.privacy.selectors import RequestCursor, RequestFilters, decode_request_cursor
from compliance.privacy.services import customer_id_for
from portal.api.pagination import InvalidCursor
from portal.dates import BoundedDateTimeField
from portal.web.forms import form_errors

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *RequestStatus.choices],
    )
    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("Any type")), *RequestKind.choices],
    )
    # Where the page starts, from a "next" or "previous" link; how many rows it shows.
    cursor = forms.CharField(required=False, max_length=512, widget=forms.HiddenInput)
    page_size = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def clean_cursor(self) -> RequestCursor | None:
        token = self.cleaned_data.get("cursor") or ""
        if not token:
            return None
        try:
            return decode_request_cursor(token)
        except InvalidCursor as exc:
            raise forms.ValidationError(exc.message, code="invalid_cursor") from None

    def filters(self) -> RequestFilters:
        data = self.cleaned_data
        return RequestFilters(status=data.get("status") or "", kind=data.get("kind") or "")


def parse_request_filters(params: Any) -> tuple[RequestFilters, RequestCursor | None, int | None]:
    """The requests list's filters, where its page starts and its page size, from query
    parameters, for the page and the API alike; ``ValidationError`` (by field) when they
    are bad (a cursor that is not one of ours included)."""
    form = RequestFilterForm(params)
    if not form.is_valid():
        raise form_errors(form)
    return form.filters(), form.cleaned_data.get("cursor"), form.cleaned_data.get("page_size")


class CustomerNumberField(forms.CharField):
    """A customer number (external id), cleaned to the customer's id."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Customer number"))
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        customer_id = customer_id_for(text)
        if customer_id is None:
            raise forms.ValidationError(
                _("No such customer. Check the customer number."), code="no_such_customer"
            )
        return customer_id


class RequestCreateForm(forms.Form):
    customer = CustomerNumberField(help_text=_("As shown on the customer's record, e.g. C0001234."))
    kind = forms.ChoiceField(label=_("Type"), choices=RequestKind.choices)
    channel = forms.ChoiceField(label=_("Received by"), choices=RequestChannel.choices)
    received_at = BoundedDateTimeField(
        label=_("Received at"),
        required=False,
        widget=_DATETIME,
        help_text=_("Leave empty for now. The deadline counts from this time."),
    )


class FulfilForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done and how the person was answered. No personal data."),
    )


class CorrectionForm(FulfilForm):
    """Fulfilling a correction: the corrected values (empty ones stay as they are)."""

    name = forms.CharField(label=_("Corrected name"), required=False, max_length=100)
    phone = forms.CharField(label=_("Corrected mobile number"), required=False, max_length=20)
    national_id = forms.CharField(label=_("Corrected ID number"), required=False, max_length=30)
    city = forms.CharField(label=_("Corrected city"), required=False, max_length=64)

    def corrections(self) -> dict[str, str]:
        return {
            field: self.cleaned_data[field]
            for field in ("name", "phone", "national_id", "city")
            if self.cleaned_data.get(field)
        }


class RefuseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for refusal"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Told to the person; required by law. No personal data."),
    )


class LegalHoldPlaceForm(forms.Form):
    customer = CustomerNumberField(required=False)
    case = forms.IntegerField(label=_("Case number"), required=False, min_value=1)
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        has_customer = cleaned.get("customer") is not None
        has_case = cleaned.get("case") is not None
        if "customer" in cleaned and "case" in cleaned and has_customer == has_case:
            raise forms.ValidationError(_("Give either a customer number or a case number."))
        return cleaned


class LegalHoldReleaseForm(forms.Form):
    hold = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    release_reason = forms.CharField(label=_("Reason for release"), max_length=2000)


class RetentionPolicyForm(forms.Form):
    policy = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    keep_days = forms.IntegerField(label=_("Keep for (days)"), min_value=1, max_value=MAX_KEEP_DAYS)
    enabled = forms.BooleanField(label=_("Enabled"), required=False)


class DryRunForm(forms.Form):
    """No fields: the POST and its CSRF token are the whole request."""
