"""The inbox both intake paths share: store, enqueue after commit, claim by a state guard,
count attempts with a cap, and sweep what is still ``received``.

Feedback and upstream signals are rows that arrive, are committed, and are then worked on
by a job that takes the row's id (``intake.tasks.feedback_process``,
``intake.tasks.signal_process``). One ``Inbox`` per model holds the mechanics, so the two
paths cannot drift:

- ``send_on_commit`` / ``send``: the message goes after the commit; a broker that is down
  never fails the request (``enqueue_or_log``: a short retry policy, one log line with the
  task and the id only, never personal data) and the row waits for the sweep.
- ``process``: every run is counted in ``attempts`` by one conditional ``UPDATE … WHERE
  status = 'received'`` committed before the work (so a run that crashes still counts; the
  counter is capped at ``max_attempts + 1``, the column being a small integer). The row is
  then locked and re-checked: a repeated message, or one a concurrent delivery finished
  first, is skipped; a run past ``max_attempts`` gives up without doing the work.
- ``sweep``: rows still ``received`` after ``resend_after`` are sent again, oldest first,
  stopping at the first broker error; a row whose attempts are all used is given up
  without a message.

The model's contract: fields ``status``, ``received_at`` and ``attempts``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cached_property
from importlib import import_module
from typing import Generic, Protocol, TypeVar, cast

import kombu.exceptions
import redis.exceptions
from celery import Task
from django.db import models, transaction
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone

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


class _Counted(Protocol):
    attempts: int


Row = TypeVar("Row", bound=models.Model)
Result = TypeVar("Result")


class Inbox(Generic[Row]):
    """The received rows of ``model`` and the job ``task`` that works on them.

    ``task`` is the task's dotted path, resolved on first use (the tasks module imports
    the services that use the inbox). ``received`` is the status a row arrives in and
    leaves when processed; ``label`` names the rows in log lines.
    """

    def __init__(
        self,
        *,
        model: type[Row],
        task: str,
        received: str,
        label: str,
        max_attempts: int = 5,
        resend_after: timedelta = timedelta(seconds=30),
        batch_size: int = 500,
    ) -> None:
        self.model = model
        self.task_path = task
        self.received = received
        self.label = label
        self.max_attempts = max_attempts
        self.resend_after = resend_after
        self.batch_size = batch_size

    @cached_property
    def task(self) -> Task:
        module, name = self.task_path.rsplit(".", 1)
        return cast(Task, getattr(import_module(module), name))

    # --- sending --------------------------------------------------------------------------

    def send(self, object_id: int) -> bool:
        """Queue the job now; ``False`` (logged) when the broker cannot be reached."""
        return enqueue_or_log(self.task, object_id)

    def send_on_commit(self, object_id: int) -> None:
        """Queue the job once the caller's transaction commits (never for a rollback)."""
        transaction.on_commit(lambda: self.send(object_id))

    # --- processing -----------------------------------------------------------------------

    def count_attempt(self, object_id: int) -> bool:
        """Count one run of a row still ``received`` (committed on its own, capped at
        ``max_attempts + 1``); ``False`` when the row is no longer ``received``."""
        return bool(
            self.model._default_manager.filter(pk=object_id, status=self.received).update(
                attempts=Least(F("attempts") + 1, self.max_attempts + 1)
            )
        )

    def lock_received(self, object_id: int) -> Row | None:
        """The row, locked for the rest of the caller's transaction, if it is still
        ``received`` (re-checked under the lock: PostgreSQL re-evaluates the condition
        after waiting for a concurrent delivery)."""
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("lock_received must be called inside a transaction.")
        return (
            self.model._default_manager.select_for_update(of=("self",))
            .filter(pk=object_id, status=self.received)
            .first()
        )

    def exhausted(self, row: Row) -> bool:
        """Whether this run is past the last attempt allowed."""
        return cast(_Counted, row).attempts > self.max_attempts

    def process(
        self,
        object_id: int,
        *,
        work: Callable[[Row], Result],
        give_up: Callable[[Row], Result],
        skipped: Callable[[], Result],
    ) -> Result:
        """One run: count it, then in one transaction lock the row and ``work`` on it, or
        ``give_up`` on it when the run is past ``max_attempts``. ``skipped()`` when the row
        is no longer ``received`` (a repeated message, or a concurrent delivery was first).
        ``work`` and ``give_up`` must move the row out of ``received``."""
        if not self.count_attempt(object_id):
            return skipped()
        with transaction.atomic():
            row = self.lock_received(object_id)
            if row is None:
                return skipped()
            if self.exhausted(row):
                return give_up(row)
            return work(row)

    # --- the sweep ------------------------------------------------------------------------

    def sweep(
        self,
        *,
        give_up: Callable[[int], object],
        now: datetime | None = None,
        older_than: timedelta | None = None,
        batch_size: int | None = None,
    ) -> list[int]:
        """Send again the rows still ``received`` after ``older_than`` (``resend_after``),
        oldest first, at most ``batch_size`` (the inbox's by default); returns the ids
        sent. Stops at the first broker error (the next sweep tries again). A row whose
        attempts are all used (its runs crashed) is not sent: ``give_up(id)`` instead."""
        cutoff = (now or timezone.now()) - (self.resend_after if older_than is None else older_than)
        rows = list(
            self.model._default_manager.filter(status=self.received, received_at__lt=cutoff)
            .order_by("received_at")
            .values_list("pk", "attempts")[: batch_size or self.batch_size]
        )
        sent: list[int] = []
        for object_id, attempts in rows:
            if attempts >= self.max_attempts:
                give_up(object_id)
                continue
            if not self.send(object_id):
                break
            sent.append(object_id)
        if rows:
            logger.info("%s re-sent count=%d stuck=%d", self.label, len(sent), len(rows))
        return sent
