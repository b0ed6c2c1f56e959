"""The base of every Celery task in the project: retry only what is transient, with backoff.

Use it as ``@shared_task(base=PortalTask)``; the task body is then one service call, with
no ``try``/``self.retry`` of its own. What the base gives every task:

* **Retries for transient errors only** (``TRANSIENT_ERRORS``: a lost database connection,
  Redis or the broker unreachable), by Celery's ``autoretry_for``, at most ``MAX_RETRIES``
  times, after 2, 4, 8, 16, 32 … seconds (at most ``BACKOFF_MAX_SECONDS``), each drawn at
  random below that ceiling (``retry_jitter``) so tasks that failed together do not all
  come back together. Anything else (a domain error, a bug) is not retried: the service
  records its own failures on the job's row, and a bug fails loudly. Past the last retry
  the transient error itself is raised, and the job's sweeper finds the row.
* **``acks_late`` and ``reject_on_worker_lost``**: the message is acknowledged after the
  work, and given back to the broker when the worker dies mid-task, so it runs again. That
  is safe because every task here is idempotent by a state guard in its service (a second
  delivery finds nothing to claim); a task that is not must pass
  ``reject_on_worker_lost=False``.
* **Soft and hard time limits**, the worker-wide ``CELERY_TASK_SOFT_TIME_LIMIT`` and
  ``CELERY_TASK_TIME_LIMIT`` unless the task names its own (an assessment, a bulk chunk).

Connections after a failed or retried task are closed by ``portal.celery``.
"""

from __future__ import annotations

from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import Task
from django.conf import settings
from django.db import InterfaceError, OperationalError

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    kombu.exceptions.OperationalError,
)
MAX_RETRIES = 5
BACKOFF_BASE_SECONDS = 2
BACKOFF_MAX_SECONDS = 120


class PortalTask(Task[Any, Any]):
    """A task that retries transient errors with backoff and is redelivered if its worker
    dies (see the module's docstring)."""

    autoretry_for = TRANSIENT_ERRORS
    max_retries = MAX_RETRIES
    retry_backoff = BACKOFF_BASE_SECONDS
    retry_backoff_max = BACKOFF_MAX_SECONDS
    retry_jitter = True

    acks_late = True
    reject_on_worker_lost = True

    soft_time_limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
    time_limit = settings.CELERY_TASK_TIME_LIMIT
