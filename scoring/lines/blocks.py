"""Raising and lifting the blocks that make a credit line unusable.

Each service runs in one transaction that writes the change, its history row (acting user
and change reason) and its audit entry together. Free text (notes, lift reasons) stays on
the rows, where erasure can reach it; audit entries hold codes, ids and the line's
usability before and after, never personal data (the audit log is append-only).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import AuditAction
from audit.changes import record_change
from audit.history_rows import history_user
from portal.errors import Conflict
from portal.permissions import SystemActor, actor_label
from scoring.models import (
    Block,
    BlockSource,
    CreditLine,
    CreditLineState,
    ReasonCode,
)
from scoring.permissions import (
    ensure_can_manage_blocks,
)
from scoring.selectors import (
    credit_line_active_reason_codes,
    credit_line_is_shown_but_unusable,
)

Actor = User | SystemActor

NOTE_MAX_LENGTH = 500


def _usability(credit_line_id: int) -> dict[str, Any]:
    """What the audit entry records before and after a change to a line's blocks."""
    return {
        "shown_but_unusable": credit_line_is_shown_but_unusable(credit_line_id=credit_line_id),
        "active_reasons": credit_line_active_reason_codes(credit_line_id=credit_line_id),
    }


@transaction.atomic
def block_raise(
    *,
    actor: Actor,
    credit_line_id: int,
    reason_code: str,
    source: str,
    note: str = "",
) -> Block:
    """Block a credit line for a reason. One active block per line and reason.

    An officer raises blocks with source ``officer``; the system (rules, upstream signals)
    with ``rule`` or ``upstream``. Raises ``PermissionDenied``, ``ValidationError`` for a
    reason or source outside the lists, ``Conflict`` when the line is closed or already
    blocked for that reason, and ``CreditLine.DoesNotExist``.
    """
    ensure_can_manage_blocks(actor)
    if reason_code not in ReasonCode.values:
        raise ValidationError(_("Choose a reason code from the list."), code="reason_code")
    if source not in BlockSource.values:
        raise ValidationError(_("Choose a block source from the list."), code="source")
    if (source == BlockSource.OFFICER) == isinstance(actor, SystemActor):
        raise ValidationError(
            _("Blocks from officers have the source 'officer'; the system's never do."),
            code="source",
        )
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            _("Keep the note under %(limit)d characters.") % {"limit": NOTE_MAX_LENGTH},
            code="note",
        )

    line = CreditLine.objects.select_for_update().get(pk=credit_line_id)
    if line.state == CreditLineState.CLOSED:
        raise Conflict(_("This credit line is closed."), code="closed")
    if Block.objects.active().filter(credit_line=line, reason_code=reason_code).exists():
        raise Conflict(_("This credit line is already blocked for that reason."), code="duplicate")
    before = _usability(line.pk)

    block = Block(
        credit_line=line,
        reason_code=reason_code,
        source=source,
        raised_at=timezone.now(),
        raised_by=history_user(actor),
        raised_by_label=actor_label(actor),
        note=note,
    )
    # The data is read after the save: "after" is the line's usability with the block.
    return record_change(
        block,
        actor=actor,
        action=AuditAction.BLOCK_RAISED,
        detail=reason_code,
        data=lambda: {
            "credit_line": line.pk,
            "customer": line.customer_id,
            "reason_code": reason_code,
            "source": source,
            "before": before,
            "after": _usability(line.pk),
        },
    )


@transaction.atomic
def block_lift(*, actor: Actor, block_id: int, reason: str) -> Block:
    """Lift an active block, saying why. Lifting a lifted block is a ``Conflict`` and
    changes nothing (safe to retry). Raises ``PermissionDenied``, ``ValidationError`` for
    an empty reason and ``Block.DoesNotExist``.

    Locks the line before the block, in the same order as ``block_raise``.
    """
    ensure_can_manage_blocks(actor)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the block is lifted."), code="reason")

    credit_line_id = Block.objects.values_list("credit_line_id", flat=True).get(pk=block_id)
    line = CreditLine.objects.select_for_update().get(pk=credit_line_id)
    block = Block.objects.select_for_update().get(pk=block_id)
    if block.lifted_at is not None:
        raise Conflict(_("This block has already been lifted."), code="already_lifted")
    before = _usability(line.pk)

    block.lifted_at = timezone.now()
    block.lifted_by = history_user(actor)
    block.lifted_by_label = actor_label(actor)
    block.lift_reason = reason
    return record_change(
        block,
        actor=actor,
        action=AuditAction.BLOCK_LIFTED,
        detail=reason,
        update_fields=["lifted_at", "lifted_by", "lifted_by_label", "lift_reason"],
        data=lambda: {
            "credit_line": line.pk,
            "customer": line.customer_id,
            "reason_code": block.reason_code,
            "source": block.source,
            "raised_at": block.raised_at,
            "before": before,
            "after": _usability(line.pk),
        },
    )
