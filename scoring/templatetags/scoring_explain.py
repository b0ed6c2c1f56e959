"""``{% assessment_result assessment %}``: the status, chart, reasons and diff of an
assessment, for the detail page and for the live-status partial that polling swaps in."""

from __future__ import annotations

from typing import Any

from django import template

from scoring.models import Assessment, AssessmentStatus
from scoring.permissions import can_request_assessments
from scoring.scorecards import charts, explain

register = template.Library()


@register.inclusion_tag("scoring/_assessment_result_body.html", takes_context=True)
def assessment_result(context: template.Context, assessment: Assessment) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    succeeded = assessment.status == AssessmentStatus.SUCCEEDED
    previous = explain.previous_assessment(assessment) if succeeded else None
    return {
        "assessment": assessment,
        "succeeded": succeeded,
        "failed": assessment.status == AssessmentStatus.FAILED,
        "chart": charts.waterfall_html(assessment) if succeeded else "",
        "reasons": explain.ranked_reasons(assessment) if succeeded else [],
        "rule_hits": assessment.rule_hits if succeeded else [],
        "diff": explain.assessment_diff(previous, assessment) if previous else None,
        "previous": previous,
        # A page that offers its own re-run (the case page) sets ``rerun_elsewhere``.
        "can_rerun": can_request_assessments(user) and not context.get("rerun_elsewhere"),
        "csrf_token": context.get("csrf_token"),
    }
