"""Fit a scorecard from a labelled CSV: quantile bins, weight of evidence, logistic
regression, points scaling, hold-out metrics. Used by ``manage.py fit_scorecard``.

Data: one row per customer; columns named after the features the engine knows
(``scoring.scorecards.features.SCORABLE_FEATURES``, e.g. ``monthly_income``,
``utilisation``); the target column holds ``1`` for a bad outcome (default, write-off) and
``0`` for good. Empty cells are missing values and get a "missing" bin of their own. Other
columns (ids) are ignored.

Method:

1. Stratified hold-out split (``test_share``, default 30%, seeded).
2. Per feature, quantile bins on the training part (``bins`` quantiles, default 5; repeated
   edges merged), half-open ``[min, max)`` with open ends, as the engine scores them.
3. Weight of evidence per bin, ``ln(share of goods / share of bads)`` with 0.5 added to each
   count (so an empty bin does not give an infinite value); the missing bin gets its own
   WoE, 0 when the training data had no missing values.
4. ``sklearn.linear_model.LogisticRegression`` on the WoE-coded features, predicting "bad".
5. Points: ``score = offset + factor * ln(good:bad odds)`` with ``factor = PDO / ln 2`` and
   ``offset = base_score - factor * ln(base_odds)``: by default 600 points at odds of 50:1
   and 20 more points each time the odds double (PDO 20). Each bin's points are
   ``round(-factor * coefficient * WoE)``, base points ``round(offset - factor * intercept)``:
   integers, so the engine's contributions still sum exactly.
6. Cut-off: the score at good:bad odds of ``cutoff_odds`` (default 9:1, a 10% bad rate).
   The limit policy is the shipped bands moved to start at the cut-off; block rules are
   policy, not learnt, and are copied from the given rules (the champion's).
7. AUC, KS and Gini (``2*AUC - 1``) on the hold-out part, computed from the integer scores
   the engine gives the fitted scorecard (so the metrics describe what will run).
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.utils.translation import gettext as _
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split

from scoring.scorecards.default import DEFAULT_CHARACTERISTICS, DEFAULT_LIMIT_POLICY
from scoring.scorecards.engine import compile_spec, score
from scoring.scorecards.features import SCORABLE_FEATURES
from scoring.scorecards.validation import validate_spec

MIN_ROWS = 200
MIN_PER_CLASS = 20
DEFAULT_BINS = 5
PDO = 20
BASE_SCORE = 600
BASE_ODDS = 50.0
CUTOFF_ODDS = 9.0
TEST_SHARE = 0.3

# Fitted characteristics keep the shipped keys and reason codes of the features they read,
# so explanations label and rank them the same way.
_KNOWN = {ch["feature"]: ch for ch in DEFAULT_CHARACTERISTICS}


class FittingError(ValueError):
    """The data cannot be fitted; the message names the problem (no personal data)."""


@dataclass(frozen=True)
class LabelledData:
    features: list[str]
    x: np.ndarray  # rows * features, float, NaN where missing
    y: np.ndarray  # 1 = bad, 0 = good
    ignored: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FitResult:
    base_points: int
    cutoff: int
    characteristics: list[dict[str, Any]]
    limit_policy: list[dict[str, Any]]
    metrics: dict[str, Any]


def read_labelled_csv(  # noqa: C901  (one flat check per input field; splitting it would scatter the rules)
    path: Path | str, *, target: str, features: Sequence[str] | None = None
) -> LabelledData:
    """Read and check the CSV. Raises ``FittingError`` naming missing columns, a target that
    is not 0/1, too few rows or classes, and non-numeric feature values (with the line)."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115
    except OSError as exc:
        raise FittingError(
            _("Cannot read the file: %(error)s.") % {"error": exc.strerror}
        ) from None
    with handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader, [])]
        if not header:
            raise FittingError(_("The file is empty: it needs a header row and data rows."))
        if target not in header:
            raise FittingError(
                _("The target column “%(target)s” is missing; the columns are: %(columns)s.")
                % {"target": target, "columns": ", ".join(header)}
            )
        if features:
            missing = [name for name in features if name not in header]
            if missing:
                raise FittingError(
                    _("These feature columns are missing: %(columns)s.")
                    % {"columns": ", ".join(missing)}
                )
            unknown = [name for name in features if name not in SCORABLE_FEATURES]
            if unknown:
                raise FittingError(
                    _("These columns are not features a scorecard can read: %(columns)s.")
                    % {"columns": ", ".join(unknown)}
                )
            used = list(features)
        else:
            used = [name for name in header if name in SCORABLE_FEATURES and name != target]
            if not used:
                raise FittingError(
                    _("No feature columns found; name columns after the features: %(names)s.")
                    % {"names": ", ".join(sorted(SCORABLE_FEATURES))}
                )
        index = {name: header.index(name) for name in [*used, target]}
        rows: list[list[float]] = []
        labels: list[int] = []
        bad_targets: set[str] = set()
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            cells = [row[index[name]].strip() if index[name] < len(row) else "" for name in used]
            label = row[index[target]].strip() if index[target] < len(row) else ""
            if label not in {"0", "1"}:
                bad_targets.add(label or _("(empty)"))
                continue
            values = []
            for name, cell in zip(used, cells, strict=True):
                if cell == "":
                    values.append(math.nan)
                    continue
                try:
                    number = float(cell)
                except ValueError:
                    raise FittingError(
                        _("Line %(line)d: “%(column)s” is not a number.")
                        % {"line": line, "column": name}
                    ) from None
                if not math.isfinite(number):
                    raise FittingError(
                        _("Line %(line)d: “%(column)s” is not a finite number.")
                        % {"line": line, "column": name}
                    )
                values.append(number)
            rows.append(values)
            labels.append(int(label))
    if bad_targets:
        shown = sorted(bad_targets)[:5]
        raise FittingError(
            _("The target “%(target)s” must be 0 (good) or 1 (bad); found: %(values)s.")
            % {"target": target, "values": ", ".join(shown)}
        )
    if len(rows) < MIN_ROWS:
        raise FittingError(
            _("Too few rows: %(n)d; at least %(min)d labelled rows are needed.")
            % {"n": len(rows), "min": MIN_ROWS}
        )
    y = np.asarray(labels, dtype=int)
    bads = int(y.sum())
    if min(bads, len(y) - bads) < MIN_PER_CLASS:
        raise FittingError(
            _("Too few of one outcome: %(bad)d bad and %(good)d good; at least %(min)d of each.")
            % {"bad": bads, "good": len(y) - bads, "min": MIN_PER_CLASS}
        )
    ignored = [name for name in header if name not in used and name != target]
    return LabelledData(features=used, x=np.asarray(rows, dtype=float), y=y, ignored=ignored)


def _edges(values: np.ndarray, bins: int) -> list[float]:
    present = values[~np.isnan(values)]
    if present.size == 0:
        return []
    quantiles = np.quantile(present, [i / bins for i in range(1, bins)])
    edges: list[float] = []
    for q in quantiles:
        edge = float(f"{float(q):.6g}")
        if edge > float(present.min()) and (not edges or edge > edges[-1]):
            edges.append(edge)
    return edges


def _bin_index(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """Bin of each value (``len(edges) + 1`` for missing), half-open ``[min, max)``."""
    index = np.searchsorted(np.asarray(edges, dtype=float), values, side="right")
    return np.where(np.isnan(values), len(edges) + 1, index)


def _woe(bin_of: np.ndarray, y: np.ndarray, count: int) -> np.ndarray:
    goods_total = float((y == 0).sum())
    bads_total = float((y == 1).sum())
    woe = np.zeros(count)
    for b in range(count):
        members = bin_of == b
        if not members.any():
            continue  # an empty bin (the missing bin without missing values): neutral
        goods = float(((y == 0) & members).sum()) + 0.5
        bads = float(((y == 1) & members).sum()) + 0.5
        woe[b] = math.log((goods / goods_total) / (bads / bads_total))
    return woe


def _label(low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return _("any")
    if low is None:
        return f"< {high:g}"
    if high is None:
        return f"≥ {low:g}"
    return f"{low:g}-{high:g}"


def fit(
    data: LabelledData,
    *,
    seed: int,
    bins: int = DEFAULT_BINS,
    block_rules: list[dict[str, Any]] | None = None,
) -> FitResult:
    """Fit a scorecard to the data (see the module docstring for the method)."""
    x_train, x_test, y_train, y_test = train_test_split(
        data.x, data.y, test_size=TEST_SHARE, stratify=data.y, random_state=seed
    )
    factor = PDO / math.log(2)
    offset = BASE_SCORE - factor * math.log(BASE_ODDS)

    columns = []
    binning = []
    for j, _name in enumerate(data.features):
        edges = _edges(x_train[:, j], bins)
        bin_of = _bin_index(x_train[:, j], edges)
        woe = _woe(bin_of, y_train, len(edges) + 2)
        columns.append(woe[bin_of])
        binning.append((edges, woe))
    model = LogisticRegression(max_iter=1000, random_state=seed)
    model.fit(np.column_stack(columns), y_train)
    coefficients = model.coef_[0]
    intercept = float(model.intercept_[0])

    characteristics = []
    for j, name in enumerate(data.features):
        edges, woe = binning[j]
        bounds: list[float | None] = [None, *edges, None]
        points = [round(float(-factor * coefficients[j] * w)) for w in woe]
        known = _KNOWN.get(name, {})
        characteristics.append(
            {
                "key": known.get("key", name),
                "feature": name,
                "bins": [
                    {"label": _label(low, high), "min": low, "max": high, "points": points[b]}
                    for b, (low, high) in enumerate(itertools.pairwise(bounds))
                ],
                "missing_points": points[len(edges) + 1],
                "reason_code": known.get("reason_code", ""),
            }
        )
    base_points = round(offset - factor * intercept)
    cutoff = round(offset + factor * math.log(CUTOFF_ODDS))
    first_band = DEFAULT_LIMIT_POLICY[0]["min_score"]
    limit_policy = [
        {"min_score": band["min_score"] - first_band + cutoff, "limit": band["limit"]}
        for band in DEFAULT_LIMIT_POLICY
    ]
    rules = block_rules or []
    validate_spec(
        base_points=base_points,
        cutoff=cutoff,
        characteristics=characteristics,
        limit_policy=limit_policy,
        block_rules=rules,
    )

    # Hold-out metrics from the integer scores the engine gives (rules do not change scores).
    compiled = compile_spec(
        base_points=base_points,
        cutoff=cutoff,
        characteristics=characteristics,
        limit_policy=limit_policy,
        block_rules=[],
    )
    scores = np.asarray(
        [
            score(
                compiled,
                {
                    name: (None if math.isnan(v) else float(v))
                    for name, v in zip(data.features, row, strict=True)
                },
            ).score
            for row in x_test
        ],
        dtype=float,
    )
    good = (y_test == 0).astype(int)
    auc = float(roc_auc_score(good, scores))
    fpr, tpr, _thresholds = roc_curve(good, scores)
    ks = float(np.max(tpr - fpr))
    metrics = {
        "auc": round(auc, 4),
        "ks": round(ks, 4),
        "gini": round(2 * auc - 1, 4),
        "train_rows": len(y_train),
        "test_rows": len(y_test),
        "bad_rate": round(float(data.y.mean()), 4),
        "pdo": PDO,
        "base_score": BASE_SCORE,
        "base_odds": int(BASE_ODDS),
        "seed": seed,
    }
    return FitResult(
        base_points=base_points,
        cutoff=cutoff,
        characteristics=characteristics,
        limit_policy=limit_policy,
        metrics=metrics,
    )
