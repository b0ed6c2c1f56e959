"""Who acted and why, as a django-simple-history row records it: shared by every app's
services that save a model with history."""

from __future__ import annotations

from typing import Any

from django.db import models

from portal.permissions import Actor, ChannelActor, SystemActor, is_person

__all__ = ["CHANGE_REASON_MAX_LENGTH", "change_reason", "history_user", "save_with_history"]

CHANGE_REASON_MAX_LENGTH = 100  # django-simple-history's history_change_reason column


def history_user(actor: Actor | None) -> Any:
    """The ``history_user`` of a history row: the person, or nobody for the system or a
    channel."""
    return actor if is_person(actor) else None


def change_reason(action: str, actor: Actor | None, detail: str = "") -> str:
    """A history row's change reason: ``block.lifted by system:rules: <detail>``.

    The system is named in the text; a person is the row's ``history_user`` instead.
    """
    text = f"{action} by {actor.label}" if isinstance(actor, SystemActor | ChannelActor) else action
    if detail:
        text += f": {detail}"
    return text[:CHANGE_REASON_MAX_LENGTH]


def save_with_history(obj: models.Model, *, actor: Actor, reason: str, fields: list[str]) -> None:
    """Save ``fields`` of ``obj`` so its history row names the actor and the reason."""
    obj._history_user = history_user(actor)  # type: ignore[attr-defined]
    obj._change_reason = reason  # type: ignore[attr-defined]
    obj.save(update_fields=fields)
