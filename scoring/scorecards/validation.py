"""Whether a scorecard's JSON is sound: checked before a version is stored or activated."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from scoring.models import ReasonCode, Scorecard
from scoring.scorecards.engine import RULE_OPS
from scoring.scorecards.features import SCORABLE_FEATURES


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
    if not _is_int(base_points):
        errors.append(_("Base points must be a whole number."))
    if not _is_int(cutoff):
        errors.append(_("The cut-off must be a whole number."))
    errors += _characteristics_errors(characteristics)
    errors += _limit_policy_errors(limit_policy)
    errors += _block_rules_errors(block_rules)
    if errors:
        raise ValidationError(errors, code="invalid_scorecard")


def _characteristics_errors(characteristics: Any) -> list[str]:
    errors: list[str] = []
    if not isinstance(characteristics, list) or not characteristics:
        return [_("A scorecard needs at least one characteristic.")]
    keys: set[str] = set()
    for position, ch in enumerate(characteristics, start=1):
        if not isinstance(ch, dict):
            errors.append(_("Characteristic %(n)d is not an object.") % {"n": position})
            continue
        key = str(ch.get("key") or "")
        if not key:
            errors.append(_("Characteristic %(n)d has no key.") % {"n": position})
        elif key in keys or key == "base":
            errors.append(_("Characteristic key “%(key)s” is used twice.") % {"key": key})
        keys.add(key)
        errors += _characteristic_errors(key or str(position), ch)
    return errors


def _characteristic_errors(where: str, ch: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    if ch.get("feature") not in SCORABLE_FEATURES:
        errors.append(
            _("Characteristic “%(key)s” reads an unknown feature “%(feature)s”.")
            % {"key": where, "feature": ch.get("feature")}
        )
    if not _is_int(ch.get("missing_points", 0)):
        errors.append(
            _("Characteristic “%(key)s”: missing points must be a whole number.") % {"key": where}
        )
    reason = ch.get("reason_code") or ""
    if reason and reason not in set(ReasonCode.values):
        errors.append(
            _("Characteristic “%(key)s”: unknown reason code “%(code)s”.")
            % {"key": where, "code": reason}
        )
    bins = ch.get("bins")
    if not isinstance(bins, list) or not bins:
        errors.append(_("Characteristic “%(key)s” has no bins.") % {"key": where})
        return errors
    return errors + _bin_errors(where, bins)


def _band_limit(band: dict[str, Any]) -> Decimal:
    try:
        return Decimal(str(band.get("limit")))
    except InvalidOperation:
        return Decimal("NaN")


def _limit_policy_errors(limit_policy: Any) -> list[str]:
    if not isinstance(limit_policy, list):
        return [_("The limit policy must be a list of bands.")]
    errors: list[str] = []
    previous: tuple[int, Decimal] | None = None
    for position, band in enumerate(limit_policy, start=1):
        if not isinstance(band, dict) or not _is_int(band.get("min_score")):
            errors.append(
                _("Limit band %(n)d needs a whole-number minimum score.") % {"n": position}
            )
            continue
        limit = _band_limit(band)
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
    return errors


def _block_rules_errors(block_rules: Any) -> list[str]:
    if not isinstance(block_rules, list):
        return [_("The block rules must be a list.")]
    errors: list[str] = []
    for position, rule in enumerate(block_rules, start=1):
        if not isinstance(rule, dict):
            errors.append(_("Block rule %(n)d is not an object.") % {"n": position})
            continue
        if rule.get("code") not in set(ReasonCode.values):
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
    return errors


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
