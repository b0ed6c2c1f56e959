"""Who may do what with customer feedback, partner channels and their API keys.

Every rule asks ``portal.permissions.has_perm``. Channels and keys are managed by
administrators or by the system (``channel_create_key``, a command an operator runs); a
channel itself never manages channels, not even its own keys.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from portal.permissions import has_perm

# --- feedback triage --------------------------------------------------------------------------


def can_triage_feedback(user: Any) -> bool:
    """Link unmatched feedback to a customer, or close it: officers."""
    return has_perm(user, "intake.change_feedback")


def ensure_can_triage_feedback(user: Any) -> None:
    if not can_triage_feedback(user):
        raise PermissionDenied(_("You may not triage customer feedback."))


# --- channels and their keys ------------------------------------------------------------------


def _refuse_channel_management() -> None:
    raise PermissionDenied(_("You may not manage channels and their API keys."))


def can_create_channels(actor: Any) -> bool:
    return has_perm(actor, "intake.add_channel", system=True)


def ensure_can_create_channels(actor: Any) -> None:
    if not can_create_channels(actor):
        _refuse_channel_management()


def can_change_channels(actor: Any) -> bool:
    """Rename a channel, change its kind, enable or disable it."""
    return has_perm(actor, "intake.change_channel", system=True)


def ensure_can_change_channels(actor: Any) -> None:
    if not can_change_channels(actor):
        _refuse_channel_management()


def can_create_channel_keys(actor: Any) -> bool:
    return has_perm(actor, "intake.add_channelkey", system=True)


def ensure_can_create_channel_keys(actor: Any) -> None:
    if not can_create_channel_keys(actor):
        _refuse_channel_management()


def can_revoke_channel_keys(actor: Any) -> bool:
    return has_perm(actor, "intake.change_channelkey", system=True)


def ensure_can_revoke_channel_keys(actor: Any) -> None:
    if not can_revoke_channel_keys(actor):
        _refuse_channel_management()
