"""Reads of the case page: the case for a user (404 for a stranger), its active blocks and
the latest assessment of its customer."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from cases.models import Case
from cases.permissions import can_view_cases
from scoring.models import Assessment, AssessmentTrigger, Block


def case_for_user(user: Any, pk: int) -> Case:
    """The case with its customer, credit line and assignee, if ``user`` may see cases.

    Like Healthchecks' ``_get_check_for_user``: a stranger (no ``cases.view_case``) gets the
    same 404 as a missing case, never a 403 that confirms the case exists.
    """
    if not can_view_cases(user):
        raise Http404
    try:
        return Case.objects.select_related("customer", "credit_line", "assignee").get(pk=pk)
    except Case.DoesNotExist:
        raise Http404 from None


def case_active_blocks(*, case: Case) -> list[Block]:
    if case.credit_line_id is None:
        return []
    return list(
        Block.objects.active()
        .filter(credit_line_id=case.credit_line_id)
        .order_by("raised_at", "id")
    )


def case_latest_assessment(*, case: Case) -> Assessment | None:
    """The customer's most recent assessment (any status), loaded as the detail page does
    (the fields of ``scoring.selectors.assessment_detail``), in one query."""
    return (
        Assessment.objects.select_related("customer", "scorecard")
        .only(
            *(f.name for f in Assessment._meta.concrete_fields),
            "customer__id",
            "customer__external_id",
            "customer__name",
            "scorecard__id",
            "scorecard__version",
            "scorecard__name",
        )
        .filter(customer_id=case.customer_id)
        .exclude(trigger=AssessmentTrigger.SHADOW)
        .order_by("-queued_at", "-id")
        .first()
    )
