"""The scoring step: exact contributions, missing values, ranked reasons, snapshots."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.models import CustomerFeatures, Scorecard, ScorecardStatus
from scoring.scorecards.default import default_scorecard_fields
from scoring.scorecards.engine import DECLINE, compile_scorecard, compile_spec, score
from scoring.scorecards.features import SCORABLE_FEATURES, features_snapshot, features_snapshots
from scoring.scorecards.validation import validate_spec
from tests.factories.scoring import CustomerFactory

DEFAULT = default_scorecard_fields()
TODAY = date(2026, 11, 23)


def _compiled(**overrides: Any) -> Any:
    spec = {**DEFAULT, **overrides}
    return compile_spec(
        base_points=spec["base_points"],
        cutoff=spec["cutoff"],
        characteristics=spec["characteristics"],
        limit_policy=spec["limit_policy"],
        block_rules=spec["block_rules"],
    )


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
    "consent_active": True,
}

# Anything a snapshot might hold: numbers in and out of range, strings, garbage, gaps.
feature_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
    st.text(max_size=6),
)
snapshots = st.dictionaries(st.sampled_from(sorted(SCORABLE_FEATURES)), feature_values)


def _total(result: Any) -> int:
    return sum(c["points"] for c in result.contributions)


@settings(max_examples=300, deadline=None)
@given(snapshot=snapshots)
def test_contributions_sum_to_the_score_for_any_snapshot_on_the_default_scorecard(
    snapshot: dict[str, Any],
) -> None:
    result = score(_compiled(), snapshot)
    assert isinstance(result.score, int)
    assert _total(result) == result.score
    assert result.contributions[0] == {"characteristic": "base", "points": 300}
    assert len(result.contributions) == 1 + len(DEFAULT["characteristics"])
    assert result.to_json()["score"] == result.score


@st.composite
def scorecards(draw: st.DrawFn) -> dict[str, Any]:
    """A valid random scorecard: sorted distinct edges, open ends, integer points."""
    characteristics = []
    for index in range(draw(st.integers(1, 5))):
        edges = sorted(
            draw(st.sets(st.integers(-1000, 1000).map(lambda v: v / 10), min_size=0, max_size=5))
        )
        bounds = [None, *edges, None]
        bins = [
            {
                "label": f"b{i}",
                "min": low,
                "max": high,
                "points": draw(st.integers(-50, 80)),
            }
            for i, (low, high) in enumerate(itertools.pairwise(bounds))
        ]
        characteristics.append(
            {
                "key": f"c{index}",
                "feature": draw(st.sampled_from(sorted(SCORABLE_FEATURES))),
                "bins": bins,
                "missing_points": draw(st.integers(-50, 80)),
                "reason_code": draw(st.sampled_from(["", "THIN_FILE", "GEO_ANOMALY"])),
            }
        )
    return {
        "base_points": draw(st.integers(0, 600)),
        "cutoff": draw(st.integers(0, 900)),
        "characteristics": characteristics,
        "limit_policy": [{"min_score": 500, "limit": "1000"}, {"min_score": 600, "limit": 5000}],
        "block_rules": [{"code": "VELOCITY", "feature": "attempts_24h", "op": "gte", "value": 6}],
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=scorecards(), snapshot=snapshots)
def test_contributions_sum_to_the_score_on_random_valid_scorecards(
    spec: dict[str, Any], snapshot: dict[str, Any]
) -> None:
    validate_spec(**spec)
    compiled = compile_spec(**spec)
    result = score(compiled, snapshot)
    assert _total(result) == result.score
    for contribution in result.contributions[1:]:
        assert contribution["points"] <= contribution["max_points"]
    costs = [r["cost"] for r in result.reason_codes if not r["blocking"]]
    assert costs == sorted(costs, reverse=True)


def test_a_healthy_customer_is_approved_with_the_limit_of_their_band() -> None:
    result = score(_compiled(), HEALTHY)
    assert result.score == 600
    assert result.decision == "approve"
    assert result.recommended_limit == Decimal("10000.00")
    assert result.rule_hits == []


def test_missing_features_fall_in_the_missing_bin_with_its_points_never_a_crash() -> None:
    result = score(_compiled(), {})
    by_key = {c["characteristic"]: c for c in result.contributions}
    assert by_key["file_depth"] == {
        "characteristic": "file_depth",
        "feature": "bureau_accounts",
        "value": None,
        "bin": "missing",
        "points": 0,
        "max_points": 50,
        "reason_code": "THIN_FILE",
    }
    assert by_key["income"]["points"] == 5
    assert _total(result) == result.score
    assert {"code": "THIN_FILE", "feature": "bureau_accounts", "op": "missing"}.items() <= (
        result.rule_hits[0].items()
    )


def test_unreadable_values_are_treated_as_missing() -> None:
    result = score(_compiled(), {**HEALTHY, "monthly_income": "n/a", "utilisation": math.nan})
    by_key = {c["characteristic"]: c for c in result.contributions}
    assert by_key["income"]["bin"] == "missing"
    assert by_key["utilisation"]["bin"] == "missing"
    assert by_key["utilisation"]["value"] == "nan"  # stored JSON-safe


def test_bins_are_half_open_lower_edge_included() -> None:
    compiled = _compiled()
    at_edge = score(compiled, {**HEALTHY, "monthly_income": 6000})
    below = score(compiled, {**HEALTHY, "monthly_income": 5999.99})
    assert at_edge.contributions[1]["points"] == 40
    assert below.contributions[1]["points"] == 20


def test_rule_hits_rank_first_then_cost_descending() -> None:
    snapshot = {
        **HEALTHY,
        "device_changes_30d": 5,  # rule DEVICE_ANOMALY (cost 25 on its characteristic)
        "distance_from_usual_city_km": 1200,  # no rule (< 1500), cost 30 → GEO_ANOMALY
        "identity_consistency": "0.80",  # cost 25 → DATA_MISMATCH, no rule (>= 0.6)
        "bureau_accounts": 1,  # cost 40 → THIN_FILE, no rule (>= 1)
    }
    result = score(_compiled(), snapshot)
    assert [r["code"] for r in result.reason_codes] == [
        "DEVICE_ANOMALY",
        "SCORE_BELOW_CUTOFF",
        "THIN_FILE",
        "GEO_ANOMALY",
        "DATA_MISMATCH",
    ]
    first = result.reason_codes[0]
    assert first == {"code": "DEVICE_ANOMALY", "cost": 25, "blocking": True}
    assert result.score < result.cutoff
    assert result.decision == DECLINE
    assert result.recommended_limit == Decimal("0.00")


def test_score_below_cutoff_is_listed_only_when_the_score_is_below_the_cutoff() -> None:
    above = score(_compiled(), {**HEALTHY, "monthly_income": 2000})  # 560 ≥ 540
    assert "SCORE_BELOW_CUTOFF" not in [r["code"] for r in above.reason_codes]
    below = score(_compiled(cutoff=700), HEALTHY)
    codes = {r["code"]: r for r in below.reason_codes}
    # Plain credit-strength characteristics (no code of their own) cost it: tenure 10,
    # income 25, utilisation 15, and file depth goes to THIN_FILE (15).
    assert codes["SCORE_BELOW_CUTOFF"] == {
        "code": "SCORE_BELOW_CUTOFF",
        "cost": 50,
        "blocking": True,
    }
    assert codes["THIN_FILE"] == {"code": "THIN_FILE", "cost": 15, "blocking": False}


def test_ties_in_cost_are_broken_by_code_so_the_order_is_stable() -> None:
    snapshot = {**HEALTHY, "bureau_accounts": 5, "identity_consistency": "0.95"}  # DATA 10
    snapshot["distance_from_usual_city_km"] = 100  # GEO 10
    result = score(_compiled(), snapshot)
    assert [r["code"] for r in result.reason_codes] == ["DATA_MISMATCH", "GEO_ANOMALY"]


def test_consent_and_kyc_rules_block_outright() -> None:
    result = score(_compiled(), {**HEALTHY, "consent_active": False, "kyc_days_left": -3})
    assert [h["code"] for h in result.rule_hits] == ["CONSENT_MISSING", "KYC_EXPIRED"]
    assert result.decision == DECLINE
    assert result.reason_codes[0]["blocking"]


def test_invalid_specs_are_refused_with_messages_naming_the_problem() -> None:
    bad = [dict(ch) for ch in DEFAULT["characteristics"]]
    bad[0] = {**bad[0], "bins": [{**b} for b in bad[0]["bins"]]}
    bad[0]["bins"][1]["min"] = 3500  # gap after the first bin
    bad[1] = {**bad[1], "reason_code": "NOT_A_CODE"}
    with pytest.raises(ValidationError) as caught:
        validate_spec(
            base_points=300,
            cutoff="540",
            characteristics=bad,
            limit_policy=[{"min_score": 600, "limit": 10}, {"min_score": 550, "limit": 20}],
            block_rules=[{"code": "VELOCITY", "feature": "shoe_size", "op": "gte", "value": 1}],
        )
    text = " ".join(caught.value.messages)
    assert "The cut-off must be a whole number." in text
    assert "gap or overlap" in text
    assert "unknown reason code “NOT_A_CODE”" in text
    assert "sorted by minimum score" in text
    assert "unknown feature “shoe_size”" in text


def test_a_bin_without_an_open_end_is_refused() -> None:
    ch = {
        "key": "x",
        "feature": "attempts_24h",
        "bins": [{"label": "a", "min": 0, "max": None, "points": 1}],
        "missing_points": 0,
    }
    with pytest.raises(ValidationError, match="first bin must have no lower edge"):
        validate_spec(
            base_points=0, cutoff=0, characteristics=[ch], limit_policy=[], block_rules=[]
        )


@pytest.mark.django_db
def test_the_snapshot_is_json_safe_with_derived_values() -> None:
    customer = CustomerFactory()
    features = CustomerFeatures.objects.create(
        customer=customer,
        monthly_income=Decimal("8000.50"),
        utilisation=Decimal("0.3500"),
        bureau_accounts=2,
        kyc_expires_on=TODAY + timedelta(days=10),
    )
    snapshot = features_snapshot(features, customer, today=TODAY)
    assert snapshot["monthly_income"] == "8000.50"
    assert snapshot["utilisation"] == "0.3500"
    assert snapshot["bureau_accounts"] == 2
    assert snapshot["kyc_expires_on"] == "2026-12-03"
    assert snapshot["kyc_days_left"] == 10
    assert snapshot["consent_active"] is True
    assert snapshot["months_on_book"] is None
    none = features_snapshot(None, customer, today=TODAY)
    assert none["monthly_income"] is None
    assert none["kyc_days_left"] is None


@pytest.mark.django_db
def test_snapshots_for_many_customers_take_one_query_and_decrypt_nothing(
    django_assert_num_queries: Any,
) -> None:
    customers = CustomerFactory.create_batch(5)
    withdrawn = customers[1]
    withdrawn.consent_withdrawn_at = timezone.now()
    withdrawn.save()
    for customer in customers[:3]:
        CustomerFeatures.objects.create(customer=customer, device_changes_30d=4)
    ids = [c.pk for c in customers]
    with django_assert_num_queries(1) as captured:
        snapshots = features_snapshots(ids, today=TODAY)
    sql = captured.captured_queries[0]["sql"]
    for column in ('"name"', '"national_id"', '"phone"'):
        assert column not in sql
    assert snapshots[ids[0]]["device_changes_30d"] == 4
    assert snapshots[ids[4]]["device_changes_30d"] is None
    assert snapshots[ids[1]]["consent_active"] is False
    assert snapshots[ids[0]] == features_snapshot(
        CustomerFeatures.objects.get(pk=ids[0]), customers[0], today=TODAY
    )


@pytest.mark.django_db
def test_active_scorecards_compile_once_and_drafts_compile_fresh() -> None:
    champion = Scorecard.objects.get(is_champion=True)
    assert champion.version == 1
    assert champion.source == "default"
    assert compile_scorecard(champion) is compile_scorecard(Scorecard.objects.get(pk=champion.pk))
    draft = Scorecard(
        version=99,
        name="d",
        status=ScorecardStatus.DRAFT,
        **{
            k: DEFAULT[k]
            for k in ("base_points", "cutoff", "characteristics", "limit_policy", "block_rules")
        },
    )
    first = compile_scorecard(draft)
    draft.cutoff = 100
    assert compile_scorecard(draft).cutoff == 100 != first.cutoff
