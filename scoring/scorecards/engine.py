"""The scoring step: pure, fast, no database access while scoring.

- ``compile_scorecard(scorecard)`` turns a ``Scorecard`` row into a frozen
  ``CompiledScorecard`` (bins pre-sorted for ``bisect``). Activated scorecards are immutable
  (the database refuses edits), so their compiled form is cached by ``(id, version)``;
  drafts compile fresh every time.
- ``features_snapshot`` / ``features_snapshots`` build the JSON-safe feature snapshot an
  assessment stores (one query per batch; personal fields are never loaded or decrypted).
- ``score(compiled, snapshot)`` gives a ``ScoreResult``. Each contribution also carries the
  characteristic's ``reason_code`` ("" for plain credit strength), so an explanation can be
  built from the stored assessment alone, as it was decided.
- ``validate_spec`` checks a scorecard's JSON before it is stored or activated.

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

import itertools
import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from scoring.models import Customer, CustomerFeatures, ReasonCode, Scorecard

# --- features ---------------------------------------------------------------------------------

# The CustomerFeatures columns a snapshot copies, in display order.
FEATURE_FIELDS: tuple[str, ...] = (
    "monthly_income",
    "months_on_book",
    "bureau_accounts",
    "utilisation",
    "delinquencies_12m",
    "device_changes_30d",
    "distance_from_usual_city_km",
    "identity_consistency",
    "attempts_24h",
    "kyc_expires_on",
)
# Values derived from the columns above and from the customer's consent state.
DERIVED_FEATURES: tuple[str, ...] = ("kyc_days_left", "consent_active")
# Every name a characteristic or a block rule may read.
SCORABLE_FEATURES: frozenset[str] = frozenset(FEATURE_FIELDS) - {"kyc_expires_on"} | frozenset(
    DERIVED_FEATURES
)

RULE_OPS: frozenset[str] = frozenset({"lt", "lte", "gt", "gte", "eq", "ne", "missing"})

APPROVE = "approve"
DECLINE = "decline"


def _json_value(value: Any) -> Any:
    """A column value in its JSON-safe form: Decimals as strings, dates as ISO, ints as ints."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _snapshot(
    values: Mapping[str, Any],
    *,
    consent_financial_info: bool,
    consent_withdrawn_at: datetime | None,
    today: date,
    as_of: datetime | None,
) -> dict[str, Any]:
    snapshot = {name: _json_value(values.get(name)) for name in FEATURE_FIELDS}
    expires = values.get("kyc_expires_on")
    snapshot["kyc_days_left"] = (expires - today).days if expires is not None else None
    snapshot["consent_active"] = bool(consent_financial_info and consent_withdrawn_at is None)
    snapshot["features_as_of"] = as_of.isoformat() if as_of is not None else None
    return snapshot


def features_snapshot(
    features: CustomerFeatures | None, customer: Customer, *, today: date
) -> dict[str, Any]:
    """What an assessment of ``customer`` reads, JSON-safe. ``features`` may be ``None``
    (no feed yet): every feature is then missing and scored in its "missing" bin."""
    values = {name: getattr(features, name) for name in FEATURE_FIELDS} if features else {}
    return _snapshot(
        values,
        consent_financial_info=customer.consent_financial_info,
        consent_withdrawn_at=customer.consent_withdrawn_at,
        today=today,
        as_of=features.updated_at if features else None,
    )


def features_snapshots(customer_ids: Sequence[int], *, today: date) -> dict[int, dict[str, Any]]:
    """Snapshots for many customers in ONE query (customers LEFT JOIN features).

    Only the consent columns of the customer are read: no personal field is loaded, so
    nothing is decrypted. Unknown ids are left out of the result.
    """
    if not customer_ids:
        return {}
    columns = [f"features__{name}" for name in (*FEATURE_FIELDS, "updated_at")]
    rows = Customer.objects.filter(pk__in=list(customer_ids)).values(
        "pk", "consent_financial_info", "consent_withdrawn_at", *columns
    )
    result: dict[int, dict[str, Any]] = {}
    for row in rows:
        values = {name: row[f"features__{name}"] for name in FEATURE_FIELDS}
        result[row["pk"]] = _snapshot(
            values,
            consent_financial_info=row["consent_financial_info"],
            consent_withdrawn_at=row["consent_withdrawn_at"],
            today=today,
            as_of=row["features__updated_at"],
        )
    return result


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


# --- validation -------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def validate_spec(
    *,
    base_points: Any,
    cutoff: Any,
    characteristics: Any,
    limit_policy: Any,
    block_rules: Any,
) -> None:
    """Raise ``ValidationError`` (every problem, each message naming where) unless the
    spec is sound: integer points; per characteristic a known feature, bins sorted by
    their edges that cover the whole number line (first bin open below, last open above,
    each bin's ``max`` the next one's ``min``: no gaps, no overlaps); reason codes from
    ``ReasonCode``; a limit policy with strictly ascending ``min_score`` and limits that
    never fall; block rules with a known feature, operator and code."""
    errors: list[str] = []
    codes = set(ReasonCode.values)
    if not _is_int(base_points):
        errors.append(_("Base points must be a whole number."))
    if not _is_int(cutoff):
        errors.append(_("The cut-off must be a whole number."))

    if not isinstance(characteristics, list) or not characteristics:
        errors.append(_("A scorecard needs at least one characteristic."))
        characteristics = []
    keys: set[str] = set()
    for position, ch in enumerate(characteristics, start=1):
        if not isinstance(ch, dict):
            errors.append(_("Characteristic %(n)d is not an object.") % {"n": position})
            continue
        key = str(ch.get("key") or "")
        where = key or str(position)
        if not key:
            errors.append(_("Characteristic %(n)d has no key.") % {"n": position})
        elif key in keys or key == "base":
            errors.append(_("Characteristic key “%(key)s” is used twice.") % {"key": key})
        keys.add(key)
        if ch.get("feature") not in SCORABLE_FEATURES:
            errors.append(
                _("Characteristic “%(key)s” reads an unknown feature “%(feature)s”.")
                % {"key": where, "feature": ch.get("feature")}
            )
        if not _is_int(ch.get("missing_points", 0)):
            errors.append(
                _("Characteristic “%(key)s”: missing points must be a whole number.")
                % {"key": where}
            )
        reason = ch.get("reason_code") or ""
        if reason and reason not in codes:
            errors.append(
                _("Characteristic “%(key)s”: unknown reason code “%(code)s”.")
                % {"key": where, "code": reason}
            )
        bins = ch.get("bins")
        if not isinstance(bins, list) or not bins:
            errors.append(_("Characteristic “%(key)s” has no bins.") % {"key": where})
            continue
        errors.extend(_bin_errors(where, bins))

    if not isinstance(limit_policy, list):
        errors.append(_("The limit policy must be a list of bands."))
        limit_policy = []
    previous: tuple[int, Decimal] | None = None
    for position, band in enumerate(limit_policy, start=1):
        if not isinstance(band, dict) or not _is_int(band.get("min_score")):
            errors.append(
                _("Limit band %(n)d needs a whole-number minimum score.") % {"n": position}
            )
            continue
        try:
            limit = Decimal(str(band.get("limit")))
        except InvalidOperation:
            limit = Decimal("NaN")
        if not limit.is_finite() or limit < 0:
            errors.append(_("Limit band %(n)d needs a limit of zero or more.") % {"n": position})
            continue
        if previous is not None:
            if band["min_score"] <= previous[0]:
                errors.append(
                    _("Limit bands must be sorted by minimum score, each higher than the last.")
                )
            elif limit < previous[1]:
                errors.append(_("A higher score band may not have a lower limit."))
        previous = (band["min_score"], limit)

    if not isinstance(block_rules, list):
        errors.append(_("The block rules must be a list."))
        block_rules = []
    for position, rule in enumerate(block_rules, start=1):
        if not isinstance(rule, dict):
            errors.append(_("Block rule %(n)d is not an object.") % {"n": position})
            continue
        if rule.get("code") not in codes:
            errors.append(
                _("Block rule %(n)d: unknown reason code “%(code)s”.")
                % {"n": position, "code": rule.get("code")}
            )
        if rule.get("feature") not in SCORABLE_FEATURES:
            errors.append(
                _("Block rule %(n)d reads an unknown feature “%(feature)s”.")
                % {"n": position, "feature": rule.get("feature")}
            )
        if rule.get("op") not in RULE_OPS:
            errors.append(
                _("Block rule %(n)d: unknown operator “%(op)s”.")
                % {"n": position, "op": rule.get("op")}
            )
        elif rule["op"] != "missing" and not (
            _is_number(rule.get("value")) or isinstance(rule.get("value"), bool)
        ):
            errors.append(_("Block rule %(n)d needs a number to compare with.") % {"n": position})
    if errors:
        raise ValidationError(errors, code="invalid_scorecard")


def _bin_errors(where: str, bins: list[Any]) -> list[str]:
    errors: list[str] = []
    for index, b in enumerate(bins, start=1):
        if not isinstance(b, dict) or not _is_int(b.get("points")):
            errors.append(
                _("Characteristic “%(key)s”, bin %(n)d: points must be a whole number.")
                % {"key": where, "n": index}
            )
            return errors
        for edge in ("min", "max"):
            if b.get(edge) is not None and not _is_number(b.get(edge)):
                errors.append(
                    _("Characteristic “%(key)s”, bin %(n)d: edges must be numbers or empty.")
                    % {"key": where, "n": index}
                )
                return errors
    if bins[0].get("min") is not None:
        errors.append(
            _("Characteristic “%(key)s”: the first bin must have no lower edge.") % {"key": where}
        )
    if bins[-1].get("max") is not None:
        errors.append(
            _("Characteristic “%(key)s”: the last bin must have no upper edge.") % {"key": where}
        )
    for index, (this, following) in enumerate(itertools.pairwise(bins), start=1):
        low, high = this.get("min"), this.get("max")
        if high is None or (low is not None and high <= low):
            errors.append(
                _(
                    "Characteristic “%(key)s”, bin %(n)d: its upper edge must be above "
                    "its lower edge."
                )
                % {"key": where, "n": index}
            )
        elif following.get("min") != high:
            errors.append(
                _(
                    "Characteristic “%(key)s”: bins %(n)d and %(m)d leave a gap or overlap "
                    "(each bin must start where the previous one ends)."
                )
                % {"key": where, "n": index, "m": index + 1}
            )
    return errors


def validate_scorecard(scorecard: Scorecard) -> None:
    validate_spec(
        base_points=scorecard.base_points,
        cutoff=scorecard.cutoff,
        characteristics=scorecard.characteristics,
        limit_policy=scorecard.limit_policy,
        block_rules=scorecard.block_rules,
    )
