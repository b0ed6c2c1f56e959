"""Forms for the scoring pages: parse and validate, nothing else."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.api.pagination import InvalidCursor, Position
from portal.dates import BoundedDateField
from scoring.models import (
    BlockSource,
    CreditLineState,
    Product,
    ReasonCode,
    Scorecard,
    ScorecardStatus,
)
from scoring.selectors import UNUSABLE_LINES, classify_search_term

_OPEN_STATES = [(s.value, s.label) for s in CreditLineState if s != CreditLineState.CLOSED]


class UnusableLinesFilterForm(forms.Form):
    """The filters of the shown-but-unusable list (GET: they hold no personal data)."""

    reason_code = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("Any reason")), *ReasonCode.choices], required=False
    )
    product = forms.ChoiceField(
        label=_("Product"), choices=[("", _("Any product")), *Product.choices], required=False
    )
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("Any state")), *_OPEN_STATES], required=False
    )
    city = forms.CharField(label=_("City"), max_length=64, required=False)
    # Where the page starts, from a "next" or "previous" link (``UNUSABLE_LINES``' cursor).
    cursor = forms.CharField(required=False, max_length=512, widget=forms.HiddenInput)

    def clean_cursor(self) -> Position | None:
        token = self.cleaned_data.get("cursor") or ""
        if not token:
            return None
        try:
            return UNUSABLE_LINES.decode(token)
        except InvalidCursor as exc:
            raise forms.ValidationError(exc.message, code="invalid_cursor") from None

    def filters(self) -> dict[str, Any]:
        """The cleaned filters as keyword arguments for ``unusable_lines_page``."""
        data = self.cleaned_data
        return {
            "reason_code": data.get("reason_code") or "",
            "product": data.get("product") or "",
            "state": data.get("state") or "",
            "city": (data.get("city") or "").strip(),
            "cursor": data.get("cursor"),
        }


class CustomerSearchForm(forms.Form):
    """Exact-match search. Sent by POST: the term is personal data and must stay out of
    URLs (and so out of access logs, browser history and Referer headers)."""

    term = forms.CharField(
        label=_("Mobile number, ID number or customer number"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_term(self) -> str:
        term: str = self.cleaned_data["term"]
        if classify_search_term(term) is None:
            # Never repeat the input in the message: it may be personal data.
            raise forms.ValidationError(
                _("Enter a mobile number, an ID number or a customer number."),
                code="unrecognised",
            )
        return term


# --- bulk re-assessment -----------------------------------------------------------------------


class BulkJobForm(forms.Form):
    """The filter of a bulk re-assessment. Every field is optional; all given must match.
    ``scoring.assessments.filters.bulk_filters_clean`` validates again (the API goes straight
    there)."""

    reason_code = forms.ChoiceField(
        label=_("Active block for"),
        choices=[("", _("Any reason")), *ReasonCode.choices],
        required=False,
    )
    block_source = forms.ChoiceField(
        label=_("Block raised by"),
        choices=[("", _("Any source")), *BlockSource.choices],
        required=False,
    )
    city = forms.CharField(label=_("City"), max_length=64, required=False)
    product = forms.ChoiceField(
        label=_("Product"), choices=[("", _("Any product")), *Product.choices], required=False
    )
    scorecard_version = forms.IntegerField(
        label=_("Latest assessment used scorecard version"), min_value=1, required=False
    )
    assessed_before = BoundedDateField(
        label=_("Not assessed since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Customers never assessed are included."),
    )
    scorecard = forms.ModelChoiceField(
        label=_("Score with"),
        queryset=Scorecard.objects.filter(status=ScorecardStatus.ACTIVE).order_by("-version"),
        required=False,
        empty_label=_("The champion scorecard"),
    )

    def filters(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("scorecard", None)
        return {key: value for key, value in data.items() if value not in (None, "")}

    def scorecard_id(self) -> int | None:
        scorecard = self.cleaned_data.get("scorecard")
        return scorecard.pk if scorecard is not None else None


class ShadowCompareForm(forms.Form):
    """How many customers to shadow-score, and the seed that picks them."""

    sample_size = forms.IntegerField(
        label=_("Customers in the sample"), min_value=1, max_value=20_000, initial=1000
    )
    seed = forms.IntegerField(
        label=_("Sample seed"),
        initial=1,
        help_text=_("The same seed picks the same customers."),
    )
