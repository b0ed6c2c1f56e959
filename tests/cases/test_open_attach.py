from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from audit.models import AuditEntry
from cases.models import Case, CaseCategory, CaseEventKind, CaseSource, CaseStatus, Priority
from cases.services.opening import case_open_or_attach
from portal.permissions import SystemActor
from tests.factories.scoring import CreditLineFactory, CustomerFactory

DETECTION = SystemActor("cases.detection")


@pytest.mark.django_db
def test_a_first_event_opens_a_case_due_by_the_sla_policy():
    line = CreditLineFactory()
    case, created = case_open_or_attach(
        actor=DETECTION,
        customer_id=line.customer_id,
        category=CaseCategory.LIMIT_UNUSABLE,
        source=CaseSource.DETECTION,
        credit_line_id=line.pk,
        reason_code="DEVICE_ANOMALY",
        priority=Priority.P2,
    )
    assert created
    assert (case.status, case.priority, case.assignee_id) == (CaseStatus.NEW, 2, None)
    assert case.sla_due_at - case.opened_at == timedelta(hours=24)
    assert list(case.events.values_list("kind", flat=True)) == [CaseEventKind.OPENED]
    entry = AuditEntry.objects.get(action="case.opened")
    assert (entry.target_id, entry.actor_label) == (str(case.pk), "system:cases.detection")
    assert case.history.latest().history_change_reason == "case.opened by system:cases.detection"


@pytest.mark.django_db
def test_the_sla_hours_come_from_settings(settings):
    settings.CASES_SLA_HOURS = {"complaint": {3: 10}}
    customer = CustomerFactory()
    case, _ = case_open_or_attach(
        actor=DETECTION,
        customer_id=customer.pk,
        category=CaseCategory.COMPLAINT,
        source=CaseSource.FEEDBACK,
    )
    assert case.sla_due_at - case.opened_at == timedelta(hours=10)


@pytest.mark.django_db
def test_a_second_event_attaches_to_the_open_case_and_raises_its_priority():
    line = CreditLineFactory()
    first, _ = case_open_or_attach(
        actor=DETECTION,
        customer_id=line.customer_id,
        category=CaseCategory.LIMIT_UNUSABLE,
        source=CaseSource.DETECTION,
        credit_line_id=line.pk,
        priority=Priority.P3,
    )
    second, created = case_open_or_attach(
        actor=SystemActor("signals"),
        customer_id=line.customer_id,
        category=CaseCategory.LIMIT_UNUSABLE,
        source=CaseSource.SIGNAL,
        priority=Priority.P1,
        event={"signal": 7, "kind": "payment_declined"},
    )
    assert not created
    assert second.pk == first.pk
    second.refresh_from_db()
    assert (second.priority, second.version) == (1, 2)
    assert second.sla_due_at == second.opened_at + timedelta(hours=4)
    kinds = list(second.events.order_by("id").values_list("kind", "data"))
    assert kinds[-1] == (
        CaseEventKind.SIGNAL,
        {"source": "signal", "reason_code": "", "signal": 7, "kind": "payment_declined"},
    )
    assert AuditEntry.objects.filter(action="case.attached", target_id=str(first.pk)).count() == 1
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_a_less_urgent_event_leaves_the_priority_alone():
    customer = CustomerFactory()
    args = {"customer_id": customer.pk, "category": CaseCategory.COMPLAINT}
    case_open_or_attach(actor=DETECTION, source=CaseSource.FEEDBACK, priority=2, **args)
    case, created = case_open_or_attach(
        actor=DETECTION, source=CaseSource.FEEDBACK, priority=4, **args
    )
    case.refresh_from_db()
    assert not created
    assert (case.priority, case.version) == (2, 1)
    assert case.events.order_by("-id").first().kind == CaseEventKind.FEEDBACK


@pytest.mark.django_db
def test_a_closed_case_does_not_take_new_events():
    customer = CustomerFactory()
    args = {"customer_id": customer.pk, "category": CaseCategory.COMPLAINT}
    old, _ = case_open_or_attach(actor=DETECTION, source=CaseSource.FEEDBACK, **args)
    Case.objects.filter(pk=old.pk).update(status=CaseStatus.CLOSED)
    new, created = case_open_or_attach(actor=DETECTION, source=CaseSource.FEEDBACK, **args)
    assert created
    assert new.pk != old.pk


@pytest.mark.django_db
def test_bad_input_is_refused_and_nothing_is_created():
    line = CreditLineFactory()
    other = CustomerFactory()
    with pytest.raises(ValidationError) as excinfo:
        case_open_or_attach(
            actor=DETECTION,
            customer_id=other.pk,
            category="nonsense",
            source=CaseSource.SIGNAL,
            credit_line_id=line.pk,
            reason_code="MADE_UP",
        )
    assert set(excinfo.value.message_dict) == {"category", "credit_line", "reason_code"}
    with pytest.raises(ValueError, match="personal data"):
        case_open_or_attach(
            actor=DETECTION,
            customer_id=other.pk,
            category=CaseCategory.COMPLAINT,
            source=CaseSource.FEEDBACK,
            event={"phone": "13900000000"},
        )
    assert not Case.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_simultaneous_events_for_one_customer_open_one_case():
    customer = CustomerFactory()
    barrier = threading.Barrier(8)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            barrier.wait()
            case, created = case_open_or_attach(
                actor=DETECTION,
                customer_id=customer.pk,
                category=CaseCategory.PAYMENT_FAILED,
                source=CaseSource.SIGNAL,
            )
            results.append((case.pk, created))
        except BaseException as exc:  # noqa: BLE001  (a thread's error, re-raised in the main thread)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    case = Case.objects.get()
    assert case.events.count() == 8
