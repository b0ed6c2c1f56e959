"""Explanations: the waterfall, ranked reasons, the customer's text in both languages, diffs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from scoring.scorecards.charts import waterfall_figure, waterfall_html
from scoring.scorecards.explain import (
    assessment_diff,
    customer_explanation,
    previous_assessment,
    ranked_reasons,
)
from scoring.scorecards.labels import snapshot_rows
from tests.factories.scoring import CustomerFactory, make_assessment

pytestmark = pytest.mark.django_db

HEALTHY: dict[str, Any] = {
    "monthly_income": "8000.00",
    "months_on_book": 30,
    "bureau_accounts": 3,
    "utilisation": "0.4000",
    "delinquencies_12m": 0,
    "device_changes_30d": 0,
    "distance_from_usual_city_km": 10,
    "identity_consistency": "0.990",
    "attempts_24h": 1,
    "kyc_days_left": 300,
}
ANOMALOUS = {**HEALTHY, "device_changes_30d": 5, "bureau_accounts": 1, "monthly_income": "2500"}


def test_the_waterfall_runs_from_base_points_to_the_score_with_the_cutoff_line() -> None:
    assessment = make_assessment(CustomerFactory(), features=HEALTHY)
    figure = waterfall_figure(assessment)
    trace = figure.data[0]
    assert trace.type == "waterfall"
    assert list(trace.measure) == ["absolute"] + ["relative"] * 8 + ["total"]
    assert sum(trace.y[:-1]) == trace.y[-1] == assessment.score
    assert trace.x[0] == "Base points"
    assert trace.x[-1] == "Score"
    (line,) = figure.layout.shapes
    assert line.y0 == line.y1 == assessment.cutoff
    html = waterfall_html(assessment)
    assert "plotly" in html.lower()
    assert "<script src" not in html  # the page loads plotly.js from static files


def test_the_waterfall_labels_follow_the_active_language() -> None:
    assessment = make_assessment(CustomerFactory(), features=HEALTHY)
    with translation.override("zh-hans"):
        trace = waterfall_figure(assessment).data[0]
    assert trace.x[0] == "基础分"
    assert trace.x[-1] == "评分"


def test_ranked_reasons_follow_the_stored_ranking_in_plain_language() -> None:
    assessment = make_assessment(CustomerFactory(), features=ANOMALOUS)
    reasons = ranked_reasons(assessment)
    assert [r.code for r in reasons] == [r["code"] for r in assessment.reason_codes]
    first = reasons[0]
    assert first.code == "DEVICE_ANOMALY"
    assert first.blocking
    assert first.title == "Unusual device"
    assert "device that does not match" in first.text
    assert first.rule_hits == ["Device changes in the last 30 days is 5 (rule: ≥ 4)"]
    thin = next(r for r in reasons if r.code == "THIN_FILE")
    assert [(d.label, d.points, d.max_points) for d in thin.details] == [
        ("Credit history on file", 10, 50)
    ]
    with translation.override("zh-hans"):
        chinese = ranked_reasons(assessment)[0]
    assert chinese.title == "设备异常"


def test_the_customer_explanation_says_what_why_and_how_to_ask_for_review_in_english() -> None:
    declined = make_assessment(CustomerFactory(), features=ANOMALOUS)
    text = customer_explanation(declined, language="en")
    assert "cannot be made available to use at this time" in text
    assert "a device that does not match the ones you usually use" in text
    assert "ask for a person to review it" in text
    assert f"A-{declined.pk}" in text
    assert str(declined.score) not in text  # no internal score
    assert "cut-off" not in text.lower()

    approved = make_assessment(CustomerFactory(), features=HEALTHY)
    text = customer_explanation(approved, language="en")
    assert "a credit limit of up to 10,000 yuan" in text


def test_the_customer_explanation_in_chinese() -> None:
    declined = make_assessment(CustomerFactory(), features=ANOMALOUS)
    text = customer_explanation(declined, language="zh-hans")
    assert "自动" in text
    assert "人工复核" in text
    assert f"A-{declined.pk}" in text
    assert "device" not in text
    # The active language is left as it was.
    assert translation.get_language() == "en"


def test_the_diff_shows_moved_characteristics_score_limit_and_reasons() -> None:
    customer = CustomerFactory()
    old = make_assessment(customer, features=HEALTHY, queued_at=timezone.now() - timedelta(days=30))
    new = make_assessment(customer, features=ANOMALOUS)
    assert previous_assessment(new) == old
    assert previous_assessment(old) is None
    diff = assessment_diff(old, new)
    moved = {m.key: m for m in diff.moved}
    assert set(moved) == {"income", "file_depth", "device_changes"}
    assert (moved["device_changes"].old_points, moved["device_changes"].new_points) == (30, 5)
    assert moved["device_changes"].old_bin == "0"
    assert moved["device_changes"].new_bin == "3-5"
    assert moved["device_changes"].change == -25
    assert diff.score_change == new.score - old.score
    assert diff.limit_change == new.recommended_limit - old.recommended_limit
    assert "DEVICE_ANOMALY" in diff.reasons_added
    assert diff.reasons_removed == []
    assert assessment_diff(new, old).reasons_removed == diff.reasons_added


def test_the_snapshot_rows_are_labelled_in_the_active_language() -> None:
    assessment = make_assessment(CustomerFactory(), features=HEALTHY)
    rows = dict(snapshot_rows(assessment))
    assert rows["Credit-bureau accounts on file"] == "3"
    assert rows["Consent to use financial information"] == "yes"
    with translation.override("zh-hans"):
        chinese = dict(snapshot_rows(assessment))
    assert chinese["征信账户数"] == "3"
