"""API v1: deciding on a case, approving and rejecting, by role."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEntry
from cases.models import Case, CaseStatus, Decision, DecisionState
from scoring.models import Block, CreditLine
from tests.cases.conftest import MakeCase

pytestmark = pytest.mark.django_db

Client = Callable[[User], APIClient]


def _body(case: Case, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "override_limit",
        "reason_code": "IDENTITY_VERIFIED",
        "justification": "Verified by phone.",
        "usable_limit": "5000",
        "version": case.version,
    }
    body.update(fields)
    return body


def _decide(client: APIClient, case: Case, **fields: Any) -> Any:
    return client.post(f"/api/v1/cases/{case.pk}/decisions/", _body(case, **fields), format="json")


def test_an_officer_decides_within_policy_and_it_applies(
    officer: User, make_case: MakeCase, api_client: Client
) -> None:
    case = make_case(assignee=officer, recommended="50000")

    response = _decide(api_client(officer), case)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "applied"
    assert body["usable_limit"] == "5000.00"
    assert body["usable_limit_before"] == "0.00"
    assert body["proposed_by"] == "officer"
    assert CreditLine.objects.get(pk=case.credit_line_id).usable_limit == Decimal("5000.00")


def test_a_big_override_is_proposed_then_approved_by_a_supervisor(
    officer: User, supervisor: User, make_case: MakeCase, api_client: Client
) -> None:
    case = make_case(assignee=officer)
    proposed = _decide(api_client(officer), case, usable_limit="30000").json()
    assert proposed["state"] == "proposed"
    assert proposed["approval_reason"] == "limit_above_threshold"
    assert proposed["approval_reason_text"]

    response = api_client(supervisor).post(
        f"/api/v1/decisions/{proposed['id']}/approve/", {"comment": "Fine."}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["state"] == "applied"
    assert response.json()["approver"] == "supervisor"
    assert CreditLine.objects.get(pk=case.credit_line_id).usable_limit == Decimal("30000.00")


@pytest.fixture
def proposed(officer: User, make_case: MakeCase, api_client: Client) -> Decision:
    case = make_case(assignee=officer)
    response = _decide(api_client(officer), case, usable_limit="30000")
    assert response.status_code == 201
    return Decision.objects.get(pk=response.json()["id"])


def test_a_proposer_cannot_approve_their_own_decision(
    supervisor: User, make_case: MakeCase, api_client: Client
) -> None:
    case = make_case(assignee=supervisor)
    decision_id = _decide(api_client(supervisor), case, usable_limit="30000").json()["id"]

    response = api_client(supervisor).post(f"/api/v1/decisions/{decision_id}/approve/", {})

    assert response.status_code == 403
    assert "your own decision" in response.json()["errors"]["non_field_errors"][0]
    assert Decision.objects.get(pk=decision_id).state == DecisionState.PROPOSED


def test_approving_twice_is_a_409(proposed: Decision, supervisor: User, api_client: Client) -> None:
    client = api_client(supervisor)
    assert client.post(f"/api/v1/decisions/{proposed.pk}/approve/", {}).status_code == 200

    response = client.post(f"/api/v1/decisions/{proposed.pk}/approve/", {})

    assert response.status_code == 409
    assert "already been decided" in response.json()["errors"]["non_field_errors"][0]
    assert AuditEntry.objects.filter(action="credit_line.usable_limit_set").count() == 1


def test_rejection_needs_a_comment_and_returns_the_case(
    proposed: Decision, supervisor: User, api_client: Client
) -> None:
    client = api_client(supervisor)
    url = f"/api/v1/decisions/{proposed.pk}/reject/"

    empty = client.post(url, {"comment": ""}, format="json")
    assert empty.status_code == 400
    assert "comment" in empty.json()["errors"]

    response = client.post(url, {"comment": "Not enough evidence."}, format="json")

    assert response.status_code == 200
    assert response.json()["state"] == "rejected"
    assert response.json()["approver_comment"] == "Not enough evidence."
    assert Case.objects.get(pk=proposed.case_id).status == CaseStatus.IN_REVIEW


def test_approving_a_missing_decision_is_a_404(supervisor: User, api_client: Client) -> None:
    assert api_client(supervisor).post("/api/v1/decisions/999999/approve/", {}).status_code == 404


def test_a_stale_version_is_a_409(officer: User, make_case: MakeCase, api_client: Client) -> None:
    case = make_case(assignee=officer)

    response = _decide(api_client(officer), case, version=case.version + 1)

    assert response.status_code == 409
    assert "changed since you opened it" in response.json()["errors"]["non_field_errors"][0]
    assert not Decision.objects.exists()


def test_a_double_submit_makes_one_decision(
    officer: User, make_case: MakeCase, api_client: Client
) -> None:
    case = make_case(assignee=officer)
    client = api_client(officer)

    first = _decide(client, case)
    second = _decide(client, case)

    assert (first.status_code, second.status_code) == (201, 409)
    assert Decision.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"usable_limit": "60000"}, "usable_limit"),
        ({"usable_limit": "-5"}, "usable_limit"),
        ({"reason_code": "BECAUSE"}, "reason_code"),
        ({"justification": ""}, "justification"),
        ({"justification": "   "}, "justification"),
        ({"kind": "teleport"}, "kind"),
        ({"kind": "lift_block", "blocks": []}, "blocks"),
        ({"version": "x"}, "version"),
    ],
)
def test_bad_input_is_a_400_by_field_and_changes_nothing(
    officer: User, make_case: MakeCase, api_client: Client, fields: dict[str, Any], field: str
) -> None:
    case = make_case(assignee=officer)

    response = _decide(api_client(officer), case, **fields)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Decision.objects.exists()
    assert CreditLine.objects.get(pk=case.credit_line_id).usable_limit == Decimal("0.00")
    assert Case.objects.get(pk=case.pk).version == 1


def test_deciding_on_a_case_assigned_to_someone_else_is_a_403(
    officer: User, second_officer: User, make_case: MakeCase, api_client: Client
) -> None:
    case = make_case(assignee=second_officer)

    response = _decide(api_client(officer), case)

    assert response.status_code == 403
    assert "errors" in response.json()
    assert not Decision.objects.exists()


def test_an_officer_cannot_approve(
    proposed: Decision, second_officer: User, api_client: Client
) -> None:
    response = api_client(second_officer).post(f"/api/v1/decisions/{proposed.pk}/approve/", {})

    assert response.status_code == 403


def test_deciding_on_a_missing_case_is_a_404(officer: User, api_client: Client) -> None:
    response = api_client(officer).post(
        "/api/v1/cases/999999/decisions/",
        {"kind": "resolve", "reason_code": "NO_ACTION_NEEDED", "justification": "x", "version": 1},
        format="json",
    )

    assert response.status_code == 404


def test_lifting_a_block_through_the_api(
    officer: User, make_case: MakeCase, api_client: Client
) -> None:
    case = make_case(assignee=officer, blocks=["VELOCITY"])
    block = Block.objects.get(credit_line=case.credit_line)

    response = _decide(
        api_client(officer),
        case,
        kind="lift_block",
        reason_code="ANOMALY_EXPLAINED",
        usable_limit=None,
        blocks=[block.pk],
    )

    assert response.status_code == 201
    assert response.json()["blocks"] == [block.pk]
    block.refresh_from_db()
    assert not block.is_active


def test_an_auditor_reads_but_never_writes(
    auditor: User, officer: User, proposed: Decision, make_case: MakeCase, api_client: Client
) -> None:
    client = api_client(auditor)
    case = make_case(assignee=auditor)
    writes = [
        ("/api/v1/cases/claim-next/", {}),
        (f"/api/v1/cases/{case.pk}/notes/", {"body": "x", "version": 1}),
        (f"/api/v1/cases/{case.pk}/decisions/", _body(case)),
        (f"/api/v1/cases/{case.pk}/reassess/", {}),
        (f"/api/v1/decisions/{proposed.pk}/approve/", {"comment": ""}),
        (f"/api/v1/decisions/{proposed.pk}/reject/", {"comment": "no"}),
    ]
    for url, body in writes:
        response = client.post(url, body, format="json")
        assert response.status_code == 403, url
        assert "non_field_errors" in response.json()["errors"], url

    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert client.get("/api/v1/cases/").status_code == 200
    proposed.refresh_from_db()
    assert proposed.state == DecisionState.PROPOSED


def test_without_credentials_it_is_a_401(make_case: MakeCase) -> None:
    case = make_case()

    response = APIClient().post(f"/api/v1/cases/{case.pk}/decisions/", {}, format="json")

    assert response.status_code == 401
