"""The scoring step: pure, fast, no database access while scoring.

- ``compile_scorecard(scorecard)`` turns a ``Scorecard`` row into a frozen
  ``CompiledScorecard`` (bins pre-sorted for ``bisect``). Activated scorecards are immutable
  (the database refuses edits), so their compiled form is cached by ``(id, version)``;
  drafts compile fresh every time.
- The feature snapshot it reads is built by ``scoring.scorecards.features``.
- ``score(compiled, snapshot)`` gives a ``ScoreResult``. Each contribution also carries the
  characteristic's ``reason_code`` ("" for plain credit strength), so an explanation can be
  built from the stored assessment alone, as it was decided.
- ``scoring.scorecards.validation.validate_spec`` checks a scorecard's JSON before it is
  stored or activated.

Reason-code rule (what ``ScoreResult.reason_codes`` holds, ranked):

1. Each characteristic's *cost* is what it lost against its best bin:
   ``max_points - points`` (the "missing" score counts like any other bin). Costs are
   summed per reason code; a characteristic without a code of its own (plain credit
   strength: income, tenure, utilisation, delinquencies) adds to ``SCORE_BELOW_CUTOFF``,
   which is listed only when the score is below the cut-off.
2. Order: first the codes raised by block rules (they stop the line outright, whatever
   the score), then ``SCORE_BELOW_CUTOFF`` when the score is below the cut-off (it stops
   the line too; it is the outcome the characteristic costs add up to), then every other
   code with a cost. Rule codes and ``SCORE_BELOW_CUTOFF`` are marked ``blocking``.
3. Within each group: cost descending, then code (so the order is total and stable).
   Codes with no cost that block nothing are left out.

Decision: ``decline`` when a rule is hit or the score is below the cut-off, else
``approve``; the recommended limit is the highest limit-policy band the score reaches,
``0`` when declined.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from scoring.models import ReasonCode, Scorecard

RULE_OPS: frozenset[str] = frozenset({"lt", "lte", "gt", "gte", "eq", "ne", "missing"})

APPROVE = "approve"
DECLINE = "decline"


def _number(value: Any) -> float | None:
    """The numeric value of a snapshot entry, ``None`` when missing or not a number."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str | Decimal):
        try:
            number = float(value)
        except (TypeError, ValueError, InvalidOperation):
            return None
    else:
        return None
    return None if math.isnan(number) else number


def _stored(value: Any) -> Any:
    """The snapshot value as it goes into contributions and rule hits (JSON-safe)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


# --- compiled scorecards ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompiledCharacteristic:
    key: str
    feature: str
    reason_code: str
    lows: tuple[float, ...]  # each bin's lower edge (-inf for an open end), ascending
    highs: tuple[float, ...]  # each bin's upper edge (+inf for an open end), exclusive
    labels: tuple[str, ...]
    points: tuple[int, ...]
    missing_points: int
    max_points: int  # the best this characteristic can give (bins and missing)

    def bin_of(self, value: float | None) -> int | None:
        """Index of the bin holding ``value``; ``None`` for missing (or outside every bin)."""
        if value is None:
            return None
        index = bisect_right(self.lows, value) - 1
        if index < 0 or value >= self.highs[index]:
            return None
        return index


@dataclass(frozen=True, slots=True)
class CompiledRule:
    code: str
    feature: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class CompiledScorecard:
    id: int | None
    version: int
    base_points: int
    cutoff: int
    characteristics: tuple[CompiledCharacteristic, ...]
    rules: tuple[CompiledRule, ...]
    band_scores: tuple[int, ...]  # limit policy: ascending min_score
    band_limits: tuple[Decimal, ...]

    def limit_for(self, score: int) -> Decimal:
        index = bisect_right(self.band_scores, score) - 1
        return self.band_limits[index] if index >= 0 else Decimal("0.00")


_CACHE: dict[tuple[int, int], CompiledScorecard] = {}
_CACHE_MAX = 64


def _edge(value: Any, default: float) -> float:
    return default if value is None else float(value)


def compile_spec(
    *,
    base_points: int,
    cutoff: int,
    characteristics: Sequence[Mapping[str, Any]],
    limit_policy: Sequence[Mapping[str, Any]],
    block_rules: Sequence[Mapping[str, Any]],
    scorecard_id: int | None = None,
    version: int = 0,
) -> CompiledScorecard:
    """Compile a scorecard spec (as validated by ``validate_spec``)."""
    compiled: list[CompiledCharacteristic] = []
    for spec in characteristics:
        bins = sorted(spec["bins"], key=lambda b: _edge(b.get("min"), -math.inf))
        points = tuple(int(b["points"]) for b in bins)
        missing = int(spec.get("missing_points", 0))
        compiled.append(
            CompiledCharacteristic(
                key=str(spec["key"]),
                feature=str(spec["feature"]),
                reason_code=str(spec.get("reason_code") or ""),
                lows=tuple(_edge(b.get("min"), -math.inf) for b in bins),
                highs=tuple(_edge(b.get("max"), math.inf) for b in bins),
                labels=tuple(str(b.get("label") or "") for b in bins),
                points=points,
                missing_points=missing,
                max_points=max((*points, missing)),
            )
        )
    bands = sorted(limit_policy, key=lambda band: int(band["min_score"]))
    return CompiledScorecard(
        id=scorecard_id,
        version=version,
        base_points=int(base_points),
        cutoff=int(cutoff),
        characteristics=tuple(compiled),
        rules=tuple(
            CompiledRule(
                code=str(r["code"]),
                feature=str(r["feature"]),
                op=str(r["op"]),
                value=r.get("value"),
            )
            for r in block_rules
        ),
        band_scores=tuple(int(b["min_score"]) for b in bands),
        band_limits=tuple(Decimal(str(b["limit"])).quantize(Decimal("0.01")) for b in bands),
    )


def compile_scorecard(scorecard: Scorecard) -> CompiledScorecard:
    """The compiled form of a scorecard; cached for activated (immutable) versions."""
    cacheable = scorecard.pk is not None and scorecard.activated_at is not None
    key = (int(scorecard.pk or 0), int(scorecard.version))
    if cacheable and (hit := _CACHE.get(key)) is not None:
        return hit
    compiled = compile_spec(
        base_points=scorecard.base_points,
        cutoff=scorecard.cutoff,
        characteristics=scorecard.characteristics,
        limit_policy=scorecard.limit_policy,
        block_rules=scorecard.block_rules,
        scorecard_id=scorecard.pk,
        version=scorecard.version,
    )
    if cacheable:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = compiled
    return compiled


# --- scoring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreResult:
    score: int
    cutoff: int
    recommended_limit: Decimal
    decision: str
    contributions: list[dict[str, Any]] = field(default_factory=list)
    rule_hits: list[dict[str, Any]] = field(default_factory=list)
    reason_codes: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe (the limit as a string with two decimals)."""
        return {
            "score": self.score,
            "cutoff": self.cutoff,
            "recommended_limit": str(self.recommended_limit),
            "decision": self.decision,
            "contributions": self.contributions,
            "rule_hits": self.rule_hits,
            "reason_codes": self.reason_codes,
        }

    def assessment_fields(self) -> dict[str, Any]:
        """The ``Assessment`` column values this result fills in."""
        return {
            "score": self.score,
            "cutoff": self.cutoff,
            "recommended_limit": self.recommended_limit,
            "contributions": self.contributions,
            "rule_hits": self.rule_hits,
            "reason_codes": self.reason_codes,
        }


def _rule_hit(rule: CompiledRule, observed: Any) -> bool:
    op = rule.op
    if op == "missing":
        return _number(observed) is None
    value = _number(observed)
    target = _number(rule.value)
    if value is None or target is None:
        return False
    if op == "lt":
        return value < target
    if op == "lte":
        return value <= target
    if op == "gt":
        return value > target
    if op == "gte":
        return value >= target
    if op == "eq":
        return value == target
    if op == "ne":
        return value != target
    return False


def score(compiled: CompiledScorecard, snapshot: Mapping[str, Any]) -> ScoreResult:
    """Score one snapshot. Missing or unreadable values fall in the "missing" bin."""
    total = compiled.base_points
    contributions: list[dict[str, Any]] = [
        {"characteristic": "base", "points": compiled.base_points}
    ]
    costs: dict[str, int] = {}
    for ch in compiled.characteristics:
        raw = snapshot.get(ch.feature)
        index = ch.bin_of(_number(raw))
        if index is None:
            points, label = ch.missing_points, "missing"
        else:
            points, label = ch.points[index], ch.labels[index]
        total += points
        contributions.append(
            {
                "characteristic": ch.key,
                "feature": ch.feature,
                "value": _stored(raw),
                "bin": label,
                "points": points,
                "max_points": ch.max_points,
                "reason_code": ch.reason_code,
            }
        )
        cost = ch.max_points - points
        if cost:
            code = ch.reason_code or ReasonCode.SCORE_BELOW_CUTOFF.value
            costs[code] = costs.get(code, 0) + cost

    rule_hits: list[dict[str, Any]] = []
    blocking: set[str] = set()
    for rule in compiled.rules:
        observed = snapshot.get(rule.feature)
        if _rule_hit(rule, observed):
            rule_hits.append(
                {
                    "code": rule.code,
                    "feature": rule.feature,
                    "op": rule.op,
                    "value": rule.value,
                    "observed": _stored(observed),
                }
            )
            blocking.add(rule.code)

    below = total < compiled.cutoff
    below_code = ReasonCode.SCORE_BELOW_CUTOFF.value
    if below:
        blocking.add(below_code)
    elif below_code not in blocking:
        costs.pop(below_code, None)
    codes = set(costs) | blocking
    hit_codes = {hit["code"] for hit in rule_hits}

    def tier(code: str) -> int:
        return 0 if code in hit_codes else 1 if code == below_code else 2

    ranked = sorted(codes, key=lambda c: (tier(c), -costs.get(c, 0), c))
    reason_codes = [{"code": c, "cost": costs.get(c, 0), "blocking": c in blocking} for c in ranked]

    decision = DECLINE if (below or rule_hits) else APPROVE
    limit = compiled.limit_for(total) if decision == APPROVE else Decimal("0.00")
    return ScoreResult(
        score=total,
        cutoff=compiled.cutoff,
        recommended_limit=limit,
        decision=decision,
        contributions=contributions,
        rule_hits=rule_hits,
        reason_codes=reason_codes,
    )
