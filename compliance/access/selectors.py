"""Reads of the personal-data access log, shared by the auditor's page, the API and exports.

Who revealed which personal fields of whom, when, why and from where. The log holds no
personal values (field names only); a customer is shown by external id. Compliance sits
below scoring and cases, so nothing here imports them: the customer is reached through
the access row's foreign key.

Unusual volume
    ``unusual_volume(since, until)`` counts each person's reveals in the window and compares
    them with the median count of everyone who revealed anything in it. A person is
    flagged when their count is at least ``UNUSUAL_FACTOR`` (3) times that median **and**
    at least ``UNUSUAL_MIN_REVEALS`` (10): three times what a typical colleague needed is
    worth a look, and the floor keeps a quiet week (median 1, someone with 3) from raising
    alarms. The median includes everyone, the person too, so one outlier cannot drag it up
    far in a team of three or more; with only two people the median is their midpoint and
    nobody can reach three times it, and with one person there are no peers at all, so
    nobody is flagged in either case (the counts are still shown).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from compliance.exports.table import ExportTable
from portal.api.pagination import Keyset, id_position
from portal.dates import time_filter_field
from portal.web.forms import form_errors
from scoring.customers.access import PersonalDataAccess, PersonalField

__all__ = [
    "EXPORT_COLUMNS",
    "UNUSUAL_FACTOR",
    "UNUSUAL_MIN_REVEALS",
    "AccessFilters",
    "AccessLogFilterForm",
    "AccessPage",
    "ActorVolume",
    "VolumeReport",
    "access_page",
    "accesses",
    "export_table",
    "filters_from_params",
    "unusual_volume",
]

UNUSUAL_FACTOR = 3
UNUSUAL_MIN_REVEALS = 10
PURPOSE_FILTER_MAX_LENGTH = 100
_FIELD_LABELS = dict(PersonalField.choices)


# --- filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessFilters:
    actor: str = ""  # a username
    customer: str = ""  # a customer's id or external id
    since: datetime | None = None
    until: datetime | None = None
    purpose: str = ""  # text the purpose contains (case-insensitive)

    def as_params(self) -> dict[str, str]:
        """The filters that are set, as query parameters (for links and manifests)."""
        params = {
            "actor": self.actor,
            "customer": self.customer,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "purpose": self.purpose,
        }
        return {key: value for key, value in params.items() if value}


class AccessLogFilterForm(forms.Form):
    """Parses the filters of the page, the API and the export from query parameters."""

    actor = forms.CharField(label=_("Who"), max_length=150, required=False)
    customer = forms.CharField(
        label=_("Customer"),
        max_length=40,
        required=False,
        help_text=_("The customer's number or id."),
    )
    since = time_filter_field(_("Since"))
    until = time_filter_field(_("Until"))
    purpose = forms.CharField(
        label=_("Purpose contains"), max_length=PURPOSE_FILTER_MAX_LENGTH, required=False
    )
    before = forms.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, widget=forms.HiddenInput
    )
    after = forms.IntegerField(
        min_value=0, max_value=2**63 - 1, required=False, widget=forms.HiddenInput
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since >= until:
            self.add_error("until", _("“Until” must be later than “since”."))
        if cleaned.get("before") and cleaned.get("after") is not None:
            raise ValidationError(_("Choose either older or newer entries, not both."))
        return cleaned

    def filters(self) -> AccessFilters:
        data = self.cleaned_data
        return AccessFilters(
            actor=(data.get("actor") or "").strip(),
            customer=(data.get("customer") or "").strip(),
            since=data.get("since"),
            until=data.get("until"),
            purpose=" ".join((data.get("purpose") or "").split()),
        )


def filters_from_params(params: Mapping[str, Any]) -> AccessFilters:
    """The filters in query parameters; ``ValidationError`` (by field) when they are bad.
    Unknown parameters (``format``, paging) are ignored."""
    form = AccessLogFilterForm(params)
    if not form.is_valid():
        raise form_errors(form)
    return form.filters()


# --- rows ------------------------------------------------------------------------------------


def _customer_ids(value: str) -> QuerySet[Any]:
    """Ids of the customer named by id or external id, as a subquery (no scoring import)."""
    customer_model = PersonalDataAccess._meta.get_field("customer").related_model
    match = Q(external_id=value)
    if value.isdigit() and len(value) < 19:
        match |= Q(pk=int(value))
    return customer_model._default_manager.filter(match).values("pk")


def accesses(filters: AccessFilters) -> QuerySet[PersonalDataAccess]:
    """Access rows matching the filters, newest first, with the customer's external id as
    ``customer_external_id`` (the customer row itself is not loaded: it holds the encrypted
    personal fields, which the log never needs)."""
    queryset = PersonalDataAccess.objects.annotate(
        customer_external_id=F("customer__external_id")
    ).order_by("-id")
    if filters.actor:
        users = get_user_model()._default_manager.filter(username=filters.actor).values("pk")
        queryset = queryset.filter(actor_id__in=users)
    if filters.customer:
        queryset = queryset.filter(customer_id__in=_customer_ids(filters.customer))
    if filters.since:
        queryset = queryset.filter(at__gte=filters.since)
    if filters.until:
        queryset = queryset.filter(at__lt=filters.until)
    if filters.purpose:
        queryset = queryset.filter(purpose__icontains=filters.purpose)
    return queryset


@dataclass(frozen=True)
class AccessPage:
    rows: list[PersonalDataAccess]
    next_before: int | None  # pass as ``before`` for the next (older) page
    newer_after: int | None  # pass as ``after`` for the previous (newer) page


ACCESS_KEYSET = Keyset("-id", model=PersonalDataAccess, max_page_size=500)


def access_page(
    filters: AccessFilters,
    *,
    before: int | None = None,
    after: int | None = None,
    page_size: int = 50,
) -> AccessPage:
    """One page by keyset on id, newest first (``portal.api.pagination``; no OFFSET, no
    count): ``before`` an id goes back in time, ``after`` an id comes forward; neither
    gives the newest page, as does ``after`` the newest row. Two queries at most,
    whatever the table holds (the page, and whether rows lie on the side it came from)."""
    position = id_position(before=before, after=after)
    page = ACCESS_KEYSET.page(accesses(filters), cursor=position, page_size=page_size, exact=True)
    return AccessPage(
        rows=page.rows,
        next_before=page.next_key[0] if page.next_key else None,
        newer_after=page.previous_key[0] if page.previous_key else None,
    )


# --- unusual volume --------------------------------------------------------------------------


@dataclass(frozen=True)
class ActorVolume:
    actor_id: int
    username: str
    reveals: int
    customers: int  # distinct customers revealed
    flagged: bool
    ratio: float  # reveals / median (0 when nothing was revealed)


@dataclass(frozen=True)
class VolumeReport:
    since: datetime | None
    until: datetime | None
    median: float  # median reveals of those who revealed anything; 0 when nobody did
    threshold: float  # reveals from which a person is flagged
    actors: list[ActorVolume] = field(default_factory=list)  # most reveals first

    @property
    def flagged(self) -> list[ActorVolume]:
        return [actor for actor in self.actors if actor.flagged]


def unusual_volume(since: datetime | None, until: datetime | None) -> VolumeReport:
    """Reveals per person in ``[since, until)`` against the median (see the module
    docstring for the rule). One aggregate query over the ``at`` index."""
    queryset = PersonalDataAccess.objects.all()
    if since:
        queryset = queryset.filter(at__gte=since)
    if until:
        queryset = queryset.filter(at__lt=until)
    counts = list(
        queryset.values("actor_id")
        .annotate(
            reveals=Count("id"),
            customers=Count("customer_id", distinct=True),
            username=Max("actor_label"),
        )
        .order_by("-reveals", "username")
    )
    if not counts:
        return VolumeReport(since=since, until=until, median=0.0, threshold=0.0)
    median = float(statistics.median(row["reveals"] for row in counts))
    threshold = max(UNUSUAL_FACTOR * median, float(UNUSUAL_MIN_REVEALS))
    actors = [
        ActorVolume(
            actor_id=row["actor_id"],
            username=row["username"],
            reveals=row["reveals"],
            customers=row["customers"],
            flagged=row["reveals"] >= threshold,
            ratio=round(row["reveals"] / median, 2) if median else 0.0,
        )
        for row in counts
    ]
    return VolumeReport(since=since, until=until, median=median, threshold=threshold, actors=actors)


# --- export ----------------------------------------------------------------------------------

EXPORT_COLUMNS: Sequence[str] = (
    "id",
    "at",
    "actor",
    "customer",
    "fields",
    "purpose",
    "case",
    "source",
    "ip_address",
)
EXPORT_CHUNK = 2000


def _export_rows(filters: AccessFilters) -> Iterator[tuple[Any, ...]]:
    rows = accesses(filters).values_list(
        "id",
        "at",
        "actor_label",
        "customer__external_id",
        "fields",
        "purpose",
        "case_id",
        "source",
        "ip_address",
    )
    for access_id, at, actor, customer, fields, purpose, case_id, source, ip in rows.iterator(
        chunk_size=EXPORT_CHUNK
    ):
        yield (
            access_id,
            at.astimezone(UTC).isoformat(),
            actor,
            customer,
            ";".join(fields or []),
            purpose,
            case_id if case_id is not None else "",
            source,
            ip or "",
        )


def export_table(params: Mapping[str, Any]) -> ExportTable:
    """The filtered access log for an export (kind ``access``): one row per reveal, the
    customer by external id, field names only, never a value; lazy, newest first.
    Raises ``ValidationError`` for bad filters."""
    filters = filters_from_params(params)
    return ExportTable(
        kind="access",
        columns=EXPORT_COLUMNS,
        rows=_export_rows(filters),
        filters=filters.as_params(),
    )


def field_labels(names: Sequence[str]) -> list[str]:
    """The translated labels of field names stored on an access row."""
    return [str(_FIELD_LABELS.get(name, name)) for name in names]
