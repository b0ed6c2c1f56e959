"""What a decision's proposer typed, checked against the case before anything is written:
the kind and reason from their lists, a justification, an amount in yuan within the granted
limit, active blocks of the case's own line. Every problem at once, by field."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cases.models import Case, DecisionKind, DecisionReason
from scoring.models import MONEY_PLACES, Block

JUSTIFICATION_MAX_LENGTH = 4000
COMMENT_MAX_LENGTH = 4000
CENT = Decimal(1).scaleb(-MONEY_PLACES)

KINDS_WITH_BLOCKS = frozenset({DecisionKind.LIFT_BLOCK, DecisionKind.KEEP_BLOCK})


def money(value: Decimal | int | str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {"usable_limit": [_("Enter an amount in yuan.")]}, code="amount"
        ) from None
    if not amount.is_finite():
        raise ValidationError({"usable_limit": [_("Enter an amount in yuan.")]}, code="amount")
    return amount.quantize(CENT)


def clean_proposal(  # noqa: C901  (one flat check per input field; splitting it would scatter the rules)
    *,
    case: Case,
    kind: str,
    reason_code: str,
    justification: str,
    usable_limit: Decimal | int | str | None,
    blocks: Sequence[int] | None,
) -> tuple[str, Decimal | None, list[int], list[Block]]:
    """Validate a proposal against the case; every problem at once, by field."""
    errors: dict[str, list[str]] = {}
    if kind not in DecisionKind.values:
        errors["kind"] = [_("Choose a kind of decision from the list.")]
    if reason_code not in DecisionReason.values:
        errors["reason_code"] = [_("Choose a reason from the list.")]
    justification = (justification or "").strip()
    if not justification:
        errors["justification"] = [_("Explain the decision.")]
    elif len(justification) > JUSTIFICATION_MAX_LENGTH:
        errors["justification"] = [
            _("Keep the justification under %(max)d characters.")
            % {"max": JUSTIFICATION_MAX_LENGTH}
        ]

    amount: Decimal | None = None
    if kind == DecisionKind.OVERRIDE_LIMIT:
        line = case.credit_line
        if usable_limit is None or usable_limit == "":
            errors["usable_limit"] = [_("Enter the new usable limit.")]
        elif line is None:
            errors["usable_limit"] = [_("This case has no credit line to change.")]
        else:
            try:
                amount = money(usable_limit)
            except ValidationError as exc:
                errors.update(exc.message_dict)
            else:
                if amount < 0 or amount > line.granted_limit:
                    errors["usable_limit"] = [
                        _("The usable limit must be between 0 and the granted limit (%(granted)s).")
                        % {"granted": line.granted_limit}
                    ]

    block_ids: list[int] = []
    chosen: list[Block] = []
    if kind in KINDS_WITH_BLOCKS:
        try:
            block_ids = sorted({int(b) for b in blocks or ()})
        except (TypeError, ValueError):
            block_ids = []
            errors["blocks"] = [_("Choose blocks from the list.")]
        if not block_ids and "blocks" not in errors:
            errors["blocks"] = [_("Choose at least one active block of this credit line.")]
        elif block_ids:
            chosen = list(
                Block.objects.active().filter(pk__in=block_ids, credit_line_id=case.credit_line_id)
            )
            if case.credit_line_id is None or len(chosen) != len(block_ids):
                errors["blocks"] = [_("Choose only active blocks of this case's credit line.")]
    if errors:
        raise ValidationError(errors)
    return justification, amount, block_ids, chosen
