"""The timeline's history changes read as the auditor's history does: local times, users by
username, translated choices and yes/no, personal fields masked; the priority through
translation. One query resolves every username on the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from accounts.roles import Role
from audit.history_rows import save_with_history
from cases.models import Case, CaseEventKind, Priority
from cases.selectors.timeline import _changes, _history_part, case_timeline
from cases.services.reassign import case_reassign
from cases.tasks import cases_sla_sweep as sla_task
from compliance.history import selectors as history
from portal.permissions import SystemActor
from scoring.models import Customer
from tests.cases.conftest import MakeCase
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory
from tests.factories.scoring import CustomerFactory

pytestmark = pytest.mark.django_db


def _shown(case: Case) -> dict[str, tuple[str, str]]:
    return {c.field: (c.old, c.new) for item in case_timeline(case=case) for c in item.changes}


def test_a_reassignment_shows_the_officer_status_label_and_local_time(
    supervisor: User, officer: User, second_officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer)

    case_reassign(actor=supervisor, case_ids=[case.pk], assignee_id=second_officer.pk)

    case.refresh_from_db()
    shown = _shown(case)
    assert shown["assignee"] == ("officer", "officer2")
    local = timezone.localtime(case.assigned_at).strftime("%Y-%m-%d %H:%M:%S")
    assert shown["assigned_at"][1] == local
    assert str(timezone.localtime(case.assigned_at).utcoffset()) == "8:00:00"  # Asia/Shanghai


def test_a_utc_time_is_shown_in_shanghai_time(officer: User, make_case: MakeCase) -> None:
    case = make_case(assignee=officer)
    case.sla_due_at = datetime(2030, 1, 1, 20, 30, tzinfo=UTC)
    save_with_history(case, actor=officer, reason="test", fields=["sla_due_at"])

    assert _shown(case)["sla_due_at"][1] == "2030-01-02 04:30:00"


def test_choices_show_their_translated_label(officer: User, make_case: MakeCase) -> None:
    case = make_case(assignee=officer)
    case.priority = 1
    save_with_history(case, actor=officer, reason="test", fields=["priority"])

    assert _shown(case)["priority"] == ("P3 (normal)", "P1 (urgent)")
    with translation.override("zh-hans"):
        assert _shown(case)["priority"] == (str(Priority.P3.label), str(Priority.P1.label))


def test_the_timeline_shows_the_same_values_as_the_auditors_history(
    supervisor: User, officer: User, second_officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer)
    case_reassign(actor=supervisor, case_ids=[case.pk], assignee_id=second_officer.pk)

    audited = history.history_page("case", case.pk).versions[0]

    timeline = _shown(case)
    audit = {c.field: (c.old, c.new) for c in audited.changes}
    assert {"assignee", "assigned_at"} <= set(timeline) & set(audit)
    for field in set(timeline) & set(audit):  # the timeline leaves out bookkeeping columns
        assert timeline[field] == audit[field]


@pytest.mark.parametrize("reassignments", [1, 12])
def test_usernames_cost_one_query_for_the_whole_timeline(
    supervisor: User,
    make_case: MakeCase,
    reassignments: int,
    django_assert_max_num_queries: Any,
) -> None:
    officers = UserFactory.create_batch(3, roles=[Role.RISK_OFFICER])
    case = make_case(assignee=officers[0])
    for n in range(reassignments):
        case_reassign(actor=supervisor, case_ids=[case.pk], assignee_id=officers[(n + 1) % 3].pk)
    case.refresh_from_db()

    with django_assert_max_num_queries(3):  # events, the history union, the usernames
        timeline = case_timeline(case=case)

    shown = [c.new for item in timeline for c in item.changes if c.field == "assignee"]
    assert len(shown) == reassignments
    assert set(shown) <= {o.username for o in officers}


def test_yes_no_and_personal_fields_on_the_timeline() -> None:
    customer = CustomerFactory(phone="13912345678", consent_financial_info=False)
    since = timezone.now() - timedelta(minutes=1)
    customer.phone = "13800001111"
    customer.consent_financial_info = True
    customer.consent_at = timezone.now()
    save_with_history(
        customer,
        actor=SystemActor("correction"),
        reason="fix",
        fields=["phone", "consent_financial_info", "consent_at"],
    )
    rows = [r for r in _history_part(Customer, "customer", Q(id=customer.pk), since) if r["t_prev"]]

    changes = {c.field: c for c in _changes(Customer, rows[-1]["t_snap"], rows[-1]["t_prev"])}

    assert (changes["consent_financial_info"].old, changes["consent_financial_info"].new) == (
        "no",
        "yes",
    )
    assert (changes["phone"].old, changes["phone"].new) == ("(changed)", "(changed)")
    assert changes["phone"].personal
    assert "phone_hash" not in changes or changes["phone_hash"].new == "(changed)"


def test_the_case_page_shows_usernames_and_dashes_for_empty_values(
    client: Any, supervisor: User, officer: User, make_case: MakeCase
) -> None:
    case = make_case()
    case_reassign(actor=supervisor, case_ids=[case.pk], assignee_id=officer.pk)
    client.force_login(officer)

    page = client.get(reverse("cases:detail", args=[case.pk])).text

    assert "Assignee: – → officer" in page
    assert f"→ #{officer.pk}<" not in page


def _fake_gettext(real: Any) -> Any:
    def gettext(message: str) -> str:
        if message == "P%(before)s → P%(after)s":
            return "优先级 %(before)s → %(after)s"
        return str(real(message))

    return gettext


def test_the_priority_change_on_the_timeline_and_in_notifications_is_translated(
    client: Any, supervisor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CaseFactory(sla_due_at=timezone.now() - timedelta(minutes=5), priority=3)
    sla_task.delay().get()
    assert case.events.filter(kind=CaseEventKind.ESCALATED).exists()
    client.force_login(supervisor)

    timeline = client.get(reverse("cases:detail", args=[case.pk])).text
    notices = client.get(reverse("cases:notifications")).text
    assert "P3 → P2" in timeline
    assert "P3 → P2" in notices

    monkeypatch.setattr(translation, "gettext", _fake_gettext(translation.gettext))
    assert "优先级 3 → 2" in client.get(reverse("cases:detail", args=[case.pk])).text
    assert "优先级 3 → 2" in client.get(reverse("cases:notifications")).text
