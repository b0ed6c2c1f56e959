"""Four eyes for everyone (issue 15): a supervisor's own decision follows the officer's
policy and waits for another supervisor; a raise without a recent assessment waits; deciding
makes the case the decider's and moves it out of "new"; notes and re-runs on someone else's
case are for supervisors (or after a reassignment)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEntry
from cases.decisions.policy import (
    ASSESSMENT_MISSING,
    ASSESSMENT_STALE,
    LIMIT_ABOVE_RECOMMENDATION,
    LIMIT_ABOVE_THRESHOLD,
)
from cases.decisions.services import decision_approve, decision_propose, decision_reject
from cases.models import Case, CaseEventKind, CaseStatus, Decision, DecisionState, Note
from cases.services.notes import note_add
from cases.services.reassess import case_reassess
from cases.services.reassign import case_reassign
from scoring.models import Assessment, CreditLine
from tests.cases.conftest import MakeCase

pytestmark = pytest.mark.django_db


def _raise(actor: User, case: Case, usable_limit: str = "5000", **kwargs: Any) -> Decision:
    return decision_propose(
        actor=actor,
        case_id=case.pk,
        version=Case.objects.get(pk=case.pk).version,
        kind="override_limit",
        reason_code="IDENTITY_VERIFIED",
        justification="Verified by phone with the customer.",
        usable_limit=usable_limit,
        **kwargs,
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _usable(case: Case) -> Decimal:
    return CreditLine.objects.get(pk=case.credit_line_id).usable_limit


def _denials() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="access.denied").order_by("id"))


# --- a supervisor's own decision ------------------------------------------------------------


def test_a_supervisors_own_raise_above_policy_waits_for_another_supervisor(
    supervisor: User, second_supervisor: User, make_case: MakeCase
) -> None:
    case = make_case(recommended="50000")

    decision = _raise(supervisor, case, usable_limit="30000")

    assert (decision.state, decision.approval_reason) == ("proposed", LIMIT_ABOVE_THRESHOLD)
    assert _usable(case) == Decimal("0.00")
    with pytest.raises(PermissionDenied, match="your own decision"):
        decision_approve(actor=supervisor, decision_id=decision.pk, comment="")
    assert Decision.objects.get(pk=decision.pk).state == DecisionState.PROPOSED

    approved = decision_approve(actor=second_supervisor, decision_id=decision.pk, comment="OK")

    assert (approved.state, approved.approver) == (DecisionState.APPLIED, second_supervisor)
    assert _usable(case) == Decimal("30000.00")


def test_a_supervisors_raise_above_the_recommendation_waits_like_an_officers(
    supervisor: User, make_case: MakeCase
) -> None:
    case = make_case(granted="5000", usable="900", recommended="3000")

    decision = _raise(supervisor, case, usable_limit="5000")

    assert (decision.state, decision.approval_reason) == ("proposed", LIMIT_ABOVE_RECOMMENDATION)


def test_a_supervisor_cannot_reject_their_own_decision_either(
    supervisor: User, make_case: MakeCase
) -> None:
    decision = _raise(supervisor, make_case(), usable_limit="30000")

    with pytest.raises(PermissionDenied):
        decision_reject(actor=supervisor, decision_id=decision.pk, comment="Changed my mind.")


def test_the_approvals_page_shows_a_supervisors_proposal_to_other_supervisors_only(
    supervisor: User, second_supervisor: User, make_case: MakeCase
) -> None:
    decision = _raise(supervisor, make_case(), usable_limit="30000")

    own = _client(supervisor).get(reverse("decisions:approvals")).content.decode()
    other = _client(second_supervisor).get(reverse("decisions:approvals")).content.decode()

    assert f'data-decision="{decision.pk}"' not in own
    assert "1 decision of yours waits for another supervisor" in own
    assert f'data-testid="approve-{decision.pk}"' in other
    assert "¥0.00 → ¥30,000.00" in other
    assert "above ¥20,000.00" in other


def test_approving_ones_own_decision_from_the_page_is_refused_and_audited(
    supervisor: User, make_case: MakeCase
) -> None:
    decision = _raise(supervisor, make_case(), usable_limit="30000")

    response = _client(supervisor).post(
        reverse("decisions:approve", args=[decision.pk]), {"comment": ""}, follow=True
    )

    assert "You cannot approve or reject your own decision." in response.content.decode()
    assert Decision.objects.get(pk=decision.pk).state == DecisionState.PROPOSED
    assert [e.data["path"] for e in _denials()] == [
        reverse("decisions:approve", args=[decision.pk])
    ]


def test_the_api_refuses_a_supervisor_approving_their_own_decision(
    supervisor: User, make_case: MakeCase, api_client: Any
) -> None:
    decision = _raise(supervisor, make_case(), usable_limit="30000")

    response = api_client(supervisor).post(
        f"/api/v1/decisions/{decision.pk}/approve/", {"comment": ""}, format="json"
    )

    assert response.status_code == 403
    assert "your own decision" in response.json()["errors"]["non_field_errors"][0]
    assert len(_denials()) == 1


# --- no recent assessment -------------------------------------------------------------------


def test_a_raise_without_an_assessment_waits_whatever_the_amount(
    officer: User, supervisor: User, make_case: MakeCase
) -> None:
    mine = make_case(assignee=officer)
    unassigned = make_case(granted="5000", usable="900")

    small = _raise(officer, mine, usable_limit="100")
    # The measured case: a supervisor, an unassigned case, ¥900 → ¥5,000, nothing on record.
    supervisors = _raise(supervisor, unassigned, usable_limit="5000")

    for decision in (small, supervisors):
        assert (decision.state, decision.approval_reason) == ("proposed", ASSESSMENT_MISSING)
        assert decision.requires_approval
    assert _usable(mine) == Decimal("0.00")
    assert _usable(unassigned) == Decimal("900.00")


def test_a_stale_assessment_makes_a_raise_wait(
    officer: User, make_case: MakeCase, settings: Any
) -> None:
    settings.CASES_ASSESSMENT_STALE_DAYS = 90
    stale = make_case(assignee=officer, recommended="50000", assessed_days_ago=91)
    fresh = make_case(assignee=officer, recommended="50000", assessed_days_ago=89)

    waiting = _raise(officer, stale)
    applied = _raise(officer, fresh)

    assert (waiting.state, waiting.approval_reason) == ("proposed", ASSESSMENT_STALE)
    assert applied.state == DecisionState.APPLIED
    assert _usable(fresh) == Decimal("5000.00")


def test_a_challengers_shadow_assessment_is_not_on_record(
    officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer, recommended="50000")
    Assessment.objects.filter(customer=case.customer).update(trigger="shadow")

    decision = _raise(officer, case)

    assert decision.approval_reason == ASSESSMENT_MISSING


def test_lowering_a_limit_needs_no_assessment(officer: User, make_case: MakeCase) -> None:
    case = make_case(assignee=officer, usable="5000")

    decision = _raise(officer, case, usable_limit="1000")

    assert decision.state == DecisionState.APPLIED


def test_the_decision_page_says_why_a_raise_would_wait_in_words_and_money(
    officer: User, make_case: MakeCase, django_assert_max_num_queries: Any
) -> None:
    case = make_case(assignee=officer)
    client = _client(officer)
    url = reverse("decisions:propose", args=[case.pk])
    client.get(url)

    with django_assert_max_num_queries(10):
        html = client.get(url).content.decode()

    assert "Raising the usable limit above ¥20,000.00 waits for approval." in html
    assert "No recent assessment" in html
    response = client.post(
        url,
        {
            "version": case.version,
            "kind": "override_limit",
            "reason_code": "IDENTITY_VERIFIED",
            "justification": "Verified by phone.",
            "usable_limit": "100",
        },
        follow=True,
    )
    assert "waits for approval by a supervisor other than you: No recent assessment" in (
        response.content.decode()
    )


def test_the_decision_page_names_the_recommendation_and_speaks_chinese(
    officer: User, make_case: MakeCase, settings: Any
) -> None:
    case = make_case(assignee=officer, recommended="8000")
    client = _client(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    html = client.get(reverse("decisions:propose", args=[case.pk])).content.decode()

    assert "¥8,000.00" in html
    assert "¥20,000.00" in html
    assert "需要审批" in html
    assert "No recent assessment" not in html


# --- deciding takes the case ------------------------------------------------------------------


def test_deciding_assigns_the_case_and_moves_it_out_of_new(
    supervisor: User, make_case: MakeCase
) -> None:
    case = make_case(recommended="50000")
    assert (case.status, case.assignee_id) == (CaseStatus.NEW, None)

    _raise(supervisor, case)

    case.refresh_from_db()
    assert (case.assignee, case.status) == (supervisor, CaseStatus.IN_REVIEW)
    assert case.assigned_at is not None
    history = case.history.latest()
    assert history.assignee_id == supervisor.pk
    assert history.status == CaseStatus.IN_REVIEW
    kinds = list(case.events.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        CaseEventKind.ASSIGNED,
        CaseEventKind.DECISION_PROPOSED,
        CaseEventKind.DECISION_APPLIED,
    ]
    taken = AuditEntry.objects.get(action="case.taken")
    assert taken.data == {"previous_assignee": None, "assignee": supervisor.pk}


def test_a_waiting_decision_leaves_the_case_pending_and_the_deciders(
    supervisor: User, second_supervisor: User, make_case: MakeCase
) -> None:
    case = make_case()

    decision = _raise(supervisor, case, usable_limit="30000")

    case.refresh_from_db()
    assert (case.assignee, case.status) == (supervisor, CaseStatus.PENDING_APPROVAL)
    decision_reject(actor=second_supervisor, decision_id=decision.pk, comment="Too much.")
    case.refresh_from_db()
    assert (case.assignee, case.status) == (supervisor, CaseStatus.IN_REVIEW)


def test_the_case_disappears_from_the_unassigned_queue_once_decided(
    supervisor: User, officer: User, make_case: MakeCase, api_client: Any
) -> None:
    case = make_case(recommended="50000")

    _raise(supervisor, case)

    listed = api_client(officer).get("/api/v1/cases/", {"status": "new"}).json()["results"]
    assert case.pk not in [row["id"] for row in listed]


def test_an_officer_cannot_decide_on_an_unassigned_case(officer: User, make_case: MakeCase) -> None:
    case = make_case(recommended="50000")

    with pytest.raises(PermissionDenied, match="not assigned to you"):
        _raise(officer, case)

    case.refresh_from_db()
    assert (case.assignee_id, case.status, case.version) == (None, CaseStatus.NEW, 1)
    assert not Decision.objects.exists()


def test_the_api_refuses_an_officers_decision_on_a_colleagues_case(
    officer: User, second_officer: User, make_case: MakeCase, api_client: Any
) -> None:
    case = make_case(assignee=second_officer, recommended="50000")

    response = api_client(officer).post(
        f"/api/v1/cases/{case.pk}/decisions/",
        {
            "version": case.version,
            "kind": "override_limit",
            "reason_code": "IDENTITY_VERIFIED",
            "justification": "Verified.",
            "usable_limit": "5000",
        },
        format="json",
    )

    assert response.status_code == 403
    assert "assigned to another officer" in response.json()["errors"]["non_field_errors"][0]
    assert [e.data["path"] for e in _denials()] == [f"/api/v1/cases/{case.pk}/decisions/"]
    assert not Decision.objects.exists()


def test_the_decision_page_refuses_an_officer_on_a_colleagues_case(
    officer: User, second_officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=second_officer)
    url = reverse("decisions:propose", args=[case.pk])
    client = _client(officer)

    shown = client.get(url)
    posted = client.post(
        url,
        {
            "version": case.version,
            "kind": "resolve",
            "reason_code": "IDENTITY_VERIFIED",
            "justification": "Done.",
        },
    )

    assert shown.status_code == posted.status_code == 403
    for response in (shown, posted):
        html = response.content.decode()
        assert "assigned to another officer" in html
        assert 'data-testid="decision-form"' not in html
    assert len(_denials()) == 1  # the refused write, not the read
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_REVIEW


# --- notes and re-runs on someone else's case ----------------------------------------------


def test_an_officers_note_on_a_colleagues_case_is_refused_and_a_supervisors_allowed(
    officer: User, second_officer: User, supervisor: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=second_officer)

    with pytest.raises(PermissionDenied, match="Ask a supervisor to reassign"):
        note_add(actor=officer, case_id=case.pk, body="Looked at it.", version=None)
    note = note_add(actor=supervisor, case_id=case.pk, body="Checked.", version=None)

    assert list(Note.objects.values_list("pk", flat=True)) == [note.pk]


def test_an_officers_rerun_on_a_colleagues_or_unassigned_case_is_refused(
    officer: User, second_officer: User, supervisor: User, make_case: MakeCase
) -> None:
    theirs = make_case(assignee=second_officer)
    nobodys = make_case()

    for case in (theirs, nobodys):
        with pytest.raises(PermissionDenied, match="re-run its assessment"):
            case_reassess(actor=officer, case_id=case.pk)
    assessment = case_reassess(actor=supervisor, case_id=theirs.pk)

    assert list(Assessment.objects.values_list("pk", flat=True)) == [assessment.pk]


def test_a_reassignment_hands_the_case_over_for_notes_and_reruns(
    officer: User, second_officer: User, supervisor: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=second_officer)
    case_reassign(actor=supervisor, case_ids=[case.pk], assignee_id=officer.pk)

    note_add(actor=officer, case_id=case.pk, body="Mine now.", version=None)
    case_reassess(actor=officer, case_id=case.pk)

    assert Note.objects.filter(case=case, author=officer).exists()
    with pytest.raises(PermissionDenied):
        note_add(actor=second_officer, case_id=case.pk, body="Still mine?", version=None)


def test_the_api_refuses_notes_and_reruns_on_a_colleagues_case_with_errors_and_audit(
    officer: User, second_officer: User, supervisor: User, make_case: MakeCase, api_client: Any
) -> None:
    case = make_case(assignee=second_officer)
    client = api_client(officer)

    note = client.post(
        f"/api/v1/cases/{case.pk}/notes/", {"body": "Hm.", "version": 1}, format="json"
    )
    rerun = client.post(f"/api/v1/cases/{case.pk}/reassess/")
    allowed = api_client(supervisor).post(
        f"/api/v1/cases/{case.pk}/notes/", {"body": "Checked.", "version": 1}, format="json"
    )

    assert (note.status_code, rerun.status_code, allowed.status_code) == (403, 403, 201)
    assert "add notes" in note.json()["errors"]["non_field_errors"][0]
    assert "re-run its assessment" in rerun.json()["errors"]["non_field_errors"][0]
    assert [e.data["path"] for e in _denials()] == [
        f"/api/v1/cases/{case.pk}/notes/",
        f"/api/v1/cases/{case.pk}/reassess/",
    ]
    assert not Assessment.objects.exists()


def test_the_case_page_refuses_a_note_and_a_rerun_on_a_colleagues_case(
    officer: User, second_officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=second_officer)
    client = _client(officer)

    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    note = client.post(reverse("cases:note_add", args=[case.pk]), {"body": "Hm.", "version": 1})
    rerun = client.post(reverse("cases:reassess", args=[case.pk]), {"version": 1})

    assert 'data-testid="note-form"' not in page
    assert 'data-testid="reassess"' not in page
    assert (note.status_code, rerun.status_code) == (403, 403)
    assert "add notes" in note.content.decode()
    assert "re-run its assessment" in rerun.content.decode()
    assert len(_denials()) == 2
    assert not Note.objects.exists()
    assert not Assessment.objects.exists()
