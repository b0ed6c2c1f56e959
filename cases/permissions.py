"""Who may do what with cases and decisions, as small functions (the services and views ask
these). Every rule asks ``portal.permissions.has_perm`` and is for people only: no job or
channel works cases or decides on them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from portal.permissions import has_perm

if TYPE_CHECKING:
    from cases.models import Case, Decision

# --- cases ------------------------------------------------------------------------------------


def can_view_cases(user: Any) -> bool:
    return has_perm(user, "cases.view_case")


def can_work_cases(user: Any) -> bool:
    """Claim, note, re-assess: officers and supervisors."""
    return has_perm(user, "cases.change_case")


def can_add_notes(user: Any) -> bool:
    return has_perm(user, "cases.add_note")


def can_reassign(user: Any) -> bool:
    """Supervisors (``change_decision`` is their "may approve" permission) reassign work."""
    return can_oversee_cases(user)


def ensure_can_work_cases(user: Any) -> None:
    if not can_work_cases(user):
        raise PermissionDenied(_("You may not work on cases."))


def ensure_can_add_notes(user: Any) -> None:
    if not can_add_notes(user):
        raise PermissionDenied(_("You may not add notes to cases."))


def ensure_can_reassign(user: Any) -> None:
    if not can_reassign(user):
        raise PermissionDenied(_("Only a supervisor may reassign cases."))


def can_oversee_cases(user: Any) -> bool:
    """Supervisors (``cases.change_decision``): they may work on any case in the queue."""
    return can_work_cases(user) and has_perm(user, "cases.change_decision")


def _assigned_to(user: Any, case: Case) -> bool:
    return case.assignee_id is not None and case.assignee_id == getattr(user, "pk", None)


def can_add_note_to(user: Any, case: Case) -> bool:
    """A note on this case: its assignee, or a supervisor (anyone else is handed the case
    first, by a supervisor's reassignment)."""
    return can_add_notes(user) and (_assigned_to(user, case) or can_oversee_cases(user))


def can_reassess_case(user: Any, case: Case) -> bool:
    """Re-run this case's assessment: its assignee, or a supervisor."""
    return can_work_cases(user) and (_assigned_to(user, case) or can_oversee_cases(user))


def ensure_can_add_note_to(user: Any, case: Case) -> None:
    ensure_can_add_notes(user)
    if not can_add_note_to(user, case):
        raise PermissionDenied(
            _(
                "Only the officer this case is assigned to, or a supervisor, may add notes "
                "to it. Ask a supervisor to reassign the case to you."
            )
        )


def ensure_can_reassess_case(user: Any, case: Case) -> None:
    ensure_can_work_cases(user)
    if not can_reassess_case(user, case):
        raise PermissionDenied(
            _(
                "Only the officer this case is assigned to, or a supervisor, may re-run its "
                "assessment. Ask a supervisor to reassign the case to you."
            )
        )


def can_view_decision_rates(user: Any) -> bool:
    """Override and approval rates by officer and reason: who reads the audit log
    (auditors and supervisors)."""
    return has_perm(user, "audit.view_auditentry")


# --- decisions --------------------------------------------------------------------------------


def can_propose_decisions(user: Any) -> bool:
    return has_perm(user, "cases.add_decision")


def can_approve_decisions(user: Any) -> bool:
    """Approve or reject a proposed decision: supervisors (``cases.change_decision``)."""
    return has_perm(user, "cases.change_decision")


def ensure_can_propose_decisions(user: Any) -> None:
    if not can_propose_decisions(user):
        raise PermissionDenied(_("You may not decide on cases."))


def ensure_can_approve_decisions(user: Any) -> None:
    if not can_approve_decisions(user):
        raise PermissionDenied(_("Only a supervisor may approve or reject decisions."))


def can_decide_on(user: Any, case: Case) -> bool:
    """Officers decide on the cases assigned to them; a supervisor on any case in the queue
    (and deciding makes it theirs: ``decision_propose`` assigns it to the decider)."""
    return can_propose_decisions(user) and (_assigned_to(user, case) or can_approve_decisions(user))


def ensure_can_decide_on(actor: Any, case: Case) -> None:
    ensure_can_propose_decisions(actor)
    if can_decide_on(actor, case):
        return
    if case.assignee_id is None:
        raise PermissionDenied(
            _(
                "This case is not assigned to you. Claim it from the queue, or ask a "
                "supervisor to assign it to you, before deciding on it."
            )
        )
    raise PermissionDenied(
        _(
            "This case is assigned to another officer: only they or a supervisor may decide "
            "on it. Ask a supervisor to reassign it to you."
        )
    )


def ensure_can_approve(actor: Any, decision: Decision) -> None:
    """A supervisor approves or rejects, never their own proposal."""
    ensure_can_approve_decisions(actor)
    if decision.proposed_by_id == actor.pk:
        raise PermissionDenied(_("You cannot approve or reject your own decision."))
