"""What each app holds about a customer, registered so compliance can serve a person's rights
without importing the apps above it.

Dependencies point one way (``compliance`` ← ``scoring`` ← ``cases``), yet data-subject
requests, erasure and retention need the customer (scoring), their credit lines and
assessments (scoring) and their cases, feedback and notes (cases). Each of those apps
subclasses ``PersonalDataSource`` in its own ``personal_data`` module and registers an
instance from ``AppConfig.ready()``; compliance asks the registry, never the apps.

Hooks every source may give (the defaults contribute nothing):

- ``export(customer_id)``: plain data for an access or copy request (a JSON-ready mapping);
- ``erase(customer_id=, pseudonym=, actor=, values=)``: scrub the customer's personal data
  from live *and* history rows; ``values`` are the plain name, phone and ID number (and
  their keyed hashes) to hunt down; returns the number of rows scrubbed;
- ``legal_hold_cases(customer_id)``: ids of the customer's cases (a legal hold on any of
  them blocks erasure);
- ``retention_keep_customer_ids(cutoff=)``: ``values_list`` querysets of customer ids whose
  data must be kept (an open case, a live credit line, activity after ``cutoff``);
- ``retention_sweep(record_type=, cutoff=, dry_run=, actor=)``: scrub the records of that
  type older than ``cutoff``, or count them when ``dry_run``; ``None`` when not its type.

Hooks only the owner of a record kind gives, as two protocols the registered sources may
also implement (``customer_records()`` and ``case_records()`` find the one that does):

- ``CustomerRecords`` (the app that owns the data subject: scoring): ``personal_values``,
  ``explain``, ``correct``, ``withdraw_consent``, ``retention_quiet_customer_ids``;
- ``CaseRecords`` (the app that owns cases: cases): ``human_review``, ``case_exists``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from django.db import models
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from portal.permissions import Actor

__all__ = [
    "ERASED_TEXT",
    "CaseRecords",
    "CustomerRecords",
    "PersonalDataSource",
    "PersonalValues",
    "case_records",
    "customer_records",
    "redact_text",
    "register",
    "sources",
]

# What replaces a scrubbed free-text field or an occurrence of a personal value in one.
ERASED_TEXT = "[erased]"


class RetentionRecordType(models.TextChoices):
    CUSTOMER_PERSONAL_DATA = (
        "customer_personal_data",
        _("Personal data of customers with no open case, no active line and no recent activity"),
    )
    FEEDBACK_TEXT = "feedback_text", _("Customers' feedback (names, numbers, descriptions)")
    CASE_NOTES = "case_notes", _("Officers' notes on closed cases")
    PERSONAL_DATA_ACCESS = "personal_data_access", _("Personal-data access log")


@dataclass(frozen=True)
class Holds:
    """What legal holds protect, given to every source's retention sweep by the caller (the
    compliance workspace owns the holds): ids of held cases and of held customers."""

    case_ids: QuerySet[Any]
    customer_ids: QuerySet[Any]


@dataclass(frozen=True)
class PersonalValues:
    """A customer's personal values in plain text and their keyed hashes, for erasure to
    find wherever they were copied. Never logged, never stored."""

    name: str
    phone: str
    national_id: str
    name_hash: str
    phone_hash: str
    national_id_hash: str

    def needles(self) -> list[str]:
        """The plain values worth searching free text for (long enough not to hit by chance)."""
        return [v for v in (self.national_id, self.phone, self.name) if v and len(v) >= 2]

    def hashes(self) -> list[str]:
        return [h for h in (self.name_hash, self.phone_hash, self.national_id_hash) if h]


class PersonalDataSource:
    """One app's contribution. Subclass, override what the app holds, ``register`` it."""

    name: str = ""

    # --- every source ---------------------------------------------------------------------

    def export(self, customer_id: int) -> dict[str, Any]:
        return {}

    def erase(
        self, *, customer_id: int, pseudonym: str, actor: Actor, values: PersonalValues
    ) -> int:
        return 0

    def legal_hold_cases(self, customer_id: int) -> list[int]:
        return []

    def retention_keep_customer_ids(self, *, cutoff: datetime) -> list[QuerySet[Any]]:
        return []

    def retention_sweep(
        self, *, record_type: str, cutoff: datetime, dry_run: bool, actor: Actor, holds: Holds
    ) -> int | None:
        return None


@runtime_checkable
class CustomerRecords(Protocol):
    """What only the owner of the data subject (the customer) can do."""

    def personal_values(self, customer_id: int) -> PersonalValues:
        """The subject's plain values and keyed hashes."""
        ...

    def explain(self, customer_id: int) -> dict[str, Any]:
        """The customer-facing explanation of the latest automated decision, without
        personal data."""
        ...

    def correct(
        self, *, customer_id: int, changes: Mapping[str, str], actor: Actor, reason: str
    ) -> list[str]:
        """Change personal fields with history; the names of the fields changed."""
        ...

    def withdraw_consent(self, *, customer_id: int, actor: Actor, reason: str) -> bool:
        """Record the withdrawal (processing that relied on it stops); False if already."""
        ...

    def retention_quiet_customer_ids(
        self, *, cutoff: datetime, keep: Sequence[QuerySet[Any]], limit: int
    ) -> list[int]:
        """Customers created before ``cutoff``, not yet erased, in none of ``keep``."""
        ...


@runtime_checkable
class CaseRecords(Protocol):
    """What only the owner of cases can do."""

    def human_review(self, *, customer_id: int, actor: Actor, request_id: int) -> int:
        """Open (or join) a human-review case for the customer; its id."""
        ...

    def case_exists(self, case_id: int) -> bool:
        """Whether ``case_id`` names a case (for legal holds)."""
        ...


_SOURCES: dict[str, PersonalDataSource] = {}


def register(source: PersonalDataSource) -> None:
    """Add (or replace, by name) a source; called from ``AppConfig.ready()``."""
    if not source.name:
        raise ValueError("A PersonalDataSource needs a name.")
    _SOURCES[source.name] = source


def sources() -> list[PersonalDataSource]:
    return list(_SOURCES.values())


def _the_one(protocol: Any) -> Any:
    found = [source for source in _SOURCES.values() if isinstance(source, protocol)]
    if len(found) != 1:
        raise LookupError(
            f"Expected one registered personal-data source implementing "
            f"{protocol.__name__}, found {len(found)}."
        )
    return found[0]


def customer_records() -> CustomerRecords:
    """The registered source that owns data subjects (scoring)."""
    records: CustomerRecords = _the_one(CustomerRecords)
    return records


def case_records() -> CaseRecords:
    """The registered source that owns cases (cases)."""
    records: CaseRecords = _the_one(CaseRecords)
    return records


def redact_text(queryset: QuerySet[Any], fields: Iterable[str], needles: Iterable[str]) -> int:
    """Replace every occurrence of each needle by ``ERASED_TEXT`` in plain-text ``fields`` of
    the rows of ``queryset``, in the database (``UPDATE … SET f = replace(f, …)``); the number
    of rows that held one. Works on history models too (no ``save``, no new history row)."""
    needles = [n for n in needles if n]
    fields = list(fields)
    if not needles or not fields:
        return 0
    touched = 0
    for field in fields:
        condition = Q()
        for needle in needles:
            condition |= Q(**{f"{field}__contains": needle})
        expression: Any = F(field)
        for needle in needles:
            expression = Replace(expression, Value(needle), Value(ERASED_TEXT))
        touched += queryset.filter(condition).update(**{field: expression})
    return touched
