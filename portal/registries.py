"""What apps contribute to shared pieces, registered from each ``AppConfig.ready()``.

The kernel and the lower apps never import the apps above them; instead each app says here
what it adds: its history kinds (record types whose versions the auditor browses), its
navigation items, its header badges, who hears of a refused write, how long a kind of
record is kept, and the kinds of work a reveal of personal data may serve. Personal-data
sources have their own registry (``portal.pii.sources``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.functional import Promise

from portal.pii.fields import EncryptedTextField

logger = logging.getLogger(__name__)

__all__ = [
    "HistoryKind",
    "NavItem",
    "access_denied",
    "badges",
    "history_kind_of_model",
    "history_kinds",
    "nav_items",
    "on_access_denied",
    "on_reveal_budget_near",
    "register_badge",
    "register_history_kinds",
    "register_nav_items",
    "register_retention_period",
    "register_work_check",
    "retention_days",
    "reveal_budget_near",
    "work_check",
    "work_kinds",
]


# --- history kinds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryKind:
    """A record type whose versions are browsable: its key in URLs, its model, its name, and
    the fields that hold personal data (encrypted fields always do). ``order`` places it in
    lists and breaks ties between versions saved in the same microsecond."""

    key: str
    model_label: str
    label: Promise | str
    personal: frozenset[str] = frozenset()
    order: int = 100

    def history_model(self) -> Any:
        """The model's historical model (``HistoricalCase``…), looked up lazily."""
        return apps.get_model(self.model_label).history.model

    def is_personal(self, model_field: models.Field[Any, Any]) -> bool:
        return model_field.name in self.personal or isinstance(model_field, EncryptedTextField)


_HISTORY_KINDS: dict[str, HistoryKind] = {}


def register_history_kinds(*kinds: HistoryKind) -> None:
    for kind in kinds:
        _HISTORY_KINDS[kind.key] = kind


def history_kinds() -> dict[str, HistoryKind]:
    """Every registered kind by key, in ``order``."""
    return dict(sorted(_HISTORY_KINDS.items(), key=lambda item: (item[1].order, item[0])))


def history_kind_of_model(model_label: str) -> HistoryKind | None:
    for kind in _HISTORY_KINDS.values():
        if kind.model_label == model_label:
            return kind
    return None


# --- navigation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NavItem:
    key: str
    url_name: str
    label: str | Promise
    permission: str | None  # None: every signed-in user
    description: str | Promise = ""
    order: int = 100


_NAV_ITEMS: dict[str, NavItem] = {}


def register_nav_items(*items: NavItem) -> None:
    for item in items:
        _NAV_ITEMS[item.key] = item


def nav_items() -> list[NavItem]:
    return sorted(_NAV_ITEMS.values(), key=lambda item: (item.order, item.key))


# --- header badges ------------------------------------------------------------------------------

_BADGES: dict[str, Callable[[Any], str]] = {}


def register_badge(name: str, badge: Callable[[Any], str]) -> None:
    """``badge(user)`` gives the text of a badge in the page header ("" for none)."""
    _BADGES[name] = badge


def badges() -> dict[str, Callable[[Any], str]]:
    return dict(_BADGES)


# --- refused writes -----------------------------------------------------------------------------

_ACCESS_DENIED: list[Callable[[Any, str, str], None]] = []


def on_access_denied(listener: Callable[[Any, str, str], None]) -> None:
    """``listener(user, method, path)`` hears of every refused request (the audit log)."""
    if listener not in _ACCESS_DENIED:
        _ACCESS_DENIED.append(listener)


def access_denied(user: Any, method: str, path: str) -> None:
    for listener in _ACCESS_DENIED:
        listener(user, method, path)


# --- retention periods --------------------------------------------------------------------------

_RETENTION: list[Callable[..., int | None]] = []


def register_retention_period(lookup: Callable[..., int | None]) -> None:
    """``lookup(record_type, default=days)``: the days a kind of record is kept, ``None`` while
    its policy is switched off, ``default`` when it has none (the compliance workspace owns
    the policies)."""
    _RETENTION[:] = [lookup]


def retention_days(record_type: str, *, default: int) -> int | None:
    """The days ``record_type`` is kept under the policy in force; ``None`` when retention
    of it is switched off; ``default`` when no workspace answers."""
    if not _RETENTION:
        return default
    return _RETENTION[0](record_type, default=default)


# --- work a reveal serves -------------------------------------------------------------------

# ``check(actor, customer_id, work_id)``: returns when ``actor`` may reveal this customer's
# personal data for that piece of work; raises ``ValidationError`` (keyed by the kind) when
# the work does not exist or is not about this customer, ``PermissionDenied`` (with a
# translated message) when it is not the actor's work.
WorkCheck = Callable[[Any, int, int], None]

_WORK_CHECKS: dict[str, WorkCheck] = {}


def register_work_check(kind: str, check: WorkCheck) -> None:
    """Say how to tell that a reveal serves a piece of work of ``kind`` ("case" from the
    cases app, "request" from the compliance workspace): scoring, which owns reveals, sits
    below both and never imports them."""
    _WORK_CHECKS[kind] = check


def work_check(kind: str) -> WorkCheck | None:
    """The check of ``kind``, or ``None`` when no app registered one (a reveal for it is
    refused)."""
    return _WORK_CHECKS.get(kind)


def work_kinds() -> list[str]:
    return sorted(_WORK_CHECKS)


# --- reveal budget alerts -------------------------------------------------------------------

_BUDGET_NEAR: list[Callable[[Any, int, int], None]] = []


def on_reveal_budget_near(listener: Callable[[Any, int, int], None]) -> None:
    """``listener(user, used, limit)`` hears when someone's reveals today reach the alert
    share of their day's limit (the cases app notifies supervisors)."""
    if listener not in _BUDGET_NEAR:
        _BUDGET_NEAR.append(listener)


def reveal_budget_near(user: Any, used: int, limit: int) -> None:
    for listener in _BUDGET_NEAR:
        listener(user, used, limit)
