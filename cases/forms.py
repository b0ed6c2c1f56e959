"""Forms for the case pages: parse and validate, nothing else."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import CaseCategory, CaseStatus, Priority
from cases.selectors import QueueCursor, QueueFilters, SlaFilter
from compliance.crypto import DecryptionError, decrypt, encrypt, keyed_hash
from scoring.models import ReasonCode
from scoring.selectors import classify_search_term

NOTE_MAX_LENGTH = 4000


class QueueFilterForm(forms.Form):
    """The queue's filters, sent by GET: none of them holds personal data. A phone number
    is searched by POST (``PhoneSearchForm``) and travels on only as its keyed hash."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any open status")), *CaseStatus.choices],
        required=False,
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("Any category")), *CaseCategory.choices],
        required=False,
    )
    reason_code = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("Any reason")), *ReasonCode.choices], required=False
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=[("", _("Any priority")), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    assignee = forms.ChoiceField(
        label=_("Assignee"),
        choices=[("", _("Anyone")), ("me", _("Me")), ("none", _("Unassigned"))],
        required=False,
    )
    sla = forms.ChoiceField(
        label=_("SLA"),
        choices=[
            ("", _("Any")),
            (SlaFilter.BREACHED.value, _("Breached")),
            (SlaFilter.DUE_SOON.value, _("Due soon")),
        ],
        required=False,
    )
    customer = forms.CharField(label=_("Customer number"), max_length=40, required=False)
    ph = forms.CharField(
        label=_("Mobile number"), max_length=400, required=False, widget=forms.HiddenInput
    )
    after = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def clean_ph(self) -> str:
        """The phone search's token (``PhoneSearchForm.token``) back to the keyed hash."""
        token = self.cleaned_data.get("ph") or ""
        if not token:
            return ""
        phone_hash = phone_search_hash(token)
        if phone_hash is None:
            raise forms.ValidationError(
                _("This mobile-number search has expired; search for the number again.")
            )
        return phone_hash

    def clean_after(self) -> QueueCursor | None:
        token = self.cleaned_data.get("after") or ""
        if not token:
            return None
        cursor = QueueCursor.decode(token)
        if cursor is None:
            raise forms.ValidationError(
                _("This page link is not valid; start from the first page.")
            )
        return cursor

    def filters(self, *, mine: bool = False) -> QueueFilters:
        data = self.cleaned_data
        return QueueFilters(
            status=data.get("status") or "",
            category=data.get("category") or "",
            reason_code=data.get("reason_code") or "",
            priority=data.get("priority"),
            assignee="me" if mine else data.get("assignee") or "",
            sla=data.get("sla") or "",
            external_id=(data.get("customer") or "").strip(),
            phone_hash=data.get("ph") or "",
        )


# The filtered queue's URL carries the number's keyed hash encrypted (random IV: a new token
# for every search, so access logs cannot link two searches for the one person) and only for
# a working day.
PHONE_SEARCH_MAX_AGE = 12 * 60 * 60
_PHONE_SEARCH_PREFIX = "queue.phone:"
_KEYED_HASH = re.compile(r"[0-9a-f]{64}")


def phone_search_hash(token: str) -> str | None:
    """The keyed hash inside a phone-search token; ``None`` when it is not one of ours, was
    altered, or has expired."""
    try:
        text = decrypt(token, max_age=PHONE_SEARCH_MAX_AGE)
    except DecryptionError:
        return None
    phone_hash = text.removeprefix(_PHONE_SEARCH_PREFIX)
    if phone_hash == text or not _KEYED_HASH.fullmatch(phone_hash):
        return None
    return phone_hash


class PhoneSearchForm(forms.Form):
    """Find a customer's cases by mobile number. Sent by POST: the number never goes into
    a URL; the queue is then filtered by its keyed hash, carried encrypted (``token``)."""

    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )

    def clean_phone(self) -> str:
        found = classify_search_term(self.cleaned_data["phone"])
        if found is None or found[0] != "phone":
            raise forms.ValidationError(_("Enter a mainland mobile number (11 digits)."))
        return found[1]

    def token(self) -> str:
        """What the filtered queue's URL carries (``QueueFilterForm.clean_ph`` reads it)."""
        return encrypt(_PHONE_SEARCH_PREFIX + keyed_hash(self.cleaned_data["phone"], kind="phone"))


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you found or did. Do not copy personal data into notes."),
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class IdListField(forms.Field):
    """A list of positive integer ids (ticked checkboxes of the same name)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        try:
            ids = [int(v) for v in values]
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Choose cases from the list.")) from None
        if any(i < 1 for i in ids):
            raise forms.ValidationError(_("Choose cases from the list."))
        return ids


class ReassignForm(forms.Form):
    """A supervisor gives the ticked cases to someone, or back to the queue."""

    case_ids = IdListField()
    assignee = forms.TypedChoiceField(
        label=_("Assign to"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args: Any, assignees: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["assignee"])
        field.choices = [("", _("Back to the queue")), *assignees]
