"""Decisions through the service: policy, four eyes, application all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from audit import changes as audit_changes
from audit.models import AuditEntry
from cases.decisions.policy import (
    ASSESSMENT_MISSING,
    ASSESSMENT_STALE,
    LIMIT_ABOVE_RECOMMENDATION,
    LIMIT_ABOVE_THRESHOLD,
    REGULATORY_BLOCK,
    decision_needs_approval,
)
from cases.decisions.services import decision_approve, decision_propose, decision_reject
from cases.models import Case, CaseEvent, CaseEventKind, CaseStatus, Decision, DecisionState
from portal.errors import Conflict
from scoring.models import Assessment, AssessmentStatus, Block, CreditLine
from tests.cases.conftest import MakeCase
from tests.factories.scoring import make_assessment

pytestmark = pytest.mark.django_db

THRESHOLD = Decimal("20000.00")


def _propose(actor: User, case: Case, **kwargs: Any) -> Decision:
    fields: dict[str, Any] = {
        "kind": "override_limit",
        "reason_code": "IDENTITY_VERIFIED",
        "justification": "Verified by phone with the customer.",
        "usable_limit": "5000",
    }
    fields.update(kwargs)
    return decision_propose(actor=actor, case_id=case.pk, version=case.version, **fields)


def _line_audits(line: CreditLine) -> int:
    return AuditEntry.objects.filter(
        target_type="scoring.creditline", target_id=str(line.pk)
    ).count()


# --- policy ---------------------------------------------------------------------------------


NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
FRESH_SINCE = NOW - timedelta(days=180)


@pytest.mark.parametrize(
    ("new", "before", "recommended", "expected"),
    [
        ("5000", "0", None, (False, "")),
        ("20000", "0", None, (False, "")),
        ("20000.01", "0", None, (True, LIMIT_ABOVE_THRESHOLD)),
        ("8000", "0", "6000", (True, LIMIT_ABOVE_RECOMMENDATION)),
        ("8000", "9000", "6000", (False, "")),  # lowering never needs approval
        ("25000", "30000", None, (False, "")),
    ],
)
def test_policy_asks_for_approval_when_a_limit_is_raised_too_far(
    new: str, before: str, recommended: str | None, expected: tuple[bool, str]
) -> None:
    assert (
        decision_needs_approval(
            kind="override_limit",
            threshold=THRESHOLD,
            usable_limit=Decimal(new),
            usable_limit_before=Decimal(before),
            recommended_limit=Decimal(recommended) if recommended else None,
            assessed_at=NOW,
            fresh_since=FRESH_SINCE,
        )
        == expected
    )


@pytest.mark.parametrize(
    ("new", "before", "assessed_at", "expected"),
    [
        ("100", "0", None, (True, ASSESSMENT_MISSING)),  # a raise of any size
        ("100", "0", FRESH_SINCE - timedelta(seconds=1), (True, ASSESSMENT_STALE)),
        ("100", "0", FRESH_SINCE, (False, "")),  # just inside the window
        ("30000", "0", None, (True, LIMIT_ABOVE_THRESHOLD)),  # the threshold is named first
        ("100", "900", None, (False, "")),  # lowering never needs approval
    ],
)
def test_policy_asks_for_approval_of_a_raise_without_a_recent_assessment(
    new: str, before: str, assessed_at: datetime | None, expected: tuple[bool, str]
) -> None:
    assert (
        decision_needs_approval(
            kind="override_limit",
            threshold=THRESHOLD,
            usable_limit=Decimal(new),
            usable_limit_before=Decimal(before),
            recommended_limit=Decimal("50000"),
            assessed_at=assessed_at,
            fresh_since=FRESH_SINCE,
        )
        == expected
    )


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["KYC_EXPIRED"], (True, REGULATORY_BLOCK)),
        (["DEVICE_ANOMALY", "CONSENT_MISSING"], (True, REGULATORY_BLOCK)),
        (["DEVICE_ANOMALY"], (False, "")),
    ],
)
def test_policy_asks_for_approval_to_lift_a_kyc_or_consent_block(
    codes: list[str], expected: tuple[bool, str]
) -> None:
    assert (
        decision_needs_approval(kind="lift_block", threshold=THRESHOLD, block_reason_codes=codes)
        == expected
    )


def test_policy_lets_other_kinds_apply_at_once() -> None:
    for kind in ("keep_block", "reassess", "escalate", "resolve"):
        assert decision_needs_approval(
            kind=kind, threshold=THRESHOLD, block_reason_codes=["KYC_EXPIRED"]
        ) == (False, "")


def test_the_threshold_comes_from_settings(
    officer: User, make_case: MakeCase, settings: Any
) -> None:
    settings.CASES_APPROVAL_LIMIT_THRESHOLD = 1000
    case = make_case(assignee=officer)

    decision = _propose(officer, case, usable_limit="1500")

    assert (decision.state, decision.approval_reason) == ("proposed", LIMIT_ABOVE_THRESHOLD)


def test_an_override_above_the_latest_recommendation_waits_for_approval(
    officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer)
    assessment = make_assessment(case.customer)
    Assessment.objects.filter(pk=assessment.pk).update(recommended_limit=Decimal("1000.00"))

    decision = _propose(officer, case, usable_limit="1500")

    assert (decision.state, decision.approval_reason) == ("proposed", LIMIT_ABOVE_RECOMMENDATION)


# --- applying at once ------------------------------------------------------------------------


def test_an_override_within_policy_changes_the_line_with_history_and_one_audit_entry(
    officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer, recommended="50000")
    line = case.credit_line

    decision = _propose(officer, case, usable_limit="5000")

    line.refresh_from_db()
    case.refresh_from_db()
    assert line.usable_limit == Decimal("5000.00")
    assert decision.state == DecisionState.APPLIED
    assert decision.applied_at is not None
    assert decision.usable_limit_before == Decimal("0.00")
    history = line.history.latest()
    assert history.history_user == officer
    assert "credit_line.usable_limit_set" in history.history_change_reason
    assert f"decision #{decision.pk}" in history.history_change_reason
    assert _line_audits(line) == 1
    entry = AuditEntry.objects.get(target_type="scoring.creditline", target_id=str(line.pk))
    assert entry.data["usable_limit_before"] == "0.00"
    assert entry.data["usable_limit_after"] == "5000.00"
    assert "Verified" not in str(entry.data)  # no free text in the audit log
    assert case.version == 2
    assert case.status == CaseStatus.IN_REVIEW
    kinds = list(case.events.order_by("id").values_list("kind", flat=True))
    assert kinds == [CaseEventKind.DECISION_PROPOSED, CaseEventKind.DECISION_APPLIED]


def test_the_line_change_is_all_or_nothing(
    officer: User, make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = make_case(assignee=officer, recommended="50000")
    line = case.credit_line
    history_rows = line.history.count()
    real = audit_changes.audit_record

    def failing(**kwargs: Any) -> Any:
        if kwargs["action"] == "credit_line.usable_limit_set":
            raise RuntimeError("audit log unavailable")
        return real(**kwargs)

    monkeypatch.setattr(audit_changes, "audit_record", failing)  # record_change appends

    with pytest.raises(RuntimeError):
        _propose(officer, case, usable_limit="5000")

    line.refresh_from_db()
    case.refresh_from_db()
    assert line.usable_limit == Decimal("0.00")
    assert line.history.count() == history_rows
    assert not Decision.objects.exists()
    assert not CaseEvent.objects.filter(case=case).exists()
    assert case.version == 1
    assert _line_audits(line) == 0


def test_lifting_an_ordinary_block_applies_at_once_without_the_officers_words(
    officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer, blocks=["DEVICE_ANOMALY"])
    block = Block.objects.get(credit_line=case.credit_line)

    decision = _propose(
        officer,
        case,
        kind="lift_block",
        reason_code="ANOMALY_EXPLAINED",
        usable_limit=None,
        blocks=[block.pk],
        justification="Customer bought a new phone.",
    )

    block.refresh_from_db()
    assert decision.state == DecisionState.APPLIED
    assert block.lifted_by == officer
    assert f"decision #{decision.pk}" in block.lift_reason
    assert "phone" not in block.lift_reason


def test_escalating_raises_priority_and_returns_the_case_to_the_queue(
    officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer, priority=3)

    _propose(officer, case, kind="escalate", reason_code="NEEDS_SENIOR_REVIEW", usable_limit=None)

    case.refresh_from_db()
    assert (case.priority, case.status, case.assignee) == (2, CaseStatus.NEW, None)


def test_resolving_closes_the_case(officer: User, make_case: MakeCase) -> None:
    case = make_case(assignee=officer)

    _propose(officer, case, kind="resolve", reason_code="NO_ACTION_NEEDED", usable_limit=None)

    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert case.closed_at is not None


def test_keeping_a_block_leaves_the_line_alone(officer: User, make_case: MakeCase) -> None:
    case = make_case(assignee=officer)
    block = Block.objects.get(credit_line=case.credit_line)

    decision = _propose(
        officer,
        case,
        kind="keep_block",
        reason_code="RISK_CONFIRMED",
        usable_limit=None,
        blocks=[block.pk],
    )

    block.refresh_from_db()
    assert decision.state == DecisionState.APPLIED
    assert block.is_active


def test_a_reassess_decision_queues_an_assessment(officer: User, make_case: MakeCase) -> None:
    case = make_case(assignee=officer)

    _propose(officer, case, kind="reassess", reason_code="MODEL_OUTDATED", usable_limit=None)

    assessment = Assessment.objects.get(customer=case.customer)
    assert assessment.status == AssessmentStatus.QUEUED
    event = case.events.get(kind=CaseEventKind.DECISION_APPLIED)
    assert event.data["assessment"] == assessment.pk


# --- bad input, nothing changed --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"usable_limit": "60000"}, "usable_limit"),
        ({"usable_limit": "-1"}, "usable_limit"),
        ({"usable_limit": "lots"}, "usable_limit"),
        ({"reason_code": "BECAUSE"}, "reason_code"),
        ({"justification": "   "}, "justification"),
        ({"kind": "lift_block", "usable_limit": None, "blocks": [999999]}, "blocks"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    officer: User, make_case: MakeCase, fields: dict[str, Any], field: str
) -> None:
    case = make_case(assignee=officer)

    with pytest.raises(ValidationError) as caught:
        _propose(officer, case, **fields)

    assert field in caught.value.message_dict
    case.refresh_from_db()
    case.credit_line.refresh_from_db()
    assert case.version == 1
    assert case.credit_line.usable_limit == Decimal("0.00")
    assert not Decision.objects.exists()


def test_a_block_of_another_line_is_refused(officer: User, make_case: MakeCase) -> None:
    case = make_case(assignee=officer)
    other = make_case(blocks=["VELOCITY"])
    foreign = Block.objects.get(credit_line=other.credit_line)

    with pytest.raises(ValidationError) as caught:
        _propose(officer, case, kind="lift_block", usable_limit=None, blocks=[foreign.pk])

    assert "blocks" in caught.value.message_dict
    foreign.refresh_from_db()
    assert foreign.is_active


def test_a_stale_version_is_a_conflict(officer: User, make_case: MakeCase) -> None:
    case = make_case(assignee=officer)

    with pytest.raises(Conflict, match="changed since you opened it"):
        decision_propose(
            actor=officer,
            case_id=case.pk,
            version=case.version + 1,
            kind="resolve",
            reason_code="NO_ACTION_NEEDED",
            justification="Done.",
        )


def test_a_double_submit_makes_one_decision(officer: User, make_case: MakeCase) -> None:
    case = make_case(assignee=officer)

    _propose(officer, case)
    with pytest.raises(Conflict):
        _propose(officer, case)  # the same form again: same version

    assert Decision.objects.count() == 1


def test_an_officer_cannot_decide_on_a_case_assigned_to_someone_else(
    officer: User, second_officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=second_officer)

    with pytest.raises(PermissionDenied):
        _propose(officer, case)

    assert not Decision.objects.exists()


def test_a_supervisor_may_decide_on_any_case_and_it_becomes_theirs(
    supervisor: User, officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer, recommended="50000")

    decision = _propose(supervisor, case)

    assert decision.state == DecisionState.APPLIED
    case.refresh_from_db()
    assert (case.assignee, case.status) == (supervisor, CaseStatus.IN_REVIEW)
    taken = case.events.get(kind=CaseEventKind.ASSIGNED)
    assert taken.data == {"previous_assignee": officer.pk, "assignee": supervisor.pk}


def test_an_auditor_cannot_decide(auditor: User, make_case: MakeCase) -> None:
    case = make_case(assignee=auditor)

    with pytest.raises(PermissionDenied):
        _propose(auditor, case)


# --- four eyes --------------------------------------------------------------------------------


@pytest.fixture
def proposed(officer: User, make_case: MakeCase) -> Decision:
    """A proposed override above the threshold, waiting for a supervisor."""
    case = make_case(assignee=officer)
    decision = _propose(officer, case, usable_limit="30000")
    assert decision.state == DecisionState.PROPOSED
    return decision


def test_a_big_override_waits_and_changes_nothing_yet(proposed: Decision) -> None:
    case = proposed.case
    case.refresh_from_db()
    case.credit_line.refresh_from_db()
    assert case.status == CaseStatus.PENDING_APPROVAL
    assert case.credit_line.usable_limit == Decimal("0.00")
    assert proposed.requires_approval
    assert proposed.approval_reason == LIMIT_ABOVE_THRESHOLD


def test_approval_applies_the_override_in_the_approvers_name(
    proposed: Decision, supervisor: User
) -> None:
    decision = decision_approve(actor=supervisor, decision_id=proposed.pk, comment="OK")

    line = CreditLine.objects.get(pk=proposed.case.credit_line_id)
    assert line.usable_limit == Decimal("30000.00")
    assert line.history.latest().history_user == supervisor
    assert _line_audits(line) == 1
    assert (decision.state, decision.approver) == (DecisionState.APPLIED, supervisor)
    assert decision.decided_at is not None
    assert decision.applied_at is not None
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"decision.proposed", "decision.approved", "decision.applied"} <= actions
    case = Case.objects.get(pk=proposed.case_id)
    assert case.status == CaseStatus.IN_REVIEW
    assert case.events.filter(kind=CaseEventKind.DECISION_APPROVED).exists()


def test_a_supervisor_cannot_approve_their_own_decision(
    supervisor: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=supervisor)
    decision = _propose(supervisor, case, usable_limit="30000")

    with pytest.raises(PermissionDenied, match="your own decision"):
        decision_approve(actor=supervisor, decision_id=decision.pk, comment="")

    decision.refresh_from_db()
    assert decision.state == DecisionState.PROPOSED


def test_an_officer_cannot_approve(proposed: Decision, second_officer: User) -> None:
    with pytest.raises(PermissionDenied):
        decision_approve(actor=second_officer, decision_id=proposed.pk, comment="")


def test_the_database_refuses_an_approver_who_proposed(proposed: Decision) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.filter(pk=proposed.pk).update(approver_id=proposed.proposed_by_id)


def test_approving_twice_is_a_conflict(proposed: Decision, supervisor: User) -> None:
    decision_approve(actor=supervisor, decision_id=proposed.pk, comment="")

    with pytest.raises(Conflict, match="already been decided"):
        decision_approve(actor=supervisor, decision_id=proposed.pk, comment="")

    assert _line_audits(CreditLine.objects.get(pk=proposed.case.credit_line_id)) == 1


def test_rejection_returns_the_case_with_the_comment(proposed: Decision, supervisor: User) -> None:
    decision = decision_reject(actor=supervisor, decision_id=proposed.pk, comment="Too high.")

    assert (decision.state, decision.approver_comment) == (DecisionState.REJECTED, "Too high.")
    case = Case.objects.get(pk=proposed.case_id)
    assert case.status == CaseStatus.IN_REVIEW
    assert case.credit_line.usable_limit == Decimal("0.00")
    assert case.events.filter(kind=CaseEventKind.DECISION_REJECTED).exists()
    entry = AuditEntry.objects.get(action="decision.rejected")
    assert "Too high" not in str(entry.data)


def test_rejection_needs_a_comment(proposed: Decision, supervisor: User) -> None:
    with pytest.raises(ValidationError) as caught:
        decision_reject(actor=supervisor, decision_id=proposed.pk, comment=" ")

    assert "comment" in caught.value.message_dict
    proposed.refresh_from_db()
    assert proposed.state == DecisionState.PROPOSED


def test_a_second_decision_waits_while_one_is_pending(proposed: Decision, officer: User) -> None:
    case = Case.objects.get(pk=proposed.case_id)

    with pytest.raises(Conflict):
        _propose(officer, case, usable_limit="100")


def test_lifting_a_kyc_block_needs_approval_then_lifts_it(
    officer: User, supervisor: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer, blocks=["KYC_EXPIRED"])
    block = Block.objects.get(credit_line=case.credit_line)

    decision = _propose(
        officer,
        case,
        kind="lift_block",
        reason_code="DOCUMENT_RENEWED",
        usable_limit=None,
        blocks=[block.pk],
    )
    block.refresh_from_db()
    assert (decision.state, decision.approval_reason) == ("proposed", REGULATORY_BLOCK)
    assert block.is_active

    decision_approve(actor=supervisor, decision_id=decision.pk, comment="")

    block.refresh_from_db()
    assert block.lifted_by == supervisor
