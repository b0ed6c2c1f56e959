"""Forms of the triage page: parse and validate only."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from intake.models import TriageCloseReason


class TriageLinkForm(forms.Form):
    customer = forms.CharField(
        label=_("Customer number"),
        max_length=40,
        help_text=_("The customer's external id, as the customer search shows it."),
    )


class TriageCloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason for closing"), choices=TriageCloseReason.choices)
