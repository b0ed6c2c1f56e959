"""Supervisors are told in the portal: SLA breaches, decisions to approve, rejections."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEntry
from cases.decisions.services import decision_propose, decision_reject
from cases.models import Case, Notification, NotificationKind
from cases.notifications import (
    notification_mark_read,
    notifications_for_user,
    notifications_mark_all_read,
)
from cases.tasks import cases_sla_sweep as sla_task
from tests.cases.conftest import MakeCase
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory

pytestmark = pytest.mark.django_db


def _breached_cases(n: int) -> list[Case]:
    return CaseFactory.create_batch(n, sla_due_at=timezone.now() - timedelta(minutes=5))


def _propose_override(officer: User, case: Case) -> Any:
    return decision_propose(
        actor=officer,
        case_id=case.pk,
        version=case.version,
        kind="override_limit",
        reason_code="IDENTITY_VERIFIED",
        justification="Verified by phone with the customer.",
        usable_limit="30000",  # above the approval threshold
    )


def test_the_beat_sweep_notifies_every_supervisor_once_per_breached_case(
    supervisor: User, officer: User, second_officer: User, django_assert_max_num_queries: Any
) -> None:
    second_supervisor = UserFactory(username="supervisor2", roles=[Role.SUPERVISOR])
    UserFactory(username="retired", roles=[Role.SUPERVISOR], is_active=False)
    cases = _breached_cases(3)

    assert sla_task.delay().get() == {"due_soon": 0, "breached": 3}

    notices = Notification.objects.filter(kind=NotificationKind.SLA_BREACHED)
    assert sorted(notices.values_list("recipient__username", "case_id")) == sorted(
        (username, case.pk) for username in ("supervisor", "supervisor2") for case in cases
    )
    notice = notices.filter(recipient=second_supervisor).first()
    assert notice is not None
    assert set(notice.data) == {"case", "priority_before", "priority"}
    assert not Notification.objects.filter(recipient__in=[officer, second_officer]).exists()

    # Re-running adds nothing, and the case a later run breaches gets its own notices.
    assert sla_task.delay().get() == {"due_soon": 0, "breached": 0}
    assert notices.count() == 6


def test_the_sweep_costs_a_bounded_number_of_queries_per_case(
    supervisor: User, django_assert_max_num_queries: Any
) -> None:
    UserFactory.create_batch(5, roles=[Role.SUPERVISOR])
    _breached_cases(10)
    # Per case: history, two events, the audit append, the notices; plus the batch's reads.
    with django_assert_max_num_queries(10 * 8 + 10):
        sla_task.delay().get()
    assert Notification.objects.count() == 60


def test_a_proposal_waiting_for_approval_notifies_the_other_supervisors(
    officer: User, supervisor: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer)

    decision = _propose_override(officer, case)

    notice = Notification.objects.get(kind=NotificationKind.DECISION_TO_APPROVE)
    assert (notice.recipient, notice.case_id, notice.data) == (
        supervisor,
        case.pk,
        {"decision": decision.pk},
    )
    assert notice.read_at is None


def test_a_rejection_notifies_the_proposer_and_settles_the_waiting_notices(
    officer: User, supervisor: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer)
    decision = _propose_override(officer, case)

    decision_reject(actor=supervisor, decision_id=decision.pk, comment="Call the customer first.")

    rejected = Notification.objects.get(kind=NotificationKind.DECISION_REJECTED)
    assert (rejected.recipient, rejected.case_id) == (officer, case.pk)
    assert "Call" not in str(rejected.data)  # the comment stays on the decision
    waiting = Notification.objects.get(kind=NotificationKind.DECISION_TO_APPROVE)
    assert waiting.read_at is not None

    # A new proposal on the same case brings the supervisor's notice back as unread.
    case.refresh_from_db()
    _propose_override(officer, case)
    waiting.refresh_from_db()
    assert waiting.read_at is None


def test_marking_read_is_the_recipients_own_and_not_audited(
    supervisor: User, officer: User
) -> None:
    _breached_cases(2)
    sla_task.delay().get()
    first, second = notifications_for_user(supervisor)
    audits = AuditEntry.objects.count()

    notification_mark_read(actor=supervisor, notification_id=first.pk)
    with pytest.raises(Notification.DoesNotExist):
        notification_mark_read(actor=officer, notification_id=second.pk)

    second.refresh_from_db()
    assert second.read_at is None
    assert notifications_mark_all_read(actor=supervisor) == 1
    assert notifications_mark_all_read(actor=supervisor) == 0
    assert AuditEntry.objects.count() == audits


def test_the_page_lists_newest_first_and_marks_read_by_post_only(
    client: Any, supervisor: User, officer: User
) -> None:
    older, newer = _breached_cases(2)
    sla_task.delay().get()
    Notification.objects.filter(case=older).update(created_at=timezone.now() - timedelta(hours=1))
    client.force_login(supervisor)

    page = client.get(reverse("cases:notifications"))

    assert page.status_code == 200
    listed = [n.case_id for n in page.context["notifications"]]
    assert listed == [newer.pk, older.pk]
    assert page.text.count('data-unread="true"') == 2
    assert reverse("cases:detail", args=[newer.pk]) in page.text
    assert 'data-testid="unread-badge">2<' in page.text

    notice = Notification.objects.get(case=newer)
    read_url = reverse("cases:notification_read", args=[notice.pk])
    assert client.get(read_url).status_code == 405
    assert client.post(read_url).status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert 'data-testid="unread-badge">1<' in client.get(reverse("cases:notifications")).text

    # "Mark read and open the case" goes on to the case.
    other = Notification.objects.get(case=older)
    assert f'data-testid="open-{other.pk}"' in client.get(reverse("cases:notifications")).text
    opened = client.post(reverse("cases:notification_read", args=[other.pk]), {"open": "1"})
    assert opened.url == reverse("cases:detail", args=[older.pk])
    other.refresh_from_db()
    assert other.read_at is not None

    client.force_login(officer)
    assert client.post(read_url).status_code == 404  # someone else's
    client.force_login(supervisor)
    client.post(reverse("cases:notifications_read_all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert 'data-testid="unread-badge"' not in client.get(reverse("cases:notifications")).text


def test_the_badge_costs_one_small_query_and_nothing_when_signed_out(
    client: Any, supervisor: User, django_assert_num_queries: Any
) -> None:
    from django.test import RequestFactory

    from portal.context_processors import portal

    _breached_cases(1)
    sla_task.delay().get()
    request = RequestFactory().get("/")
    request.user = supervisor
    supervisor.has_perm("cases.view_case")  # loaded for the navigation on every page
    context = portal(request)
    with django_assert_num_queries(1):
        assert str(context["unread_notifications"]) == "1"

    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert str(portal(request)["unread_notifications"]) == ""
    with django_assert_num_queries(0):
        portal(request)  # nothing is computed until a page shows it


def test_the_notifications_page_query_count_is_bounded(
    client: Any, supervisor: User, django_assert_max_num_queries: Any
) -> None:
    _breached_cases(30)
    sla_task.delay().get()
    client.force_login(supervisor)
    client.get(reverse("cases:notifications"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("cases:notifications"))
    assert len(response.context["notifications"]) == 30
