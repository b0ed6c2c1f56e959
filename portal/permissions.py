"""Who acts, and the one question every permission rule asks.

Three kinds of actor reach a service:

- a **person**: a staff ``User``, with the permissions of their roles;
- the **system**: ``SystemActor("job_name")``, a scheduled job, a command, a migration;
- a **channel**: ``ChannelActor``, a partner or upstream system authenticated by its API key.

A channel is *not* the system: it holds no staff permission and no right the system has, so
a service that lets the system skip a check still refuses a channel. ``has_perm`` is the one
primitive: the system's rights are an explicit argument of each rule, never implied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

__all__ = [
    "Actor",
    "ChannelActor",
    "SystemActor",
    "actor_label",
    "has_perm",
    "is_person",
]


@dataclass(frozen=True)
class SystemActor:
    """The system acting on its own: a scheduled job, a command, a migration."""

    name: str

    @property
    def label(self) -> str:
        return f"system:{self.name}"


@dataclass(frozen=True, init=False)
class ChannelActor:
    """What ``request.user`` is for a request authenticated by a channel's key, and the actor
    its writes are recorded as.

    Authenticated, but with no permission at all: a channel reaches only the views that ask
    for a channel, never a staff page or a staff endpoint, and ``has_perm`` refuses it every
    staff right and every system right. Its label, ``system:channel:<code>``, is the one the
    audit log has always named channels by.
    """

    name: str
    channel: Any

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, channel: Any) -> None:
        object.__setattr__(self, "name", f"channel:{channel.code}")
        object.__setattr__(self, "channel", channel)

    @property
    def label(self) -> str:
        return f"system:{self.name}"

    def get_username(self) -> str:
        return self.name

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perm_list: Any, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False

    def __str__(self) -> str:
        return self.name


# The kernel cannot name the user model (``accounts`` sits above it), so an actor is typed
# loosely here; apps annotate ``User | SystemActor`` (and ``ChannelActor`` where it may come).
Actor: TypeAlias = Any


def is_person(actor: Any) -> bool:
    """A signed-in staff member (not the system, not a channel, not anonymous)."""
    return (
        actor is not None
        and not isinstance(actor, SystemActor | ChannelActor)
        and bool(getattr(actor, "is_authenticated", False))
    )


def has_perm(actor: Any, perm: str, *, system: bool = False) -> bool:
    """Whether ``actor`` may do what ``perm`` (``app_label.codename``) names.

    A person: an active account holding the permission through a role. The system: exactly
    ``system`` (each rule says whether jobs may act without a person). A channel, anonymous
    visitors and nobody: never.
    """
    if isinstance(actor, SystemActor):
        return system
    if not is_person(actor) or not getattr(actor, "is_active", False):
        return False
    return bool(actor.has_perm(perm))


def actor_label(actor: Any) -> str:
    """``system:<job>`` for the system, ``system:channel:<code>`` for a channel, the username
    for a person ("" for nobody)."""
    if actor is None:
        return ""
    if isinstance(actor, SystemActor | ChannelActor):
        return actor.label
    return str(actor.get_username())
