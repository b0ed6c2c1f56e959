"""Every way a record changes leaves a history row that says who acted and why: a page's
form, the API, a Celery job, a bulk operation and a management command. A person is the
row's ``history_user``; the system is named in its change reason (``… by system:<job>``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import Case, Decision, Note
from compliance.history import selectors as history
from scoring.assessments import bulk
from scoring.assessments import services as jobs
from scoring.models import Assessment, AssessmentStatus, Block, BulkJob, BulkJobStatus, Customer
from tests.cases.conftest import make_case
from tests.factories.scoring import CreditLineFactory

pytestmark = pytest.mark.django_db

__all__ = ["make_case"]  # a fixture shared with the cases tests


def _latest(model: Any, pk: int) -> Any:
    return model.history.filter(id=pk).order_by("-history_date", "-history_id").first()


def _assert_person(row: Any, user: User) -> None:
    assert row is not None
    assert row.history_user_id == user.pk
    assert row.history_change_reason


def _assert_system(row: Any, job: str) -> None:
    assert row is not None
    assert row.history_user_id is None
    assert f"by system:{job}" in row.history_change_reason


def test_a_note_written_on_the_case_page(officer: User, make_case: Callable[..., Case]) -> None:
    case = make_case(assignee=officer)
    client = Client()
    client.force_login(officer)
    response = client.post(
        f"/cases/{case.pk}/notes/", {"body": "Called the customer.", "version": case.version}
    )
    assert response.status_code == 302
    note = Note.objects.get(case=case)
    _assert_person(_latest(Note, note.pk), officer)
    _assert_person(_latest(Case, case.pk), officer)


def test_a_block_lifted_by_a_decision_on_the_case_page(
    officer: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(assignee=officer, blocks=["DEVICE_ANOMALY"])
    block = Block.objects.get(credit_line=case.credit_line)
    client = Client()
    client.force_login(officer)
    response = client.post(
        f"/cases/{case.pk}/decide/",
        {
            "version": case.version,
            "kind": "lift_block",
            "reason_code": "ANOMALY_EXPLAINED",
            "justification": "New phone, confirmed by call.",
            "blocks": [block.pk],
        },
    )
    assert response.status_code == 302
    decision = Decision.objects.get(case=case)
    _assert_person(_latest(Decision, decision.pk), officer)
    assert decision.state == "applied"
    block.refresh_from_db()
    assert block.lifted_at is not None
    lifted = _latest(Block, block.pk)
    _assert_person(lifted, officer)
    assert lifted.history_change_reason.startswith("block.lifted")


def test_a_note_and_a_decision_through_the_api(
    officer: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(assignee=officer, blocks=["THIN_FILE"])
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=officer)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api.post(
        f"/api/v1/cases/{case.pk}/notes/",
        {"body": "Documents requested.", "version": case.version},
        format="json",
    )
    assert response.status_code == 201, response.json()
    _assert_person(_latest(Note, response.json()["id"]), officer)

    case.refresh_from_db()
    response = api.post(
        f"/api/v1/cases/{case.pk}/decisions/",
        {
            "version": case.version,
            "kind": "keep_block",
            "reason_code": "RISK_CONFIRMED",
            "justification": "File still too thin.",
            "blocks": list(
                Block.objects.filter(credit_line=case.credit_line).values_list("pk", flat=True)
            ),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    _assert_person(_latest(Decision, response.json()["id"]), officer)


def test_an_assessment_run_by_the_job_names_the_system(
    officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    line = CreditLineFactory()
    with django_capture_on_commit_callbacks(execute=True):  # the Celery task, in-process
        assessment = jobs.assessment_request(
            actor=officer, customer_id=line.customer_id, trigger="officer"
        )
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUCCEEDED

    rows = list(Assessment.history.filter(id=assessment.pk).order_by("history_date", "history_id"))
    assert len(rows) >= 3  # requested, claimed (running), succeeded
    _assert_person(rows[0], officer)
    for row in rows[1:]:
        _assert_system(row, "assessment_run")
    version = history.history_page("assessment", assessment.pk).versions[0]
    assert version.actor == "system:assessment_run"


def test_a_bulk_reassessment_writes_history_rows_through_its_copy_path(
    supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    customers = [CreditLineFactory().customer_id for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk.bulk_job_start(actor=supervisor, filters={})
    job.refresh_from_db()
    assert job.status == BulkJobStatus.FINISHED, job.status
    _assert_person(BulkJob.history.filter(id=job.pk).order_by("history_id").first(), supervisor)

    written = Assessment.objects.filter(bulk_job=job, customer_id__in=customers)
    assert written.count() == 3
    for assessment in written:
        row = _latest(Assessment, assessment.pk)
        assert row.history_type == "+"
        _assert_system(row, "bulk_chunk_run")
        assert f"job {job.pk}" in row.history_change_reason


def test_the_nightly_detection_command_names_the_system(db: None) -> None:
    line = CreditLineFactory(usable_limit="0.00")
    call_command("detect_unusable_lines", stdout=open("/dev/null", "w"))  # noqa: SIM115
    case = Case.objects.get(credit_line=line)
    _assert_system(_latest(Case, case.pk), "cases_detect_unusable")


def test_the_demo_seed_command_writes_history_rows_without_a_user(db: None) -> None:
    call_command("seed_demo", customers=3, seed=4242, stdout=open("/dev/null", "w"))  # noqa: SIM115
    customers = Customer.objects.filter(pk__in=Customer.history.values("id"))
    assert customers.count() >= 3
    rows = Customer.history.filter(history_user__isnull=True)
    assert rows.count() >= 3
    for row in rows:
        _assert_system(row, "seed_demo")
