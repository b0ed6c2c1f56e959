"""The one parser of the history filters, for the page, the API and the export.

``HistoryFilterForm`` reads ``since`` and ``until`` (days, YYYY-MM-DD, inclusive, within the
years ``portal.dates`` accepts), ``action`` (created, changed, deleted), ``actor`` (a
username, ``system`` or ``system:<job>``) and the page ``cursor``. The page shows its
errors; the API answers them as a 400 by field; the export start refuses them the same way
(``parse_filters`` raises ``ValidationError`` by field).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.history.cursors import cursor_is_valid
from compliance.history.kinds import ACTION_LABELS, KINDS, OFFICER
from portal.dates import BoundedDateField
from portal.web.forms import form_errors

__all__ = [
    "ACTOR_MAX_LENGTH",
    "HistoryExportForm",
    "HistoryFilterForm",
    "HistoryFilters",
    "parse_filters",
]

ACTOR_MAX_LENGTH = 200


@dataclass(frozen=True)
class HistoryFilters:
    since: date | None = None
    until: date | None = None  # inclusive
    action: str = ""  # created, changed, deleted
    actor: str = ""  # a username, "system" or "system:<job>"

    def as_params(self) -> dict[str, str]:
        params = {
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "action": self.action,
            "actor": self.actor,
        }
        return {key: value for key, value in params.items() if value}


class HistoryFilterForm(forms.Form):
    since = BoundedDateField(
        label=gettext_lazy("Since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = BoundedDateField(
        label=gettext_lazy("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        required=False,
        choices=[("", gettext_lazy("Any")), *ACTION_LABELS.items()],
    )
    actor = forms.CharField(
        label=gettext_lazy("Actor"),
        max_length=ACTOR_MAX_LENGTH,
        required=False,
        help_text=gettext_lazy("A username, system, or system:<job>."),
    )
    cursor = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)

    def clean_cursor(self) -> str:
        cursor: str = self.cleaned_data.get("cursor", "")
        if cursor and not cursor_is_valid(cursor):
            raise forms.ValidationError(_("This page link is not valid; start again."))
        return cursor

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("“Until” must not be earlier than “since”."))
        return cleaned

    def filters(self) -> HistoryFilters:
        data = self.cleaned_data
        return HistoryFilters(
            since=data.get("since"),
            until=data.get("until"),
            action=data.get("action") or "",
            actor=(data.get("actor") or "").strip(),
        )


class HistoryExportForm(HistoryFilterForm):
    """The export's parameters: the record (or officer) as on the page's address, and the
    page's filters."""

    model = forms.ChoiceField(choices=())
    id = forms.IntegerField(min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [(key, key) for key in (*KINDS, OFFICER)]  # type: ignore[attr-defined]


def parse_filters(params: Mapping[str, Any]) -> HistoryFilters:
    """The filters in query parameters; ``ValidationError`` (by field) when they are bad.
    Other parameters are ignored."""
    form = HistoryFilterForm(params)
    if not form.is_valid():
        raise form_errors(form)
    return form.filters()
