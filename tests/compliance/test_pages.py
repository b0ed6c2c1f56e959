"""The auditor's pages: the audit log with filters, and the chain verification."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.log import audit_record
from audit.models import AuditEntry, ChainVerification
from portal.permissions import SystemActor

pytestmark = pytest.mark.django_db

LOG = reverse("compliance:audit_log")
VERIFY = reverse("compliance:audit_verify")


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def entries(officer: User, supervisor: User) -> list[AuditEntry]:
    return [
        audit_record(
            actor=officer,
            action="credit_line.usable_limit_set",
            target=("scoring.creditline", "11"),
            data={"block": 3, "reason_code": "THIN_FILE", "phone_masked": "138****5678"},
        ),
        audit_record(
            actor=supervisor,
            action="decision.approved",
            target=("cases.decision", "5"),
            data={"comment_length": 12},
        ),
        audit_record(
            actor=SystemActor("nightly_detection"),
            action="case.opened",
            target=("cases.case", "8"),
            data={"category": "limit_unusable"},
        ),
    ]


def _ids(response: Any) -> list[int]:
    return [entry.id for entry in response.context["page"].entries]


def test_the_urls_the_navigation_links_to_exist() -> None:
    assert LOG == "/compliance/audit/"
    assert VERIFY == "/compliance/audit/verify/"


def test_an_auditor_sees_the_audit_log_newest_first(
    auditor: User, entries: list[AuditEntry]
) -> None:
    response = _client_for(auditor).get(LOG)

    assert response.status_code == 200
    assert _ids(response) == [e.id for e in reversed(entries)]
    body = response.content.decode()
    assert "credit_line.usable_limit_set" in body
    assert "138****5678" in body
    assert "system:nightly_detection" in body


def test_a_supervisor_may_read_the_audit_log(supervisor: User, entries: list[AuditEntry]) -> None:
    assert _client_for(supervisor).get(LOG).status_code == 200


def test_an_officer_gets_403_on_both_pages(officer: User) -> None:
    client = _client_for(officer)
    assert client.get(LOG).status_code == 403
    assert client.get(VERIFY).status_code == 403
    assert client.post(VERIFY).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in() -> None:
    response = Client().get(LOG)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "decision.approved"}, [1]),
        ({"action": "credit_line."}, [0]),
        ({"actor": "officer"}, [0]),
        ({"actor": "system:nightly_detection"}, [2]),
        ({"target_type": "cases.case", "target_id": "8"}, [2]),
        ({"target_type": "Scoring.CreditLine"}, [0]),
        ({"target_id": "404"}, []),
    ],
)
def test_the_log_filters_by_action_actor_and_target(
    auditor: User, entries: list[AuditEntry], query: dict[str, str], expected: list[int]
) -> None:
    response = _client_for(auditor).get(LOG, query)

    assert response.status_code == 200
    assert _ids(response) == [entries[i].id for i in reversed(expected)]


def test_the_log_filters_by_time_in_shanghai_time(auditor: User, officer: User) -> None:
    early = audit_record(actor=officer, action="case.attached", target=None)
    late = audit_record(actor=officer, action="case.released", target=None)
    # Shanghai is UTC+8: give the boundary as a local time between the two entries.
    boundary = timezone.localtime(late.created_at).replace(tzinfo=None) - dt.timedelta(
        microseconds=1
    )
    if boundary < timezone.localtime(early.created_at).replace(tzinfo=None):
        pytest.skip("the two entries were written within the same microsecond")
    client = _client_for(auditor)

    since = client.get(LOG, {"since": boundary.isoformat()})
    until = client.get(LOG, {"until": boundary.isoformat()})

    assert _ids(since) == [late.id]
    assert _ids(until) == [early.id]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "yesterday-ish"}, "since"),
        ({"since": "2026-11-23T10:00", "until": "2026-11-22T10:00"}, "until"),
        ({"before": "-4"}, "before"),
        ({"action": "x" * 101}, "action"),
    ],
)
def test_an_invalid_filter_shows_the_form_error_not_a_server_error(
    auditor: User, entries: list[AuditEntry], query: dict[str, str], field: str
) -> None:
    response = _client_for(auditor).get(LOG, query)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert response.context["page"] is None
    if field != "before":  # hidden inputs have no visible error
        assert f'data-testid="error-{field}"' in response.content.decode()


def test_the_log_pages_by_id_without_offsets(auditor: User, officer: User) -> None:
    written = [
        audit_record(actor=officer, action="case.note_added", target=("test.thing", str(n)))
        for n in range(120)
    ]
    client = _client_for(auditor)

    first = client.get(LOG, {"action": "case.note_added"})
    assert _ids(first) == [e.id for e in reversed(written[70:])]
    page = first.context["page"]
    assert page.newer_after is None
    assert page.next_before == written[70].id

    second = client.get(LOG, {"action": "case.note_added", "before": page.next_before})
    assert _ids(second) == [e.id for e in reversed(written[20:70])]

    third = client.get(
        LOG, {"action": "case.note_added", "before": second.context["page"].next_before}
    )
    assert _ids(third) == [e.id for e in reversed(written[:20])]
    assert third.context["page"].next_before is None

    back = client.get(
        LOG, {"action": "case.note_added", "after": third.context["page"].newer_after}
    )
    assert _ids(back) == _ids(second)
    assert f"before={second.context['page'].next_before}" in second.content.decode()


def test_the_log_runs_a_bounded_number_of_queries(
    auditor: User, officer: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(80):
        audit_record(actor=officer, action="case.reassessed", target=("test.thing", str(n)))
    client = _client_for(auditor)
    client.get(LOG)  # warm the session and permission caches the same way for both runs

    with django_assert_max_num_queries(8):
        response = client.get(LOG, {"action": "case.reassessed", "actor": "officer"})
    assert len(_ids(response)) == 50


def test_the_verify_page_says_when_the_chain_was_never_verified(auditor: User) -> None:
    response = _client_for(auditor).get(VERIFY)

    assert response.status_code == 200
    assert 'data-testid="never-verified"' in response.content.decode()
    assert 'data-testid="verify-now"' in response.content.decode()


def test_an_auditor_verifies_the_chain_and_sees_the_result(
    auditor: User, entries: list[AuditEntry]
) -> None:
    client = _client_for(auditor)

    response = client.post(VERIFY, follow=True)

    assert response.status_code == 200
    verification = ChainVerification.objects.get()
    assert verification.ok
    assert verification.entries_checked == 3
    assert verification.actor == auditor
    body = response.content.decode()
    assert "The audit chain is intact." in body
    assert '<dd data-testid="entries-checked">3</dd>' in body
    assert AuditEntry.objects.latest("id").action == "audit.chain_verified"


def test_the_verify_page_names_the_first_bad_entry(
    auditor: User, entries: list[AuditEntry], tamper: Any
) -> None:
    tamper(
        "UPDATE compliance_auditentry SET actor_label = 'someone_else' WHERE id = %s",
        [entries[1].id],
    )

    response = _client_for(auditor).post(VERIFY, follow=True)

    body = response.content.decode()
    assert "The audit chain is broken." in body
    assert f"#{entries[1].id}</a>" in body
    assert "does not match its hash" in body
    assert not ChainVerification.objects.get().ok


def test_a_supervisor_sees_the_last_verification_but_cannot_run_one(
    supervisor: User, auditor: User, entries: list[AuditEntry]
) -> None:
    _client_for(auditor).post(VERIFY)
    client = _client_for(supervisor)

    page = client.get(VERIFY)
    assert page.status_code == 200
    assert 'data-testid="verification-result"' in page.content.decode()
    assert 'data-testid="verify-now"' not in page.content.decode()
    assert client.post(VERIFY).status_code == 403
    assert ChainVerification.objects.count() == 1


def test_verifying_needs_a_csrf_token(auditor: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(auditor)

    assert client.post(VERIFY).status_code == 403
    assert not ChainVerification.objects.exists()


def test_the_verify_page_runs_a_bounded_number_of_queries(
    auditor: User, entries: list[AuditEntry], django_assert_max_num_queries: Any
) -> None:
    client = _client_for(auditor)
    client.post(VERIFY)
    with django_assert_max_num_queries(7):
        assert client.get(VERIFY).status_code == 200


def test_the_pages_are_translated_into_chinese(auditor: User, entries: list[AuditEntry]) -> None:
    client = _client_for(auditor)
    client.cookies["portal_language"] = "zh-hans"

    assert "审计日志" in client.get(LOG).content.decode()
    assert "校验审计链" in client.get(VERIFY).content.decode()
