"""Shadow comparison: a challenger scorecard against the champion over a deterministic
sample of customers, scored in memory; nothing is stored per customer, the run is audited."""

from __future__ import annotations

import random
from bisect import bisect_left
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import AuditAction
from audit.log import audit_record
from portal.errors import Conflict
from scoring.models import (
    Customer,
    Scorecard,
)
from scoring.permissions import (
    ensure_can_shadow_compare_scorecards,
)
from scoring.scorecards.engine import APPROVE, compile_scorecard
from scoring.scorecards.engine import score as engine_score
from scoring.scorecards.features import features_snapshots
from scoring.scorecards.validation import validate_scorecard


@dataclass(frozen=True)
class FlippedCustomer:
    customer_id: int
    external_id: str
    masked_name: str
    champion_score: int
    challenger_score: int
    champion_decision: str
    challenger_decision: str


@dataclass(frozen=True)
class ShadowComparison:
    """Champion and challenger over the same deterministic sample, scored in memory."""

    champion: Scorecard
    challenger: Scorecard
    sample_size: int
    seed: int
    champion_scores: list[int]
    challenger_scores: list[int]
    champion_approved: int
    challenger_approved: int
    # (cut-off, champion approval share, challenger approval share) by score alone.
    approval_curve: list[tuple[int, float, float]]
    newly_approved: int
    newly_declined: int
    flipped: list[FlippedCustomer]

    @property
    def champion_approval_rate(self) -> float:
        return self.champion_approved / self.sample_size if self.sample_size else 0.0

    @property
    def challenger_approval_rate(self) -> float:
        return self.challenger_approved / self.sample_size if self.sample_size else 0.0


SHADOW_MAX_SAMPLE = 20_000
SHADOW_BATCH = 2_000
SHADOW_FLIPS_SHOWN = 20


def _approval_curve(
    champion_scores: list[int], challenger_scores: list[int], cutoffs: list[int]
) -> list[tuple[int, float, float]]:
    champ = sorted(champion_scores)
    chall = sorted(challenger_scores)
    n = len(champ) or 1
    return [
        (
            cut,
            (len(champ) - bisect_left(champ, cut)) / n,
            (len(chall) - bisect_left(chall, cut)) / n,
        )
        for cut in cutoffs
    ]


@transaction.atomic
def scorecard_shadow_compare(
    *, actor: User, challenger_id: int, sample_size: int, seed: int
) -> ShadowComparison:
    """Score a deterministic sample of customers with the champion and a challenger.

    Nothing is stored per customer: a shadow score is not a decision about the person, so
    it must not appear in their assessment history, in the "latest assessment" an officer
    reads or in the explanation a customer is sent (PIPL Art. 24). The run itself is
    audited (who compared which versions over how many customers, and the outcome counts).
    The sample is ``random.Random(seed).sample`` over customer ids in id order, so the same
    seed over the same population gives the same customers. Supervisors only
    (``scoring.add_scorecard``: the people who decide what to activate).
    """
    ensure_can_shadow_compare_scorecards(actor)
    if not 1 <= sample_size <= SHADOW_MAX_SAMPLE:
        raise ValidationError(
            _("Choose a sample of 1 to %(max)d customers.") % {"max": SHADOW_MAX_SAMPLE},
            code="sample_size",
        )
    challenger = Scorecard.objects.get(pk=challenger_id)
    champion = Scorecard.objects.filter(is_champion=True).first()
    if champion is None:
        raise Conflict(_("There is no champion scorecard to compare with."), code="no_champion")
    validate_scorecard(challenger)
    compiled_champion = compile_scorecard(champion)
    compiled_challenger = compile_scorecard(challenger)

    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    rng = random.Random(seed)  # noqa: S311 -- a reproducible sample, not a secret
    sample = sorted(rng.sample(ids, min(sample_size, len(ids))))
    today = timezone.localdate()
    champion_scores: list[int] = []
    challenger_scores: list[int] = []
    champion_approved = challenger_approved = newly_approved = newly_declined = 0
    flips: list[tuple[int, int, int, str, str]] = []
    for start in range(0, len(sample), SHADOW_BATCH):
        snapshots = features_snapshots(sample[start : start + SHADOW_BATCH], today=today)
        for customer_id, snapshot in snapshots.items():
            a = engine_score(compiled_champion, snapshot)
            b = engine_score(compiled_challenger, snapshot)
            champion_scores.append(a.score)
            challenger_scores.append(b.score)
            champion_approved += a.decision == APPROVE
            challenger_approved += b.decision == APPROVE
            if a.decision != b.decision:
                if b.decision == APPROVE:
                    newly_approved += 1
                else:
                    newly_declined += 1
                if len(flips) < SHADOW_FLIPS_SHOWN:
                    flips.append((customer_id, a.score, b.score, a.decision, b.decision))

    names = {
        c.pk: c
        for c in Customer.objects.filter(pk__in=[f[0] for f in flips]).only(
            "id", "external_id", "name"
        )
    }
    flipped = [
        FlippedCustomer(
            customer_id=cid,
            external_id=names[cid].external_id,
            masked_name=names[cid].masked_name,
            champion_score=sa,
            challenger_score=sb,
            champion_decision=da,
            challenger_decision=db,
        )
        for cid, sa, sb, da, db in flips
        if cid in names
    ]
    every = champion_scores + challenger_scores
    low, high = (min(every), max(every)) if every else (0, 0)
    step = 10
    cutoffs = sorted(
        {*range(low // step * step, high + step, step), champion.cutoff, challenger.cutoff}
    )
    comparison = ShadowComparison(
        champion=champion,
        challenger=challenger,
        sample_size=len(champion_scores),
        seed=seed,
        champion_scores=champion_scores,
        challenger_scores=challenger_scores,
        champion_approved=champion_approved,
        challenger_approved=challenger_approved,
        approval_curve=_approval_curve(champion_scores, challenger_scores, cutoffs),
        newly_approved=newly_approved,
        newly_declined=newly_declined,
        flipped=flipped,
    )
    audit_record(
        actor=actor,
        action=AuditAction.SCORECARD_SHADOW_COMPARED,
        target=challenger,
        data={
            "champion_version": champion.version,
            "challenger_version": challenger.version,
            "sample_size": comparison.sample_size,
            "seed": seed,
            "champion_approved": champion_approved,
            "challenger_approved": challenger_approved,
            "newly_approved": newly_approved,
            "newly_declined": newly_declined,
        },
    )
    return comparison
