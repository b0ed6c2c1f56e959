"""Nightly detection opens one case per shown-but-unusable line's cause, and never twice."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from audit.models import AuditEntry
from cases.models import Case, CaseCategory, CaseEvent, CaseSource, Priority
from cases.policy import detected_case
from cases.services.detection import cases_detect_unusable
from cases.tasks import DETECTION_ACTOR
from cases.tasks import cases_detect_unusable as detection_task
from scoring.models import CreditLineState, ReasonCode
from tests.factories.scoring import BlockFactory, CreditLineFactory

pytestmark = pytest.mark.django_db


def _line(*, usable: str = "0", state: str = CreditLineState.ACTIVE, blocks: tuple = ()):
    line = CreditLineFactory(
        state=state, granted_limit=Decimal("20000"), usable_limit=Decimal(usable)
    )
    for code in blocks:
        BlockFactory(credit_line=line, reason_code=code)
    return line


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ([], ("", CaseCategory.LIMIT_UNUSABLE, Priority.P4)),
        ([ReasonCode.KYC_EXPIRED], (ReasonCode.KYC_EXPIRED, CaseCategory.LIMIT_UNUSABLE, 3)),
        (
            [ReasonCode.KYC_EXPIRED, ReasonCode.SYSTEM_ERROR],
            (ReasonCode.SYSTEM_ERROR, CaseCategory.PAYMENT_FAILED, Priority.P1),
        ),
        (
            [ReasonCode.ACTIVATION_DECLINED],
            (ReasonCode.ACTIVATION_DECLINED, CaseCategory.ACTIVATION_FAILED, Priority.P2),
        ),
    ],
)
def test_the_most_urgent_cause_sets_category_and_priority(codes, expected) -> None:
    assert detected_case(codes) == expected


def test_detection_opens_a_case_per_unusable_line_with_the_cause_it_suggests() -> None:
    blocked = _line(usable="5000", blocks=(ReasonCode.DEVICE_ANOMALY,))
    zero = _line(usable="0")
    _line(usable="20000")  # usable: nothing to do
    _line(usable="0", state=CreditLineState.CLOSED)  # closed: not shown

    report = cases_detect_unusable(actor=DETECTION_ACTOR)

    assert (report.scanned, report.opened, report.attached) == (2, 2, 0)
    device = Case.objects.get(credit_line=blocked)
    assert (device.category, device.priority, device.reason_code, device.source) == (
        CaseCategory.LIMIT_UNUSABLE,
        Priority.P2,
        ReasonCode.DEVICE_ANOMALY,
        CaseSource.DETECTION,
    )
    assert Case.objects.get(credit_line=zero).priority == Priority.P4
    opened = CaseEvent.objects.filter(case=device, kind="opened").get()
    assert opened.data["reason_codes"] == [ReasonCode.DEVICE_ANOMALY]
    assert opened.actor_label == "system:cases_detect_unusable"
    (run,) = AuditEntry.objects.filter(action="cases.detection_run")
    assert run.data == {"scanned": 2, "opened": 2, "attached": 0}


def test_running_detection_twice_opens_nothing_twice() -> None:
    for _ in range(3):
        _line(usable="0", blocks=(ReasonCode.THIN_FILE,))

    first = cases_detect_unusable(actor=DETECTION_ACTOR, batch_size=2)
    second = cases_detect_unusable(actor=DETECTION_ACTOR, batch_size=2)

    assert first.opened == 3
    assert (second.scanned, second.opened, second.attached) == (3, 0, 0)
    assert Case.objects.count() == 3


def test_a_customer_with_two_unusable_lines_of_one_cause_gets_one_case() -> None:
    first = _line(usable="0", blocks=(ReasonCode.KYC_EXPIRED,))
    CreditLineFactory(
        customer=first.customer,
        product="cash_line" if first.product != "cash_line" else "paylater",
        state=CreditLineState.ACTIVE,
        granted_limit=Decimal("5000"),
        usable_limit=Decimal("0"),
    )

    report = cases_detect_unusable(actor=DETECTION_ACTOR)

    assert report.opened == 1
    assert Case.objects.filter(customer=first.customer).count() == 1


def test_detection_runs_nightly_from_beat_and_from_a_command() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["cases-detect-unusable"]
    assert entry["task"] == detection_task.name
    _line(usable="0")

    out = StringIO()
    call_command("detect_unusable_lines", stdout=out)

    assert "opened 1 cases" in out.getvalue()
    assert detection_task.delay().get() == {"scanned": 1, "opened": 0, "attached": 0}
