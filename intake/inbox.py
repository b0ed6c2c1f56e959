"""Sending a job whose row is already stored: a broker that is down never fails the request.

Intake (feedback) and upstream signals both store first and enqueue after the commit; when
the broker (or Redis) cannot be reached the row stays ``received`` and the intake sweep
sends it later. Both use ``enqueue_or_log``: the same short retry policy, the same errors,
one log line with the task and the id only (never personal data).
"""

from __future__ import annotations

import logging

import kombu.exceptions
import redis.exceptions
from celery import Task

logger = logging.getLogger(__name__)

# The broker (or Redis, for caches and rate limits) being unreachable. ``OSError`` covers a
# refused or reset socket and ``ConnectionError``.
BROKER_ERRORS: tuple[type[Exception], ...] = (
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)

# Publish at most three times within ~0.2 s, then give up: the sweeper sends it later. (The
# default without retries waits for the connect timeout, several seconds per request.)
ENQUEUE_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}


def enqueue_or_log(task: Task, object_id: int) -> bool:
    """``task.apply_async((object_id,))`` with the short retry policy; ``False`` (logged:
    the task's name, the id and the error's class) when the broker cannot be reached."""
    try:
        task.apply_async((object_id,), retry=True, retry_policy=ENQUEUE_RETRY_POLICY)
    except BROKER_ERRORS as exc:
        logger.warning(
            "%s %s stored but not queued (%s); the sweeper will send it again",
            task.name,
            object_id,
            type(exc).__name__,
        )
        return False
    return True
