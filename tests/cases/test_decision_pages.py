"""Decision pages: the decision form of a case and the supervisor's approvals queue."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cases.decisions.services import decision_propose
from cases.models import Case, Decision, DecisionState
from scoring.models import Block, CreditLine
from tests.cases.conftest import MakeCase

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(case: Case, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": case.version,
        "kind": "override_limit",
        "reason_code": "IDENTITY_VERIFIED",
        "justification": "Verified by phone.",
        "usable_limit": "5000",
    }
    data.update(fields)
    return data


def _proposed(officer: User, make_case: MakeCase) -> Decision:
    case = make_case(assignee=officer)
    return decision_propose(
        actor=officer,
        case_id=case.pk,
        version=case.version,
        kind="override_limit",
        reason_code="IDENTITY_VERIFIED",
        justification="Salary slip checked.",
        usable_limit="30000",
    )


def test_the_form_lists_the_active_blocks_and_carries_the_version(
    officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer, blocks=["KYC_EXPIRED"])
    block = Block.objects.get(credit_line=case.credit_line)

    response = _client(officer).get(reverse("decisions:propose", args=[case.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="version" value="1"' in html
    assert f'value="{block.pk}"' in html
    assert case.customer.name not in html


def test_an_officer_decides_from_the_page(officer: User, make_case: MakeCase) -> None:
    case = make_case(assignee=officer, recommended="50000")
    url = reverse("decisions:propose", args=[case.pk])

    response = _client(officer).post(url, _form(case, next="/scoring/"), follow=True)

    assert response.redirect_chain[-1][0] == "/scoring/"
    assert "The decision is applied." in response.content.decode()
    assert CreditLine.objects.get(pk=case.credit_line_id).usable_limit == Decimal("5000.00")


def test_errors_show_on_the_form_and_change_nothing(officer: User, make_case: MakeCase) -> None:
    case = make_case(assignee=officer)
    url = reverse("decisions:propose", args=[case.pk])

    response = _client(officer).post(url, _form(case, usable_limit="99999", justification=" "))

    assert response.status_code == 400
    form = response.context["decision_form"]
    assert "usable_limit" in form.errors or "justification" in form.errors
    assert not Decision.objects.exists()


def test_an_amount_above_the_granted_limit_is_a_field_error(
    officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer)
    url = reverse("decisions:propose", args=[case.pk])

    response = _client(officer).post(url, _form(case, usable_limit="99999"))

    assert response.status_code == 400
    assert "granted limit" in response.context["decision_form"].errors["usable_limit"][0]


def test_a_stale_form_says_so(officer: User, make_case: MakeCase) -> None:
    case = make_case(assignee=officer)
    url = reverse("decisions:propose", args=[case.pk])
    client = _client(officer)
    client.post(url, _form(case))

    response = client.post(url, _form(case), follow=True)

    assert "changed since you opened it" in response.content.decode()
    assert Decision.objects.count() == 1


def test_an_auditor_cannot_open_the_form(auditor: User, make_case: MakeCase) -> None:
    case = make_case()

    response = _client(auditor).get(reverse("decisions:propose", args=[case.pk]))

    assert response.status_code == 403


def test_a_supervisor_sees_pending_decisions_and_approves(
    officer: User, supervisor: User, make_case: MakeCase, django_assert_max_num_queries: Any
) -> None:
    decision = _proposed(officer, make_case)
    _proposed(officer, make_case)
    client = _client(supervisor)

    with django_assert_max_num_queries(12):
        page = client.get(reverse("decisions:approvals"))

    html = page.content.decode()
    assert "Salary slip checked." in html
    assert "¥0.00 → ¥30,000.00" in html
    assert "officer" in html
    response = client.post(
        reverse("decisions:approve", args=[decision.pk]), {"comment": "ok"}, follow=True
    )
    assert "approved and applied" in response.content.decode()
    decision.refresh_from_db()
    assert decision.state == DecisionState.APPLIED


def test_approving_twice_from_the_page_says_already_decided(
    officer: User, supervisor: User, make_case: MakeCase
) -> None:
    decision = _proposed(officer, make_case)
    client = _client(supervisor)
    url = reverse("decisions:approve", args=[decision.pk])
    client.post(url, {})

    response = client.post(url, {}, follow=True)

    assert "already been decided" in response.content.decode()


def test_a_supervisor_rejects_with_a_comment(
    officer: User, supervisor: User, make_case: MakeCase
) -> None:
    decision = _proposed(officer, make_case)
    client = _client(supervisor)
    url = reverse("decisions:reject", args=[decision.pk])

    without = client.post(url, {"comment": ""}, follow=True)
    assert "Say why the decision is rejected." in without.content.decode()

    client.post(url, {"comment": "Needs documents."})
    decision.refresh_from_db()
    assert decision.state == DecisionState.REJECTED


def test_the_proposer_does_not_see_their_own_proposal(
    supervisor: User, make_case: MakeCase
) -> None:
    decision = _proposed(supervisor, make_case)

    html = _client(supervisor).get(reverse("decisions:approvals")).content.decode()

    assert f'data-testid="approve-{decision.pk}"' not in html
    assert f'data-decision="{decision.pk}"' not in html
    assert "1 decision of yours waits for another supervisor" in html


def test_an_officer_cannot_see_approvals(officer: User) -> None:
    assert _client(officer).get(reverse("decisions:approvals")).status_code == 403


def test_the_approvals_page_speaks_chinese(supervisor: User, settings: Any) -> None:
    client = _client(supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    html = client.get(reverse("decisions:approvals")).content.decode()

    assert "待审批的决定" in html
