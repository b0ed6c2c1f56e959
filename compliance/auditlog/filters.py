"""The one parser of the audit log's filters, for the page, the API and the export.

``AuditLogFilterForm`` reads ``case`` and ``customer`` (ids), ``actor`` (the actor label: a
username or ``system:<job>``), ``action`` (an ``AuditAction`` code, or a family of them as
its prefix ending in a dot: ``case.``; any other value is refused),
``target_type``, ``target_id``, and ``since``/``until`` (date and time, ISO 8601, within
the years ``portal.dates`` accepts; ``until`` is exclusive), plus the page's ``before`` and
``after`` ids. The page shows its errors; the API answers them as a 400 by field; the export
start refuses them the same way (``parse_filters``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.actions import AuditAction, action_families
from portal.api.pagination import ID_MAX
from portal.dates import time_filter_field
from portal.web.forms import form_errors

__all__ = ["AuditEntryFilters", "AuditLogFilterForm", "action_choices", "parse_filters"]


def action_choices() -> list[tuple[str, Any]]:
    """The action filter's list: any action, then each family (``case.``, every action of
    that kind) with its actions, by label; the value is always the code or the prefix."""
    choices: list[tuple[str, Any]] = [("", _("Any action"))]
    for family in action_families():
        prefix = f"{family}."
        members = [
            (str(member.value), member.label)
            for member in AuditAction
            if member.value.startswith(prefix)
        ]
        every = (prefix, _("Every action of %(family)s") % {"family": f"{family}.*"})
        choices.append((f"{family}.*", [every, *members]))
    return choices


@dataclass(frozen=True)
class AuditEntryFilters:
    action: str = ""
    actor: str = ""  # the actor label: a username or "system:<job>"
    target_type: str = ""
    target_id: str = ""
    since: datetime | None = None
    until: datetime | None = None
    case: int | None = None  # entries about the case (target cases.case)
    customer: int | None = None  # entries about the customer, or naming it in their data

    def as_params(self) -> dict[str, str]:
        """The filters that are set, as text (times in ISO 8601): for links and manifests."""
        applied: dict[str, str] = {}
        for item in dataclass_fields(self):
            value = getattr(self, item.name)
            if value is None or value == "":
                continue
            applied[item.name] = value.isoformat() if isinstance(value, datetime) else str(value)
        return applied


class AuditLogFilterForm(forms.Form):
    case = forms.IntegerField(
        label=gettext_lazy("Case"), min_value=1, max_value=ID_MAX, required=False
    )
    customer = forms.IntegerField(
        label=gettext_lazy("Customer id"), min_value=1, max_value=ID_MAX, required=False
    )
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        choices=action_choices,
        required=False,
        help_text=gettext_lazy("One action, or every action of a kind."),
    )
    actor = forms.CharField(
        label=gettext_lazy("Actor"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("A username, or system:<job> for the system."),
    )
    target_type = forms.CharField(label=gettext_lazy("Target type"), max_length=100, required=False)
    target_id = forms.CharField(label=gettext_lazy("Target id"), max_length=64, required=False)
    since = time_filter_field(gettext_lazy("Since"))
    until = time_filter_field(gettext_lazy("Until"))
    before = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    after = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    field_order = ["action", "actor", "case", "customer", "target_type", "target_id"]

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
            action=(data.get("action") or "").strip(),
            actor=(data.get("actor") or "").strip(),
            target_type=(data.get("target_type") or "").strip().lower(),
            target_id=(data.get("target_id") or "").strip(),
            since=data.get("since"),
            until=data.get("until"),
            case=data.get("case"),
            customer=data.get("customer"),
        )


def parse_filters(params: Mapping[str, Any]) -> AuditEntryFilters:
    """The filters in query parameters; ``ValidationError`` (by field) when they are bad.
    Other parameters (``format``, ``cursor``, ``page_size``) are ignored."""
    form = AuditLogFilterForm(params)
    if not form.is_valid():
        raise form_errors(form)
    return form.filters()
