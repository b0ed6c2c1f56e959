"""Notes on a case (``note_add``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.log import audit_record
from cases.models import CaseEventKind, Note
from cases.permissions import ensure_can_add_notes
from cases.services.primitives import case_bump, case_ensure_version, case_event_record, case_lock

NOTE_MAX_LENGTH = 4000


@transaction.atomic
def note_add(*, actor: User, case_id: int, body: str, version: int | None) -> Note:
    """Add a note to a case (from the version the form was opened at; stale is a 409)."""
    ensure_can_add_notes(actor)
    text = (body or "").strip()
    if not text:
        raise ValidationError({"body": [_("Write the note first.")]})
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"body": [_("A note is at most %(n)d characters.") % {"n": NOTE_MAX_LENGTH}]}
        )
    case = case_lock(case_id=case_id)
    case_ensure_version(case=case, version=version)
    note = Note(case=case, author=actor, body=text)
    note._history_user = actor  # type: ignore[attr-defined]
    note._change_reason = "note.added"  # type: ignore[attr-defined]
    note.save()
    case_bump(case=case, actor=actor, reason="case.note_added", fields=[])
    case_event_record(case=case, kind=CaseEventKind.NOTE, actor=actor, data={"note": note.pk})
    audit_record(actor=actor, action="case.note_added", target=case, data={"note": note.pk})
    return note
