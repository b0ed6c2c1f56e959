"""Explanations of an assessment: the ranked reasons in plain language, the text sent to
the customer (PIPL Art. 24) and the diff between two assessments. The officers' labels are
in ``scoring.scorecards.labels``, the charts in ``scoring.scorecards.charts``.

Everything here reads only what the assessment stored (snapshot, contributions, rule hits,
reason codes), so an explanation given today is the explanation of the decision as it was
made, whatever the scorecard or the customer's features look like now.

Customer-facing text: what was decided, the main reasons in plain words, and how to ask for
a person to review it. It leaves out the score, points and the cut-off: numbers on an
internal scale mean nothing to the reader without the scale, invite misreading ("I missed
by 3 points"), and would let the model be gamed; Art. 24 asks for transparency about the
result and its key factors, which the reasons give. Officers see the numbers on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scoring.models import (
    Assessment,
    AssessmentStatus,
    ReasonCode,
    reason_description,
)
from scoring.scorecards.labels import (
    bin_label,
    characteristic_label,
    rule_hit_text,
)

CUSTOMER_PHRASES: dict[str, Promise] = {
    "income": gettext_lazy("the income we have on record for you"),
    "tenure": gettext_lazy("how long you have been our customer"),
    "file_depth": gettext_lazy("how much credit history is available about you"),
    "utilisation": gettext_lazy("how much of your available credit you are using"),
    "delinquencies": gettext_lazy("recent late payments"),
    "device_changes": gettext_lazy("recent changes of the phone or device you use"),
    "distance": gettext_lazy("use of the service far from where you usually use it"),
    "identity": gettext_lazy(
        "differences between the identity or income details we received from different sources"
    ),
}

# Reasons raised by block rules, as a customer would read them.
CUSTOMER_REASONS: dict[str, Promise] = {
    ReasonCode.SCORE_BELOW_CUTOFF: gettext_lazy(
        "our automated credit assessment did not reach the level this product requires"
    ),
    ReasonCode.THIN_FILE: gettext_lazy("there is too little credit history available about you"),
    ReasonCode.DEVICE_ANOMALY: gettext_lazy(
        "activity from a device that does not match the ones you usually use"
    ),
    ReasonCode.GEO_ANOMALY: gettext_lazy(
        "activity from a place far from where you usually use the service"
    ),
    ReasonCode.VELOCITY: gettext_lazy("many payment or activation attempts in a short time"),
    ReasonCode.DATA_MISMATCH: gettext_lazy(
        "differences between the identity or income details we received from different sources"
    ),
    ReasonCode.KYC_EXPIRED: gettext_lazy("the identity document we have on file has expired"),
    ReasonCode.CONSENT_MISSING: gettext_lazy(
        "we do not have your current consent to use your financial information"
    ),
}


# --- ranked reasons ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonDetail:
    label: str
    bin: str
    points: int
    max_points: int

    @property
    def lost(self) -> int:
        return self.max_points - self.points


@dataclass(frozen=True)
class RankedReason:
    code: str
    title: str
    text: str
    cost: int
    blocking: bool
    rule_hits: list[str]
    details: list[ReasonDetail]


def ranked_reasons(assessment: Assessment) -> list[RankedReason]:
    """The assessment's reason codes in their stored (ranked) order, in plain language:
    the code's title and description, the rules that fired and the characteristics that
    cost points under that code (a characteristic without a code of its own counts under
    ``SCORE_BELOW_CUTOFF``, as the engine ranks it)."""
    by_code: dict[str, list[ReasonDetail]] = {}
    for c in assessment.contributions or []:
        if c["characteristic"] == "base" or c["points"] >= c["max_points"]:
            continue
        code = c.get("reason_code") or ReasonCode.SCORE_BELOW_CUTOFF.value
        by_code.setdefault(code, []).append(
            ReasonDetail(
                label=characteristic_label(c["characteristic"], c.get("feature", "")),
                bin=bin_label(str(c.get("bin", ""))),
                points=c["points"],
                max_points=c["max_points"],
            )
        )
    hits: dict[str, list[str]] = {}
    for hit in assessment.rule_hits or []:
        hits.setdefault(hit["code"], []).append(rule_hit_text(hit))
    reasons = []
    for entry in assessment.reason_codes or []:
        code = entry["code"]
        details = sorted(by_code.get(code, []), key=lambda d: -d.lost)
        reasons.append(
            RankedReason(
                code=code,
                title=str(ReasonCode(code).label) if code in ReasonCode.values else code,
                text=reason_description(code),
                cost=int(entry.get("cost", 0)),
                blocking=bool(entry.get("blocking", False)),
                rule_hits=hits.get(code, []),
                details=details,
            )
        )
    return reasons


# --- the customer's explanation ---------------------------------------------------------------

CUSTOMER_REASONS_SHOWN = 3


def customer_explanation(assessment: Assessment, *, language: str) -> str:
    """A short text fit to send to the customer (PIPL Art. 24), in ``language``
    (``en`` or ``zh-hans``): the decision, up to three main reasons in plain words, and
    how to ask for a person to review it. No score, points or cut-off (see the module)."""
    with translation.override(language):
        reference = _("assessment reference %(ref)s") % {"ref": f"A-{assessment.pk}"}
        when = formats.date_format(assessment.finished_at or assessment.queued_at, "DATE_FORMAT")
        if assessment.status != AssessmentStatus.SUCCEEDED:
            return _(
                "We have not been able to complete the automated assessment of your credit "
                "line yet, so no new decision has been made. Nothing changes until it is "
                "completed. If you have questions, contact customer service and quote "
                "%(reference)s."
            ) % {"reference": reference}
        approved = not _declined(assessment)
        if approved:
            decision = _(
                "On %(date)s our automated credit assessment found that a credit limit of up "
                "to %(limit)s yuan can be made available to you."
            ) % {"date": when, "limit": _money(assessment.recommended_limit)}
        else:
            decision = _(
                "On %(date)s our automated credit assessment found that your credit limit "
                "cannot be made available to use at this time."
            ) % {"date": when}
        phrases = _customer_phrases(assessment)[:CUSTOMER_REASONS_SHOWN]
        parts = [decision]
        if phrases:
            separator = _(", ")
            if approved:
                parts.append(
                    _("The things that most limited the amount were: %(reasons)s.")
                    % {"reasons": separator.join(phrases)}
                )
            else:
                parts.append(
                    _("The main reasons were: %(reasons)s.") % {"reasons": separator.join(phrases)}
                )
        parts.append(
            _(
                "This decision was made by an automated system. You have the right to an "
                "explanation and to ask for a person to review it: reply to this message, use "
                "the feedback form in the app or call customer service, and quote %(reference)s. "
                "You can also ask us to correct information about you that is wrong."
            )
            % {"reference": reference}
        )
        return (" " if language == "en" else "").join(parts)


def _declined(assessment: Assessment) -> bool:
    return bool(assessment.rule_hits) or (
        assessment.score is not None
        and assessment.cutoff is not None
        and assessment.score < assessment.cutoff
    )


def _money(value: Decimal | None) -> str:
    return formats.number_format(
        value or Decimal("0"), decimal_pos=0, use_l10n=True, force_grouping=True
    )


def _customer_phrases(assessment: Assessment) -> list[str]:
    """Rule-hit causes first (they stop the line), then the characteristics that cost the
    most points, each phrase once."""
    phrases: list[str] = []
    for hit in assessment.rule_hits or []:
        phrase = CUSTOMER_REASONS.get(hit["code"])
        if phrase is not None and str(phrase) not in phrases:
            phrases.append(str(phrase))
    costly = sorted(
        (
            c
            for c in assessment.contributions or []
            if c["characteristic"] != "base" and c["points"] < c["max_points"]
        ),
        key=lambda c: (c["points"] - c["max_points"], c["characteristic"]),
    )
    for c in costly:
        phrase = CUSTOMER_PHRASES.get(c["characteristic"])
        if phrase is not None and str(phrase) not in phrases:
            phrases.append(str(phrase))
    return phrases


def previous_assessment(assessment: Assessment) -> Assessment | None:
    """The customer's succeeded assessment before this one (by queue time, then id), for
    the diff. One indexed query (``assessment_customer_recent``)."""
    return (
        Assessment.objects.filter(
            customer_id=assessment.customer_id,
            status=AssessmentStatus.SUCCEEDED,
            queued_at__lte=assessment.queued_at,
        )
        .exclude(pk=assessment.pk)
        .exclude(queued_at=assessment.queued_at, pk__gt=assessment.pk)
        .order_by("-queued_at", "-pk")
        .first()
    )


# --- diff -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MovedCharacteristic:
    key: str
    label: str
    old_bin: str | None
    new_bin: str | None
    old_points: int | None
    new_points: int | None

    @property
    def change(self) -> int:
        return (self.new_points or 0) - (self.old_points or 0)


@dataclass(frozen=True)
class AssessmentDiff:
    old_id: int
    new_id: int
    old_score: int | None
    new_score: int | None
    old_limit: Decimal | None
    new_limit: Decimal | None
    moved: list[MovedCharacteristic]
    reasons_added: list[str]
    reasons_removed: list[str]

    @property
    def score_change(self) -> int | None:
        if self.old_score is None or self.new_score is None:
            return None
        return self.new_score - self.old_score

    @property
    def limit_change(self) -> Decimal | None:
        if self.old_limit is None or self.new_limit is None:
            return None
        return self.new_limit - self.old_limit


def assessment_diff(old: Assessment, new: Assessment) -> AssessmentDiff:
    """What changed from ``old`` to ``new``: characteristics whose bin or points moved
    (base points included, as "Base points"), the score and limit change, and the reason
    codes added and removed."""
    before = {c["characteristic"]: c for c in old.contributions or []}
    after = {c["characteristic"]: c for c in new.contributions or []}
    moved = []
    for key in [*after, *(k for k in before if k not in after)]:
        a, b = before.get(key), after.get(key)
        if (
            a is not None
            and b is not None
            and (a.get("bin"), a["points"])
            == (
                b.get("bin"),
                b["points"],
            )
        ):
            continue
        either = b or a or {}
        moved.append(
            MovedCharacteristic(
                key=key,
                label=characteristic_label(key, either.get("feature", "")),
                old_bin=bin_label(str(a.get("bin", ""))) if a and key != "base" else None,
                new_bin=bin_label(str(b.get("bin", ""))) if b and key != "base" else None,
                old_points=a["points"] if a else None,
                new_points=b["points"] if b else None,
            )
        )
    old_codes = [r["code"] for r in old.reason_codes or []]
    new_codes = [r["code"] for r in new.reason_codes or []]
    return AssessmentDiff(
        old_id=old.pk,
        new_id=new.pk,
        old_score=old.score,
        new_score=new.score,
        old_limit=old.recommended_limit,
        new_limit=new.recommended_limit,
        moved=moved,
        reasons_added=[c for c in new_codes if c not in old_codes],
        reasons_removed=[c for c in old_codes if c not in new_codes],
    )
