"""Forms for the case pages: parse and validate, nothing else."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import CaseCategory, CaseStatus, DecisionReason, Priority
from cases.selectors.queue import QueueCursor, QueueFilters, SlaFilter
from portal.dates import BoundedDateField
from portal.pii.crypto import DecryptionError, decrypt, encrypt, keyed_hash
from scoring.models import ReasonCode
from scoring.selectors import classify_search_term

NOTE_MAX_LENGTH = 4000


# A user id the database can hold (a bigint): larger numbers are a field error, not a 500.
_USER_ID_MAX = 2**63 - 1


class AssigneeFilterField(forms.ChoiceField):
    """``me``, ``none`` (unassigned) or a user's id. The page's select offers the first two;
    the API (and a link from elsewhere) may name anyone by id."""

    def valid_value(self, value: Any) -> bool:
        text = str(value)
        if text.isascii() and text.isdigit():
            return 0 < int(text) <= _USER_ID_MAX
        return super().valid_value(value)


class QueueCursorField(forms.CharField):
    """A keyset position in the queue (``QueueCursor``), as page links carry it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> QueueCursor | None:
        token = super().clean(value)
        if not token:
            return None
        cursor = QueueCursor.decode(token)
        if cursor is None:
            raise forms.ValidationError(
                _("This page link is not valid; start from the first page."), code="invalid"
            )
        return cursor


class CaseFilterForm(forms.Form):
    """The case list's filters: the one parser of them, for the queue pages and the API
    (``GET /api/v1/cases/``), so both show the same cases (``selectors.cases_for_queue``).
    Sent by GET: none of them holds personal data."""

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
    assignee = AssigneeFilterField(
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

    def filters(self, *, mine: bool = False) -> QueueFilters:
        """The valid filters; ``mine`` (the "My cases" page) fixes the assignee."""
        data = self.cleaned_data
        return QueueFilters(
            status=data.get("status") or "",
            category=data.get("category") or "",
            reason_code=data.get("reason_code") or "",
            priority=data.get("priority"),
            assignee="me" if mine else data.get("assignee") or "",
            sla=data.get("sla") or "",
            external_id=data.get("customer") or "",
        )


class QueueFilterForm(CaseFilterForm):
    """The queue page's query: the filters, a phone search's token (``ph``, the number is
    searched by POST with ``PhoneSearchForm`` and travels on only as its keyed hash) and
    the page (``after``)."""

    ph = forms.CharField(
        label=_("Mobile number"), max_length=400, required=False, widget=forms.HiddenInput
    )
    after = QueueCursorField()

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

    def filters(self, *, mine: bool = False) -> QueueFilters:
        return replace(super().filters(mine=mine), phone_hash=self.cleaned_data.get("ph") or "")


CASE_LIST_MAX_PAGE_SIZE = 200


class CaseListQueryForm(CaseFilterForm):
    """The API case list's query: the filters and the keyset page (``after`` or ``before``
    a row, as the ``next`` and ``previous`` links give them; ``page_size`` up to 200)."""

    after = QueueCursorField()
    before = QueueCursorField()
    page_size = forms.IntegerField(min_value=1, required=False)

    def clean_page_size(self) -> int | None:
        size = self.cleaned_data.get("page_size")
        return None if size is None else min(size, CASE_LIST_MAX_PAGE_SIZE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("after") and data.get("before"):
            self.add_error("before", _("Give either after or before, not both."))
        return data


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


# --- override and approval rates ------------------------------------------------------------

RATES_DEFAULT_WEEKS = 12


class RatesFilterForm(forms.Form):
    """Filters of the rates page; empty dates mean the last ``RATES_DEFAULT_WEEKS`` weeks.
    Dates outside the portal's years (``portal.dates``) are field errors: stepping a day
    past 9999-12-31 or twelve weeks back from 0001-01-01 cannot be done."""

    since = BoundedDateField(label=_("From"), required=False)
    until = BoundedDateField(label=_("To (inclusive)"), required=False)
    officer = forms.TypedChoiceField(label=_("Officer"), required=False, coerce=int)
    reason_code = forms.ChoiceField(label=_("Reason"), required=False)

    def __init__(self, *args: Any, officers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        officer = cast(forms.TypedChoiceField, self.fields["officer"])
        officer.choices = [("", _("Everyone")), *officers]
        reason = cast(forms.ChoiceField, self.fields["reason_code"])
        reason.choices = [("", _("Any reason")), *DecisionReason.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date must not be before the start date."))
        return data

    def window(self) -> tuple[datetime, datetime]:
        """``[since, until)`` as aware datetimes in the display time zone (an unbound form:
        the default window)."""
        data = self.cleaned_data if self.is_bound else {}
        tz = timezone.get_current_timezone()
        until_day = data.get("until") or timezone.localdate()
        since_day = data.get("since") or until_day - timedelta(weeks=RATES_DEFAULT_WEEKS)
        since = datetime.combine(since_day, time.min, tzinfo=tz)
        until = datetime.combine(until_day + timedelta(days=1), time.min, tzinfo=tz)
        return since, until
