"""Who may do what with customers, credit lines and blocks."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from portal.permissions import SystemActor


def can_manage_blocks(actor: Any) -> bool:
    """Raise or lift a block: the system (rules, upstream signals, jobs) or a holder of
    ``scoring.change_block`` (risk officers and supervisors). Decision policy (four eyes
    for some lifts) is layered on top by the officer workflow."""
    if isinstance(actor, SystemActor):
        return True
    return bool(
        getattr(actor, "is_authenticated", False) and actor.has_perm("scoring.change_block")
    )


def ensure_can_manage_blocks(actor: Any) -> None:
    if not can_manage_blocks(actor):
        raise PermissionDenied(_("You may not raise or lift blocks."))


def can_search_customers(actor: Any) -> bool:
    return bool(
        getattr(actor, "is_authenticated", False) and actor.has_perm("scoring.view_customer")
    )


def ensure_can_search_customers(actor: Any) -> None:
    if not can_search_customers(actor):
        raise PermissionDenied(_("You may not look up customers."))


def ensure_can_create_customers(actor: Any) -> None:
    """Customers come from upstream systems and the demo seeder, never from staff pages."""
    if not isinstance(actor, SystemActor):
        raise PermissionDenied(_("Customers are created by upstream systems only."))


# --- assessments and bulk re-assessments (jobs) -----------------------------------------------


def _has_perm(actor: Any, perm: str) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and actor.has_perm(perm))


def can_request_assessments(actor: Any) -> bool:
    """Ask for an assessment: the system (signals, schedules, feedback) or a holder of
    ``scoring.add_assessment`` (risk officers and supervisors)."""
    return isinstance(actor, SystemActor) or _has_perm(actor, "scoring.add_assessment")


def ensure_can_request_assessments(actor: Any) -> None:
    if not can_request_assessments(actor):
        raise PermissionDenied(_("You may not request assessments."))


def can_view_assessments(actor: Any) -> bool:
    return _has_perm(actor, "scoring.view_assessment")


def can_view_bulk_jobs(actor: Any) -> bool:
    return _has_perm(actor, "scoring.view_bulkjob")


def can_start_bulk_jobs(actor: Any) -> bool:
    """Start a bulk re-assessment: supervisors (``scoring.add_bulkjob``)."""
    return _has_perm(actor, "scoring.add_bulkjob")


def ensure_can_start_bulk_jobs(actor: Any) -> None:
    if not can_start_bulk_jobs(actor):
        raise PermissionDenied(_("You may not start bulk re-assessments."))


def can_manage_bulk_jobs(actor: Any) -> bool:
    """Cancel or resume a bulk re-assessment: supervisors (``scoring.change_bulkjob``)."""
    return _has_perm(actor, "scoring.change_bulkjob")


def ensure_can_manage_bulk_jobs(actor: Any) -> None:
    if not can_manage_bulk_jobs(actor):
        raise PermissionDenied(_("You may not cancel or resume bulk re-assessments."))
