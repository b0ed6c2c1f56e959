"""Reads of scorecard versions that the scorecard pages share."""

from __future__ import annotations

from django.db.models import QuerySet

from scoring.models import Scorecard


def scorecards_for_list() -> QuerySet[Scorecard]:
    """Every version, newest first, with who activated it (one query)."""
    return Scorecard.objects.select_related("activated_by").order_by("-version")


def scorecard_for_detail(*, scorecard_id: int) -> Scorecard:
    """One version (``Scorecard.DoesNotExist``)."""
    return Scorecard.objects.get(pk=scorecard_id)
