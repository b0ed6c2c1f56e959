"""Who acted and why, as a django-simple-history row records it: shared by every app's
services that save a model with history. ``audit.changes.record_change`` is the one call
for a save that is audited too."""

from __future__ import annotations

from typing import Any

from django.db import models

from audit.actions import ensure_action
from portal.permissions import Actor, ChannelActor, SystemActor, is_person

__all__ = ["CHANGE_REASON_MAX_LENGTH", "change_reason", "history_user", "save_with_history"]

CHANGE_REASON_MAX_LENGTH = 100  # django-simple-history's history_change_reason column


def history_user(actor: Actor | None) -> Any:
    """The ``history_user`` of a history row: the person, or nobody for the system or a
    channel."""
    return actor if is_person(actor) else None


def change_reason(action: str, actor: Actor | None, detail: str = "", *, ref: str = "") -> str:
    """A history row's change reason: ``block.lifted by system:rules: <detail>``.

    ``action`` is an ``AuditAction`` (``ValueError`` for any other code). The system is
    named in the text; a person is the row's ``history_user`` instead. ``ref`` names the
    record the change came from, right after the code (``decision.applied #7``).
    """
    text = ensure_action(action)
    if ref:
        text += f" {ref}"
    if isinstance(actor, SystemActor | ChannelActor):
        text += f" by {actor.label}"
    if detail:
        text += f": {detail}"
    return text[:CHANGE_REASON_MAX_LENGTH]


def save_with_history(
    obj: models.Model,
    *,
    actor: Actor | None,
    reason: str,
    fields: list[str] | None = None,
    force_insert: bool = False,
) -> None:
    """Save ``obj`` (only ``fields`` when given) so its history row names the actor and the
    reason (``change_reason``'s text)."""
    obj._history_user = history_user(actor)  # type: ignore[attr-defined]
    obj._change_reason = reason[:CHANGE_REASON_MAX_LENGTH]  # type: ignore[attr-defined]
    if force_insert:
        obj.save(force_insert=True)
    else:
        obj.save(update_fields=fields)
