"""Nightly detection: a case for every shown-but-unusable line that has none."""

from __future__ import annotations

from dataclasses import dataclass

from audit.actions import AuditAction
from audit.log import audit_record
from cases import policy
from cases.models import OPEN_STATUSES, Case, CaseSource
from cases.services.opening import case_open_or_attach
from portal.permissions import SystemActor
from scoring.models import Block
from scoring.selectors import credit_lines_shown_but_unusable

DETECTION_BATCH = 500


@dataclass(frozen=True)
class DetectionReport:
    scanned: int
    opened: int
    attached: int


def cases_detect_unusable(
    *, actor: SystemActor, batch_size: int = DETECTION_BATCH
) -> DetectionReport:
    """Open a case for every shown-but-unusable line whose customer has no open case of the
    category its cause suggests (``policy.detected_case``), in batches by line id.

    Each batch reads its lines, their active block reasons and the open cases of their
    customers in three queries; each new case goes through ``case_open_or_attach`` (its own
    transaction, audit and timeline). Running it again opens nothing twice: a customer
    with an open case of that category is skipped. The run is audited with its counts.
    """
    scanned = opened = attached = 0
    after = 0
    while True:
        lines = list(
            credit_lines_shown_but_unusable()
            .filter(pk__gt=after)
            .order_by("pk")
            .values("pk", "customer_id")[:batch_size]
        )
        if not lines:
            break
        after = lines[-1]["pk"]
        scanned += len(lines)
        reasons: dict[int, list[str]] = {}
        for line_id, code in (
            Block.objects.active()
            .filter(credit_line_id__in=[line["pk"] for line in lines])
            .values_list("credit_line_id", "reason_code")
        ):
            reasons.setdefault(line_id, []).append(code)
        open_now = set(
            Case.objects.filter(
                status__in=OPEN_STATUSES, customer_id__in={line["customer_id"] for line in lines}
            ).values_list("customer_id", "category")
        )
        for line in lines:
            codes = sorted(reasons.get(line["pk"], []))
            reason, category, priority = policy.detected_case(codes)
            if (line["customer_id"], category) in open_now:
                continue
            _case, created = case_open_or_attach(
                actor=actor,
                customer_id=line["customer_id"],
                category=category,
                source=CaseSource.DETECTION,
                credit_line_id=line["pk"],
                reason_code=reason,
                priority=priority,
                event={"credit_line": line["pk"], "reason_codes": codes},
            )
            open_now.add((line["customer_id"], category))
            if created:
                opened += 1
            else:
                attached += 1
    audit_record(
        actor=actor,
        action=AuditAction.CASES_DETECTION_RUN,
        target=None,
        data={"scanned": scanned, "opened": opened, "attached": attached},
    )
    return DetectionReport(scanned=scanned, opened=opened, attached=attached)
