"""Who may do what with customers, credit lines, blocks, scorecards and assessments.

Every rule asks ``portal.permissions.has_perm``. ``system=True`` marks the rules a job or a
command meets without a person (rules, upstream signals, schedules, the seeder); a channel
meets none of them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from portal.permissions import has_perm, is_person

# --- blocks -----------------------------------------------------------------------------------


def can_manage_blocks(actor: Any) -> bool:
    """Raise or lift a block: the system (rules, upstream signals, jobs) or a holder of
    ``scoring.change_block`` (risk officers and supervisors). Decision policy (four eyes
    for some lifts) is layered on top by the officer workflow."""
    return has_perm(actor, "scoring.change_block", system=True)


def ensure_can_manage_blocks(actor: Any) -> None:
    if not can_manage_blocks(actor):
        raise PermissionDenied(_("You may not raise or lift blocks."))


# --- customers and credit lines ---------------------------------------------------------------


def can_search_customers(actor: Any) -> bool:
    return has_perm(actor, "scoring.view_customer")


def ensure_can_search_customers(actor: Any) -> None:
    if not can_search_customers(actor):
        raise PermissionDenied(_("You may not look up customers."))


def can_create_customers(actor: Any) -> bool:
    """Customers and their credit lines come from upstream systems and the demo seeder,
    never from staff pages: the system only, whatever permissions a person holds."""
    return not is_person(actor) and has_perm(actor, "scoring.add_customer", system=True)


def ensure_can_create_customers(actor: Any) -> None:
    if not can_create_customers(actor):
        raise PermissionDenied(_("Customers are created by upstream systems only."))


def can_view_credit_lines(actor: Any) -> bool:
    """Read credit lines and their blocks (the unusable-lines page)."""
    return has_perm(actor, "scoring.view_creditline")


def can_set_usable_limits(actor: Any) -> bool:
    """Override a line's usable limit (applied by an officer's decision)."""
    return has_perm(actor, "scoring.change_creditline")


def ensure_can_set_usable_limits(actor: Any) -> None:
    if not can_set_usable_limits(actor):
        raise PermissionDenied(_("You may not change usable limits."))


# --- personal data ---------------------------------------------------------------------------


def can_reveal_personal_data(actor: Any) -> bool:
    """See a customer's personal fields in plain text (always logged): officers,
    supervisors and privacy officers; never auditors (they read the log), never a job."""
    return has_perm(actor, "scoring.reveal_personal_data")


def ensure_can_reveal_personal_data(actor: Any) -> None:
    if not can_reveal_personal_data(actor):
        raise PermissionDenied(_("You may not reveal customers' personal data."))


def can_grant_reveal_allowances(actor: Any) -> bool:
    """Grant someone extra reveals for today beyond the daily budget: supervisors
    (``scoring.add_revealallowance``)."""
    return has_perm(actor, "scoring.add_revealallowance")


def ensure_can_grant_reveal_allowances(actor: Any) -> None:
    if not can_grant_reveal_allowances(actor):
        raise PermissionDenied(_("Only a supervisor may grant extra reveals."))


# --- scorecards -------------------------------------------------------------------------------


def can_view_scorecards(actor: Any) -> bool:
    return has_perm(actor, "scoring.view_scorecard")


def can_author_scorecards(actor: Any) -> bool:
    """Create and edit scorecard versions: supervisors (``scoring.add_scorecard``) and the
    system (``fit_scorecard``, the seeder)."""
    return has_perm(actor, "scoring.add_scorecard", system=True)


def ensure_can_author_scorecards(actor: Any) -> None:
    if not can_author_scorecards(actor):
        raise PermissionDenied(_("You may not create scorecard versions."))


def can_activate_scorecards(actor: Any) -> bool:
    """Make a version the champion: a supervisor, never the system."""
    return has_perm(actor, "scoring.activate_scorecard")


def ensure_can_activate_scorecards(actor: Any) -> None:
    if not can_activate_scorecards(actor):
        raise PermissionDenied(_("Only a supervisor may activate a scorecard version."))


def can_shadow_compare_scorecards(actor: Any) -> bool:
    """Shadow-score a challenger: the people who decide what to activate."""
    return has_perm(actor, "scoring.add_scorecard")


def ensure_can_shadow_compare_scorecards(actor: Any) -> None:
    if not can_shadow_compare_scorecards(actor):
        raise PermissionDenied(_("Only a supervisor may shadow-score a scorecard version."))


# --- assessments and bulk re-assessments (jobs) -----------------------------------------------


def can_request_assessments(actor: Any) -> bool:
    """Ask for an assessment: the system (signals, schedules, feedback) or a holder of
    ``scoring.add_assessment`` (risk officers and supervisors)."""
    return has_perm(actor, "scoring.add_assessment", system=True)


def ensure_can_request_assessments(actor: Any) -> None:
    if not can_request_assessments(actor):
        raise PermissionDenied(_("You may not request assessments."))


def can_view_assessments(actor: Any) -> bool:
    return has_perm(actor, "scoring.view_assessment")


def can_view_bulk_jobs(actor: Any) -> bool:
    return has_perm(actor, "scoring.view_bulkjob")


def can_start_bulk_jobs(actor: Any) -> bool:
    """Start a bulk re-assessment: supervisors (``scoring.add_bulkjob``)."""
    return has_perm(actor, "scoring.add_bulkjob")


def ensure_can_start_bulk_jobs(actor: Any) -> None:
    if not can_start_bulk_jobs(actor):
        raise PermissionDenied(_("You may not start bulk re-assessments."))


def can_manage_bulk_jobs(actor: Any) -> bool:
    """Cancel or resume a bulk re-assessment: supervisors (``scoring.change_bulkjob``)."""
    return has_perm(actor, "scoring.change_bulkjob")


def ensure_can_manage_bulk_jobs(actor: Any) -> None:
    if not can_manage_bulk_jobs(actor):
        raise PermissionDenied(_("You may not cancel or resume bulk re-assessments."))
