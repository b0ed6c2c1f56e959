"""Workers reuse their database sessions between tasks, and drop them when Django's rules
or a failed task say the session may be unusable."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from intake.models import Feedback, FeedbackStatus
from portal.celery import close_connections_after_failure, close_unusable_connections
from tests.conftest import WorkerProcess
from tests.scoring.test_worker_jobs import no_worker, wait_until

__all__ = ["no_worker"]  # the fixture, imported for this module's tests


def _task(*, eager: bool) -> Any:
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


def _sessions_started() -> int:
    """Sessions ever opened on the test database (PostgreSQL counts them at connect time
    and reports them when the backend next flushes its statistics, at the latest on exit)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


@pytest.mark.worker
def test_a_worker_runs_many_jobs_on_one_database_session(
    no_worker: Callable[..., WorkerProcess], settings: Any
) -> None:
    settings.INTAKE_RATE_SUBMIT = "1000/m"
    client = APIClient()
    for n in range(30):
        response = client.post(
            "/api/v1/feedback/",
            {
                "kind": "cannot_activate",
                "name": "访客",
                "phone": f"1372000{n:04d}",
                "description": "无法激活。",
                "consent": True,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
    before = _sessions_started()

    worker = no_worker(concurrency=1)
    wait_until(
        lambda: not Feedback.objects.filter(status=FeedbackStatus.RECEIVED).exists(),
        timeout=60,
        what="the 30 jobs",
    )
    worker.stop()  # its sessions end, so PostgreSQL has reported every one of them
    time.sleep(0.5)

    assert Feedback.objects.filter(status=FeedbackStatus.TRIAGE).count() == 30
    # One pool process, one session (two allowed for a health-check reconnect), where a
    # session per job would have opened 30.
    assert _sessions_started() - before <= 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("state", ["FAILURE", "RETRY"])
def test_a_task_that_did_not_succeed_leaves_no_session_behind(state: str) -> None:
    connection.ensure_connection()
    close_connections_after_failure(sender=_task(eager=False), state=state)
    assert connection.connection is None


@pytest.mark.django_db(transaction=True)
def test_a_task_that_succeeded_keeps_its_session() -> None:
    connection.ensure_connection()
    session = connection.connection
    close_connections_after_failure(sender=_task(eager=False), state="SUCCESS")
    close_unusable_connections(sender=_task(eager=False))
    assert connection.connection is session


@pytest.mark.django_db(transaction=True)
def test_a_session_past_its_age_is_replaced_before_the_next_task() -> None:
    connection.ensure_connection()
    connection.close_at = time.monotonic() - 1  # CONN_MAX_AGE has passed
    close_unusable_connections(sender=_task(eager=False))
    assert connection.connection is None


@pytest.mark.django_db(transaction=True)
def test_eager_tasks_leave_the_callers_session_alone() -> None:
    connection.ensure_connection()
    session = connection.connection
    connection.close_at = time.monotonic() - 1
    close_unusable_connections(sender=_task(eager=True))
    close_connections_after_failure(sender=_task(eager=True), state="FAILURE")
    assert connection.connection is session
