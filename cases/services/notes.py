"""Notes on a case (``note_add``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import AuditAction
from audit.history_rows import change_reason, save_with_history
from audit.log import audit_record
from cases.models import CaseEventKind, Note
from cases.permissions import ensure_can_add_note_to, ensure_can_add_notes
from cases.services.primitives import case_bump, case_ensure_version, case_event_record, case_lock

NOTE_MAX_LENGTH = 4000


@transaction.atomic
def note_add(*, actor: User, case_id: int, body: str, version: int | None) -> Note:
    """Add a note to a case (from the version the form was opened at; stale is a 409).

    Only the case's assignee or a supervisor writes on it (``PermissionDenied``): another
    officer is handed the case first, by a supervisor's reassignment.
    """
    ensure_can_add_notes(actor)
    case = case_lock(case_id=case_id)
    ensure_can_add_note_to(actor, case)
    text = (body or "").strip()
    if not text:
        raise ValidationError({"body": [_("Write the note first.")]})
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"body": [_("A note is at most %(n)d characters.") % {"n": NOTE_MAX_LENGTH}]}
        )
    case_ensure_version(case=case, version=version)
    note = Note(case=case, author=actor, body=text)
    # The note's own history row; the audit entry is the case's, written last.
    save_with_history(note, actor=actor, reason=change_reason(AuditAction.NOTE_ADDED, actor))
    case_bump(case=case, actor=actor, reason=AuditAction.CASE_NOTE_ADDED, fields=[])
    case_event_record(case=case, kind=CaseEventKind.NOTE, actor=actor, data={"note": note.pk})
    audit_record(
        actor=actor, action=AuditAction.CASE_NOTE_ADDED, target=case, data={"note": note.pk}
    )
    return note
