"""Every write to customers, credit lines and blocks.

Each service runs in one transaction that writes the change, its history row (acting user
and change reason) and its audit entry together. Free text (notes, lift reasons) stays on
the rows, where erasure can reach it; audit entries hold codes, ids and masked values only,
because the audit log is append-only and must never hold personal data.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.log import (
    CHANGE_REASON_MAX_LENGTH,
    audit_record,
    change_reason,
    history_user,
    save_with_history,
)
from portal.errors import Conflict
from portal.permissions import SystemActor, actor_label
from portal.pii.masking import mask
from scoring.models import (
    Assessment,
    AssessmentStatus,
    Block,
    BlockSource,
    CreditLine,
    CreditLineState,
    Customer,
    ReasonCode,
    Scorecard,
    ScorecardSource,
    ScorecardStatus,
)
from scoring.permissions import (
    ensure_can_activate_scorecards,
    ensure_can_author_scorecards,
    ensure_can_create_customers,
    ensure_can_manage_blocks,
    ensure_can_search_customers,
    ensure_can_set_usable_limits,
    ensure_can_shadow_compare_scorecards,
)
from scoring.scorecards.engine import (
    APPROVE,
    compile_scorecard,
    features_snapshots,
    validate_scorecard,
    validate_spec,
)
from scoring.scorecards.engine import score as engine_score
from scoring.selectors import (
    classify_search_term,
    credit_line_active_reason_codes,
    credit_line_is_shown_but_unusable,
    customers_matching,
    customers_with_lines,
)

Actor = User | SystemActor

NOTE_MAX_LENGTH = 500
CENT = Decimal("0.01")


def _usability(credit_line_id: int) -> dict[str, Any]:
    """What the audit entry records before and after a change to a line's blocks."""
    return {
        "shown_but_unusable": credit_line_is_shown_but_unusable(credit_line_id=credit_line_id),
        "active_reasons": credit_line_active_reason_codes(credit_line_id=credit_line_id),
    }


def _money(value: Decimal | int | str) -> Decimal:
    """An amount in CNY with two decimal places; ``ValidationError`` when it is not one."""
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter an amount in yuan."), code="amount") from None
    if not amount.is_finite():
        raise ValidationError(_("Enter an amount in yuan."), code="amount")
    return amount


# --- blocks -----------------------------------------------------------------------------------


@transaction.atomic
def block_raise(
    *,
    actor: Actor,
    credit_line_id: int,
    reason_code: str,
    source: str,
    note: str = "",
) -> Block:
    """Block a credit line for a reason. One active block per line and reason.

    An officer raises blocks with source ``officer``; the system (rules, upstream signals)
    with ``rule`` or ``upstream``. Raises ``PermissionDenied``, ``ValidationError`` for a
    reason or source outside the lists, ``Conflict`` when the line is closed or already
    blocked for that reason, and ``CreditLine.DoesNotExist``.
    """
    ensure_can_manage_blocks(actor)
    if reason_code not in ReasonCode.values:
        raise ValidationError(_("Choose a reason code from the list."), code="reason_code")
    if source not in BlockSource.values:
        raise ValidationError(_("Choose a block source from the list."), code="source")
    if (source == BlockSource.OFFICER) == isinstance(actor, SystemActor):
        raise ValidationError(
            _("Blocks from officers have the source 'officer'; the system's never do."),
            code="source",
        )
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            _("Keep the note under %(limit)d characters.") % {"limit": NOTE_MAX_LENGTH},
            code="note",
        )

    line = CreditLine.objects.select_for_update().get(pk=credit_line_id)
    if line.state == CreditLineState.CLOSED:
        raise Conflict(_("This credit line is closed."), code="closed")
    if Block.objects.active().filter(credit_line=line, reason_code=reason_code).exists():
        raise Conflict(_("This credit line is already blocked for that reason."), code="duplicate")
    before = _usability(line.pk)

    block = Block(
        credit_line=line,
        reason_code=reason_code,
        source=source,
        raised_at=timezone.now(),
        raised_by=history_user(actor),
        raised_by_label=actor_label(actor),
        note=note,
    )
    block._history_user = history_user(actor)  # type: ignore[attr-defined]
    block._change_reason = change_reason("block.raised", actor, reason_code)  # type: ignore[attr-defined]
    block.save()

    audit_record(
        actor=actor,
        action="block.raised",
        target=block,
        data={
            "credit_line": line.pk,
            "customer": line.customer_id,
            "reason_code": reason_code,
            "source": source,
            "before": before,
            "after": _usability(line.pk),
        },
    )
    return block


@transaction.atomic
def block_lift(*, actor: Actor, block_id: int, reason: str) -> Block:
    """Lift an active block, saying why. Lifting a lifted block is a ``Conflict`` and
    changes nothing (safe to retry). Raises ``PermissionDenied``, ``ValidationError`` for
    an empty reason and ``Block.DoesNotExist``.

    Locks the line before the block, in the same order as ``block_raise``.
    """
    ensure_can_manage_blocks(actor)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the block is lifted."), code="reason")

    credit_line_id = Block.objects.values_list("credit_line_id", flat=True).get(pk=block_id)
    line = CreditLine.objects.select_for_update().get(pk=credit_line_id)
    block = Block.objects.select_for_update().get(pk=block_id)
    if block.lifted_at is not None:
        raise Conflict(_("This block has already been lifted."), code="already_lifted")
    before = _usability(line.pk)

    block.lifted_at = timezone.now()
    block.lifted_by = history_user(actor)
    block.lifted_by_label = actor_label(actor)
    block.lift_reason = reason
    block._history_user = history_user(actor)  # type: ignore[attr-defined]
    block._change_reason = change_reason("block.lifted", actor, reason)  # type: ignore[attr-defined]
    block.save(update_fields=["lifted_at", "lifted_by", "lifted_by_label", "lift_reason"])

    audit_record(
        actor=actor,
        action="block.lifted",
        target=block,
        data={
            "credit_line": line.pk,
            "customer": line.customer_id,
            "reason_code": block.reason_code,
            "source": block.source,
            "raised_at": block.raised_at,
            "before": before,
            "after": _usability(line.pk),
        },
    )
    return block


# --- customers --------------------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *,
    actor: SystemActor,
    external_id: str,
    name: str,
    phone: str,
    national_id: str,
    city: str = "",
    consent_financial_info: bool = False,
    consent_version: str = "",
) -> Customer:
    """A customer as an upstream system reports them (staff never create customers)."""
    ensure_can_create_customers(actor)
    if Customer.objects.filter(external_id=external_id).exists():
        raise Conflict(_("A customer with this external id already exists."), code="duplicate")
    now = timezone.now()
    customer = Customer(
        external_id=external_id,
        name=name,
        phone=phone,
        national_id=national_id,
        city=city,
        consent_financial_info=consent_financial_info,
        consent_version=consent_version if consent_financial_info else "",
        consent_at=now if consent_financial_info else None,
    )
    customer._change_reason = change_reason("customer.created", actor)  # type: ignore[attr-defined]
    customer.save()
    audit_record(
        actor=actor,
        action="customer.created",
        target=customer,
        data={
            "external_id": external_id,
            "phone_masked": customer.masked_phone,
            "consent_financial_info": consent_financial_info,
        },
    )
    return customer


@transaction.atomic
def credit_line_open(
    *,
    actor: SystemActor,
    customer_id: int,
    product: str,
    granted_limit: Decimal | int | str,
    usable_limit: Decimal | int | str | None = None,
    state: str = CreditLineState.NOT_ACTIVATED,
) -> CreditLine:
    """A credit line as the issuing system grants it (``usable_limit`` defaults to granted)."""
    ensure_can_create_customers(actor)
    granted = _money(granted_limit)
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    line = CreditLine(
        customer=customer,
        product=product,
        state=state,
        granted_limit=granted,
        usable_limit=granted if usable_limit is None else _money(usable_limit),
    )
    if (
        CreditLine.objects.filter(customer=customer, product=product)
        .exclude(state=CreditLineState.CLOSED)
        .exists()
    ):
        raise Conflict(_("The customer already has an open line for this product."))
    line.full_clean()  # choices, amounts and the check constraints, before the database
    line._change_reason = change_reason("credit_line.opened", actor)  # type: ignore[attr-defined]
    line.save()
    audit_record(
        actor=actor,
        action="credit_line.opened",
        target=line,
        data={
            "customer": customer.pk,
            "product": product,
            "state": state,
            "granted_limit": line.granted_limit,
            "usable_limit": line.usable_limit,
        },
    )
    return line


@dataclass(frozen=True)
class CustomerSearchResult:
    kind: str
    masked_term: str
    customers: list[Customer]


@transaction.atomic
def customer_search(*, actor: User, term: str) -> CustomerSearchResult:
    """Exact-match lookup by mobile number, ID number or external id; results masked.

    A lookup by phone or ID number is a use of personal information, so it is audited:
    who searched, by which kind of identifier, and which customers came back (never the
    term itself). Raises ``PermissionDenied`` and ``ValidationError``.
    """
    ensure_can_search_customers(actor)
    classified = classify_search_term(term)
    if classified is None:
        raise ValidationError(
            _("Enter a mobile number, an ID number or a customer number."), code="unrecognised"
        )
    kind, value = classified
    ids = customers_matching(kind=kind, value=value)
    audit_record(
        actor=actor,
        action="customer.searched",
        target=("scoring.customer", str(ids[0])) if len(ids) == 1 else None,
        data={"match_kind": kind, "results": len(ids), "customers": ids},
    )
    masked = value if kind == "external_id" else mask(kind, value)
    return CustomerSearchResult(kind=kind, masked_term=masked, customers=customers_with_lines(ids))


# --- scorecards -------------------------------------------------------------------------------
#
# A scorecard version is written once as a draft and never edited after activation (the
# database refuses it too, see Scorecard.Meta.triggers). Activation makes one version the
# single champion; the previous champion stays active (not champion), so it can still be
# shadow-compared or promoted back (a rollback is an activation too, audited the same way).

SCORECARD_EDITABLE_FIELDS: frozenset[str] = frozenset(
    {
        "name",
        "description",
        "base_points",
        "cutoff",
        "characteristics",
        "limit_policy",
        "block_rules",
        "auto_apply",
    }
)


def _save_scorecard(scorecard: Scorecard, *, actor: Actor, reason: str, **kwargs: Any) -> None:
    scorecard._history_user = history_user(actor)  # type: ignore[attr-defined]
    scorecard._change_reason = reason[:CHANGE_REASON_MAX_LENGTH]  # type: ignore[attr-defined]
    scorecard.save(**kwargs)


def _scorecard_create(
    *,
    actor: Actor,
    fields: dict[str, Any],
    source: str,
    metrics: dict[str, Any] | None,
    based_on: int | None,
) -> Scorecard:
    unknown = set(fields) - SCORECARD_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These scorecard fields cannot be set: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    if not str(fields.get("name", "")).strip():
        raise ValidationError(_("Give the scorecard version a name."), code="name")
    validate_spec(
        base_points=fields.get("base_points"),
        cutoff=fields.get("cutoff"),
        characteristics=fields.get("characteristics"),
        limit_policy=fields.get("limit_policy"),
        block_rules=fields.get("block_rules"),
    )
    if source not in ScorecardSource.values:
        raise ValidationError(_("Unknown scorecard source."), code="source")
    # Versions are numbered in order; the unique index refuses a concurrent duplicate.
    latest = Scorecard.objects.aggregate(latest=Max("version"))["latest"] or 0
    scorecard = Scorecard(
        version=latest + 1,
        status=ScorecardStatus.DRAFT,
        source=source,
        metrics=metrics or {},
        created_by=history_user(actor),
        **fields,
    )
    scorecard.full_clean(exclude=["characteristics", "limit_policy", "block_rules", "metrics"])
    _save_scorecard(scorecard, actor=actor, reason=change_reason("scorecard.created", actor))
    audit_record(
        actor=actor,
        action="scorecard.created",
        target=scorecard,
        data={
            "version": scorecard.version,
            "source": source,
            "based_on_version": based_on,
            "metrics": {k: str(v) for k, v in (metrics or {}).items()},
        },
    )
    return scorecard


@transaction.atomic
def scorecard_create_draft(
    *,
    actor: Actor,
    name: str,
    base_points: int,
    cutoff: int,
    characteristics: list[dict[str, Any]],
    limit_policy: list[dict[str, Any]],
    block_rules: list[dict[str, Any]],
    description: str = "",
    auto_apply: bool = False,
    source: str = ScorecardSource.MANUAL,
    metrics: dict[str, Any] | None = None,
) -> Scorecard:
    """A new draft version (the next version number), validated and audited.

    Raises ``PermissionDenied`` without ``scoring.add_scorecard`` and ``ValidationError``
    naming every problem in the spec (see ``scoring.scorecards.engine.validate_spec``).
    """
    ensure_can_author_scorecards(actor)
    return _scorecard_create(
        actor=actor,
        fields={
            "name": name,
            "description": description,
            "base_points": base_points,
            "cutoff": cutoff,
            "characteristics": characteristics,
            "limit_policy": limit_policy,
            "block_rules": block_rules,
            "auto_apply": auto_apply,
        },
        source=source,
        metrics=metrics,
        based_on=None,
    )


@transaction.atomic
def scorecard_new_version_from(
    *, actor: Actor, scorecard_id: int, changes: Mapping[str, Any]
) -> Scorecard:
    """A draft copy of a version with ``changes`` applied: how an active scorecard changes."""
    ensure_can_author_scorecards(actor)
    base = Scorecard.objects.get(pk=scorecard_id)
    fields = {name: getattr(base, name) for name in SCORECARD_EDITABLE_FIELDS}
    fields.update(changes)
    if "name" not in changes:
        fields["name"] = base.name
    return _scorecard_create(
        actor=actor,
        fields=fields,
        source=ScorecardSource.MANUAL,
        metrics=None,
        based_on=base.version,
    )


@transaction.atomic
def scorecard_update_draft(
    *, actor: Actor, scorecard_id: int, changes: Mapping[str, Any]
) -> Scorecard:
    """Edit a draft. A version that has been activated is refused with a ``Conflict``
    (it is immutable: create a new version from it instead)."""
    ensure_can_author_scorecards(actor)
    scorecard = Scorecard.objects.select_for_update().get(pk=scorecard_id)
    if scorecard.activated_at is not None or scorecard.status != ScorecardStatus.DRAFT:
        raise Conflict(
            _(
                "Version %(version)d has been activated and can no longer be changed. "
                "Create a new version from it instead."
            )
            % {"version": scorecard.version},
            code="immutable",
        )
    unknown = set(changes) - SCORECARD_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These scorecard fields cannot be set: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    for name, value in changes.items():
        setattr(scorecard, name, value)
    validate_scorecard(scorecard)
    _save_scorecard(scorecard, actor=actor, reason=change_reason("scorecard.edited", actor))
    audit_record(
        actor=actor,
        action="scorecard.edited",
        target=scorecard,
        data={"version": scorecard.version, "fields": sorted(changes)},
    )
    return scorecard


@transaction.atomic
def scorecard_activate(*, actor: User, scorecard_id: int) -> Scorecard:
    """Make a version the single champion (supervisors, ``scoring.activate_scorecard``).

    A draft is validated, stamped (``activated_at``/``activated_by``: from then on it is
    immutable) and becomes active; an active non-champion (an earlier champion) is promoted
    back. The previous champion stays active, no longer champion. Both rows are locked
    (``select_for_update``, in id order) so two activations never leave two champions; the
    unique index on the champion flag is the last line of defence. Audited as
    ``scorecard.activated`` with the previous and the new version.

    Raises ``PermissionDenied``, ``ValidationError`` for an unsound spec, ``Conflict`` for
    the current champion or a retired version, and ``Scorecard.DoesNotExist``.
    """
    ensure_can_activate_scorecards(actor)
    rows = list(
        Scorecard.objects.select_for_update()
        .filter(Q(pk=scorecard_id) | Q(is_champion=True))
        .order_by("pk")
    )
    target = next((row for row in rows if row.pk == scorecard_id), None)
    if target is None:
        raise Scorecard.DoesNotExist
    previous = next((row for row in rows if row.is_champion and row.pk != scorecard_id), None)
    if target.is_champion:
        raise Conflict(
            _("Version %(version)d is already the champion.") % {"version": target.version},
            code="already_champion",
        )
    if target.status == ScorecardStatus.RETIRED:
        raise Conflict(
            _("Version %(version)d is retired and cannot be activated.")
            % {"version": target.version},
            code="retired",
        )
    validate_scorecard(target)

    now = timezone.now()
    reason = change_reason(
        "scorecard.activated",
        actor,
        f"v{target.version} replaces v{previous.version}" if previous else f"v{target.version}",
    )
    if previous is not None:
        previous.is_champion = False
        _save_scorecard(previous, actor=actor, reason=reason, update_fields=["is_champion"])
    first_activation = target.activated_at is None
    target.status = ScorecardStatus.ACTIVE
    target.is_champion = True
    update = ["status", "is_champion"]
    if first_activation:
        target.activated_at = now
        target.activated_by = actor
        update += ["activated_at", "activated_by"]
    _save_scorecard(target, actor=actor, reason=reason, update_fields=update)
    audit_record(
        actor=actor,
        action="scorecard.activated",
        target=target,
        data={
            "version": target.version,
            "previous_version": previous.version if previous else None,
            "first_activation": first_activation,
            "cutoff": target.cutoff,
        },
    )
    return target


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
        action="scorecard.shadow_compared",
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


# --- automatic application of a recommendation -------------------------------------------------


@transaction.atomic
def credit_line_apply_recommendation(
    *, actor: SystemActor, assessment_id: int
) -> CreditLine | None:
    """Let a line's usable limit follow a succeeded assessment, where its scorecard allows it.

    Only when the scorecard has ``auto_apply``, the assessment names a credit line, and the
    line is open: the usable limit becomes the recommendation, capped at the granted limit.
    While the line has an active block it may go down but never up (a block is lifted by a
    person, not by a score). Blocks and the granted limit are never touched. Returns the
    line when it changed, else ``None``. Called in the caller's transaction, next to the
    assessment's own result, so both land or neither.
    """
    assessment = Assessment.objects.select_related("scorecard").get(pk=assessment_id)
    if (
        not assessment.scorecard.auto_apply
        or assessment.status != AssessmentStatus.SUCCEEDED
        or assessment.credit_line_id is None
        or assessment.recommended_limit is None
    ):
        return None
    line = CreditLine.objects.select_for_update().get(pk=assessment.credit_line_id)
    if line.state in {CreditLine.State.CLOSED, CreditLine.State.FROZEN}:
        return None
    target = min(assessment.recommended_limit, line.granted_limit)
    blocked = Block.objects.active().filter(credit_line=line).exists()
    if target == line.usable_limit or (blocked and target > line.usable_limit):
        return None
    before = line.usable_limit
    line.usable_limit = target
    line._change_reason = change_reason(  # type: ignore[attr-defined]
        "credit_line.recommendation_applied",
        actor,
        f"assessment #{assessment.pk}, scorecard v{assessment.scorecard.version}",
    )
    line.save(update_fields=["usable_limit", "updated_at"])
    audit_record(
        actor=actor,
        action="credit_line.recommendation_applied",
        target=line,
        data={
            "assessment": assessment.pk,
            "scorecard_version": assessment.scorecard.version,
            "usable_limit_before": before,
            "usable_limit_after": target,
            "granted_limit": line.granted_limit,
        },
    )
    return line


# --- usable limit set by a person ----------------------------------------------------------------


@transaction.atomic
def credit_line_set_usable_limit(
    *,
    actor: User,
    credit_line_id: int,
    usable_limit: Decimal,
    reason: str,
    audit_data: Mapping[str, Any] | None = None,
) -> tuple[Decimal, Decimal]:
    """Set a line's usable limit (an officer's override, applied by a decision): locked,
    kept within 0 and the granted limit, saved with history (user and ``reason``) and
    audited with before and after plus ``audit_data`` (ids and codes only). Returns
    ``(before, after)``. ``PermissionDenied`` without ``scoring.change_creditline``.
    """
    ensure_can_set_usable_limits(actor)
    line = CreditLine.objects.select_for_update().get(pk=credit_line_id)
    if usable_limit < 0 or usable_limit > line.granted_limit:
        raise ValidationError(
            {
                "usable_limit": [
                    _("The usable limit must be between 0 and the granted limit (%(granted)s).")
                    % {"granted": line.granted_limit}
                ]
            },
            code="usable_limit_range",
        )
    before = line.usable_limit
    line.usable_limit = usable_limit
    save_with_history(
        line,
        actor=actor,
        reason=change_reason("credit_line.usable_limit_set", actor, reason),
        fields=["usable_limit", "updated_at"],
    )
    audit_record(
        actor=actor,
        action="credit_line.usable_limit_set",
        target=line,
        data={
            **(audit_data or {}),
            "customer": line.customer_id,
            "usable_limit_before": before,
            "usable_limit_after": usable_limit,
            "granted_limit": line.granted_limit,
        },
    )
    return before, usable_limit
