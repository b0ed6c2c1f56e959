"""``manage.py fit_scorecard``: a draft fitted from labelled data, with metrics; bad input
gets a message naming the problem."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from scoring.models import Scorecard, ScorecardSource, ScorecardStatus
from scoring.scorecards.engine import compile_scorecard, score
from scoring.scorecards.validation import validate_scorecard

pytestmark = pytest.mark.django_db

AUC_FLOOR = 0.70
FEATURES = ["monthly_income", "utilisation", "delinquencies_12m", "device_changes_30d"]


def _labelled(n: int = 3000, seed: int = 42) -> list[dict[str, Any]]:
    """A known relationship: low income, high utilisation, delinquencies and device changes
    raise the chance of a bad outcome; 5% of incomes are missing."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(9.0, 0.5, n)
    utilisation = rng.uniform(0, 1, n)
    delinquencies = rng.poisson(0.4, n)
    devices = rng.poisson(0.8, n)
    logit = (
        -2.0
        - 1.2 * (np.log(income) - 9.0)
        + 3.0 * (utilisation - 0.5)
        + 0.9 * delinquencies
        + 0.3 * devices
    )
    bad = rng.uniform(0, 1, n) < 1 / (1 + np.exp(-logit))
    missing = rng.uniform(0, 1, n) < 0.05
    return [
        {
            "customer_ref": f"C{i}",
            "monthly_income": "" if missing[i] else f"{income[i]:.2f}",
            "utilisation": f"{utilisation[i]:.4f}",
            "delinquencies_12m": int(delinquencies[i]),
            "device_changes_30d": int(devices[i]),
            "defaulted": int(bad[i]),
        }
        for i in range(n)
    ]


def _write(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _fit(path: Path, **options: Any) -> str:
    out = StringIO()
    call_command("fit_scorecard", str(path), stdout=out, **options)
    return out.getvalue()


def test_a_fitted_draft_separates_good_from_bad_above_the_floor(tmp_path: Path) -> None:
    path = _write(tmp_path / "data.csv", _labelled())
    output = _fit(path, target="defaulted", seed=7, name="Fitted test")

    fitted = Scorecard.objects.get(source=ScorecardSource.FITTED)
    assert fitted.status == ScorecardStatus.DRAFT
    assert fitted.name == "Fitted test"
    assert fitted.metrics["auc"] > AUC_FLOOR
    assert fitted.metrics["gini"] == pytest.approx(2 * fitted.metrics["auc"] - 1, abs=1e-3)
    assert 0 < fitted.metrics["ks"] < 1
    assert fitted.metrics["test_rows"] == 900
    assert f"AUC {fitted.metrics['auc']:.4f}" in output
    assert "KS" in output
    assert "Gini" in output
    assert "Ignored columns: customer_ref" in output
    validate_scorecard(fitted)
    assert [c["feature"] for c in fitted.characteristics] == FEATURES
    assert fitted.characteristics[0]["key"] == "income"  # the shipped key, for labels
    assert fitted.block_rules == Scorecard.objects.get(is_champion=True).block_rules
    entry = AuditEntry.objects.get(action="scorecard.created")
    assert entry.actor_label == "system:fit_scorecard"
    assert entry.data["source"] == "fitted"

    # Higher utilisation costs points; the fitted card scores through the engine exactly.
    compiled = compile_scorecard(fitted)
    low = score(compiled, {"monthly_income": 8000, "utilisation": 0.1})
    high = score(compiled, {"monthly_income": 8000, "utilisation": 0.95})
    assert low.score > high.score
    assert sum(c["points"] for c in high.contributions) == high.score


def test_the_same_seed_fits_the_same_scorecard(tmp_path: Path) -> None:
    path = _write(tmp_path / "data.csv", _labelled(n=1200))
    _fit(path, target="defaulted", seed=3)
    _fit(path, target="defaulted", seed=3)
    first, second = Scorecard.objects.filter(source=ScorecardSource.FITTED).order_by("version")
    assert first.characteristics == second.characteristics
    assert first.metrics == second.metrics


@pytest.mark.parametrize(
    ("mutate", "options", "message"),
    [
        (lambda rows: rows, {"target": "bad_flag"}, "target column “bad_flag” is missing"),
        (
            lambda rows: rows,
            {"target": "defaulted", "features": "monthly_income,attempts_24h"},
            "feature columns are missing: attempts_24h",
        ),
        (
            lambda rows: [
                {**r, "defaulted": 2 if i == 5 else r["defaulted"]} for i, r in enumerate(rows)
            ],
            {"target": "defaulted"},
            "must be 0 (good) or 1 (bad); found: 2",
        ),
        (lambda rows: rows[:150], {"target": "defaulted"}, "Too few rows: 150"),
        (
            lambda rows: [
                {**r, "utilisation": "high" if i == 9 else r["utilisation"]}
                for i, r in enumerate(rows)
            ],
            {"target": "defaulted"},
            "Line 11: “utilisation” is not a number.",
        ),
        (
            lambda rows: [{**r, "defaulted": 0} for r in rows],
            {"target": "defaulted"},
            "Too few of one outcome: 0 bad",
        ),
    ],
    ids=["no-target", "missing-feature", "non-binary", "too-few-rows", "non-numeric", "one-class"],
)
def test_bad_input_gets_a_message_naming_the_problem(
    tmp_path: Path, mutate: Any, options: dict[str, Any], message: str
) -> None:
    path = _write(tmp_path / "data.csv", mutate(_labelled(n=400)))
    with pytest.raises(CommandError) as caught:
        _fit(path, **options)
    assert message in str(caught.value)
    assert not Scorecard.objects.filter(source=ScorecardSource.FITTED).exists()


def test_a_file_without_feature_columns_lists_the_names_it_understands(tmp_path: Path) -> None:
    rows = [{"ref": i, "defaulted": i % 2} for i in range(300)]
    path = _write(tmp_path / "data.csv", rows)
    with pytest.raises(CommandError, match="No feature columns found; name columns after"):
        _fit(path, target="defaulted")
