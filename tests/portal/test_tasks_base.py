"""The task base: transient errors are retried with backoff, anything else is not (in-process)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import redis.exceptions
from celery import Task, shared_task
from celery.signals import task_retry
from django.conf import settings
from django.db import OperationalError

import cases.tasks
import compliance.tasks
import intake.tasks
import scoring.tasks
from portal.tasks import MAX_RETRIES, PortalTask
from scoring.assessments import bulk
from scoring.assessments import services as jobs

# What the next runs of ``flaky`` raise, one exception per run; a run with none left succeeds.
PLANNED: list[Exception] = []
# ``request.retries`` of every run of ``flaky``.
RUNS: list[int] = []


@shared_task(base=PortalTask, bind=True, name="tests.portal.flaky")
def flaky(self: Task[Any, Any]) -> str:
    RUNS.append(self.request.retries)
    if PLANNED:
        raise PLANNED.pop(0)
    return "done"


@pytest.fixture(autouse=True)
def _fresh_plan() -> Iterator[None]:
    PLANNED.clear()
    RUNS.clear()
    yield
    PLANNED.clear()


@pytest.fixture
def countdowns(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The delay before each retry, with the jitter pinned to its ceiling (it draws the delay
    at random from 0 up to the ceiling)."""
    monkeypatch.setattr(random, "randrange", lambda stop: stop - 1)
    seen: list[float] = []

    def record(reason: Any = None, **kwargs: Any) -> None:
        seen.append(reason.when)

    task_retry.connect(record, weak=False)
    yield seen
    task_retry.disconnect(record)


def test_a_lost_database_connection_is_retried_with_exponential_backoff(
    countdowns: list[float],
) -> None:
    PLANNED.extend(OperationalError("server closed the connection unexpectedly") for _ in range(3))

    result = flaky.apply()

    assert result.get() == "done"
    assert RUNS == [0, 1, 2, 3]
    assert countdowns == [2, 4, 8]


def test_an_unreachable_redis_is_retried_too(countdowns: list[float]) -> None:
    PLANNED.append(redis.exceptions.ConnectionError("Connection refused"))

    assert flaky.apply().get() == "done"
    assert RUNS == [0, 1]
    assert countdowns == [2]


def test_the_task_gives_up_after_the_last_retry_with_the_transient_error_itself(
    countdowns: list[float],
) -> None:
    PLANNED.extend(OperationalError("the database is down") for _ in range(MAX_RETRIES + 1))

    result = flaky.apply()

    assert result.failed()
    assert isinstance(result.result, OperationalError)
    assert list(range(MAX_RETRIES + 1)) == RUNS
    assert countdowns == [2, 4, 8, 16, 32]


def test_the_backoff_is_capped_at_two_minutes() -> None:
    from celery.utils.time import get_exponential_backoff_interval

    ceilings = [
        get_exponential_backoff_interval(
            factor=PortalTask.retry_backoff,
            retries=n,
            maximum=PortalTask.retry_backoff_max,
            full_jitter=False,
        )
        for n in (0, 1, 2, 3, 6, 20)
    ]
    assert ceilings == [2, 4, 8, 16, 120, 120]
    assert PortalTask.retry_jitter is True


def test_a_domain_error_is_not_retried(countdowns: list[float]) -> None:
    PLANNED.append(ValueError("the scorecard has no bins"))

    result = flaky.apply()

    assert result.failed()
    assert isinstance(result.result, ValueError)
    assert RUNS == [0]
    assert countdowns == []


def _project_tasks(*modules: ModuleType) -> list[Task[Any, Any]]:
    return [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, Task) and value.name.startswith(module.__name__)
    ]


def test_every_project_task_uses_the_base_and_is_acknowledged_late_with_time_limits() -> None:
    tasks = _project_tasks(scoring.tasks, cases.tasks, intake.tasks, compliance.tasks)

    assert len(tasks) == 12
    for task in tasks:
        assert isinstance(task, PortalTask), task.name
        assert task.acks_late is True, task.name
        assert task.reject_on_worker_lost is True, task.name
        assert task.max_retries == MAX_RETRIES, task.name
        assert task.soft_time_limit is not None, task.name
        assert task.time_limit is not None, task.name
        assert task.soft_time_limit < task.time_limit, task.name


def test_an_assessment_and_a_chunk_keep_their_own_time_limits() -> None:
    assert scoring.tasks.assessment_run.soft_time_limit == jobs.RUN_SOFT_TIME_LIMIT
    assert scoring.tasks.bulk_chunk_run.time_limit == bulk.CHUNK_TIME_LIMIT
    assert cases.tasks.cases_sla_sweep.time_limit == settings.CELERY_TASK_TIME_LIMIT
