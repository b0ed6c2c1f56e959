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
    return can_work_cases(user) and has_perm(user, "cases.change_decision")


def ensure_can_work_cases(user: Any) -> None:
    if not can_work_cases(user):
        raise PermissionDenied(_("You may not work on cases."))


def ensure_can_add_notes(user: Any) -> None:
    if not can_add_notes(user):
        raise PermissionDenied(_("You may not add notes to cases."))


def ensure_can_reassign(user: Any) -> None:
    if not can_reassign(user):
        raise PermissionDenied(_("Only a supervisor may reassign cases."))


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


def ensure_can_decide_on(actor: Any, case: Case) -> None:
    """Officers decide on the cases assigned to them; a supervisor on any case."""
    ensure_can_propose_decisions(actor)
    if case.assignee_id != actor.pk and not can_approve_decisions(actor):
        raise PermissionDenied(_("This case is assigned to someone else."))


def ensure_can_approve(actor: Any, decision: Decision) -> None:
    """A supervisor approves or rejects, never their own proposal."""
    ensure_can_approve_decisions(actor)
    if decision.proposed_by_id == actor.pk:
        raise PermissionDenied(_("You cannot approve or reject your own decision."))
