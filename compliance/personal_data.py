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

Hooks exactly one source gives (``provider(capability)`` finds it):

- ``personal_values(customer_id)``: the subject's plain values and keyed hashes (scoring);
- ``explain(customer_id)``: the customer-facing explanation of the latest automated
  decision, without personal data (scoring);
- ``correct(customer_id=, changes=, actor=, reason=)``: change personal fields with history;
- ``withdraw_consent(customer_id=, actor=, reason=)`` (scoring);
- ``human_review(customer_id=, actor=, request_id=)``: open a case, return its id (cases);
- ``case_exists(case_id)``: whether a case id names a case, for legal holds (cases);
- ``retention_quiet_customer_ids(cutoff=, keep=)``: customers created before ``cutoff``, not
  yet erased, not in any of the ``keep`` querysets (scoring).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace

if TYPE_CHECKING:
    from accounts.models import User
    from compliance.audit import SystemActor

    Actor = User | SystemActor

__all__ = [
    "ERASED_TEXT",
    "PersonalDataSource",
    "PersonalValues",
    "provider",
    "redact_text",
    "register",
    "sources",
]

# What replaces a scrubbed free-text field or an occurrence of a personal value in one.
ERASED_TEXT = "[erased]"

# Single-provider capabilities (see the module docstring).
CAPABILITIES = (
    "personal_values",
    "explain",
    "correct",
    "withdraw_consent",
    "human_review",
    "case_exists",
    "retention_quiet_customer_ids",
)


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
        self, *, record_type: str, cutoff: datetime, dry_run: bool, actor: Actor
    ) -> int | None:
        return None

    # --- exactly one source ---------------------------------------------------------------

    def personal_values(self, customer_id: int) -> PersonalValues:
        raise NotImplementedError

    def explain(self, customer_id: int) -> dict[str, Any]:
        raise NotImplementedError

    def correct(
        self, *, customer_id: int, changes: Mapping[str, str], actor: Actor, reason: str
    ) -> list[str]:
        raise NotImplementedError

    def withdraw_consent(self, *, customer_id: int, actor: Actor, reason: str) -> bool:
        raise NotImplementedError

    def human_review(self, *, customer_id: int, actor: Actor, request_id: int) -> int:
        raise NotImplementedError

    def case_exists(self, case_id: int) -> bool:
        raise NotImplementedError

    def retention_quiet_customer_ids(
        self, *, cutoff: datetime, keep: Sequence[QuerySet[Any]], limit: int
    ) -> list[int]:
        raise NotImplementedError


_SOURCES: dict[str, PersonalDataSource] = {}


def register(source: PersonalDataSource) -> None:
    """Add (or replace, by name) a source; called from ``AppConfig.ready()``."""
    if not source.name:
        raise ValueError("A PersonalDataSource needs a name.")
    _SOURCES[source.name] = source


def sources() -> list[PersonalDataSource]:
    return list(_SOURCES.values())


def provider(capability: str) -> PersonalDataSource:
    """The registered source that gives ``capability`` (a single-provider hook)."""
    if capability not in CAPABILITIES:
        raise ValueError(f"{capability!r} is not a single-provider capability.")
    base = getattr(PersonalDataSource, capability)
    for source in _SOURCES.values():
        if getattr(type(source), capability) is not base:
            return source
    raise LookupError(f"No registered personal-data source gives {capability!r}.")


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
