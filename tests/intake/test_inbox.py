"""The inbox both intake paths share (``intake.inbox.Inbox``): enqueue after commit, claim by
the ``received`` guard, count attempts with a cap, and the sweep that re-sends or gives up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, cast

import kombu.exceptions
import pytest
from django.db import transaction
from django.utils import timezone

from intake.feedback.processing import FEEDBACK_INBOX
from intake.inbox import ENQUEUE_RETRY_POLICY, Inbox
from intake.models import Feedback, FeedbackStatus, SignalStatus
from intake.upstream.services import SIGNAL_INBOX
from tests.factories.cases import FeedbackFactory

pytestmark = pytest.mark.django_db


class RecordingTask:
    """Stands in for a Celery task: records what it is sent, or fails like a broker that is
    down (``broken``). Resolved by the inbox from its dotted path, as real tasks are."""

    name = "tests.recording_task"

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.broken = False
        self.options: list[dict[str, Any]] = []

    def apply_async(self, args: tuple[int], **options: Any) -> None:
        if self.broken:
            raise kombu.exceptions.OperationalError("connection refused")
        self.options.append(options)
        self.sent.append(args[0])


TASK = RecordingTask()


@pytest.fixture
def task() -> Iterator[RecordingTask]:
    TASK.sent.clear()
    TASK.options.clear()
    TASK.broken = False
    yield TASK
    TASK.broken = False


@pytest.fixture
def inbox(task: RecordingTask) -> Inbox[Feedback]:
    return Inbox(
        model=Feedback,
        task=f"{__name__}.TASK",
        received=FeedbackStatus.RECEIVED,
        label="test rows",
        max_attempts=3,
        resend_after=timedelta(seconds=30),
        batch_size=10,
    )


def _row(*, age: timedelta = timedelta(minutes=2), **fields: Any) -> Feedback:
    return cast(Feedback, FeedbackFactory(received_at=timezone.now() - age, **fields))


def _attempts(row: Feedback) -> int:
    row.refresh_from_db(fields=["attempts"])
    return row.attempts


# --- sending ---------------------------------------------------------------------------------


def test_a_row_is_sent_with_the_short_retry_policy(
    inbox: Inbox[Feedback], task: RecordingTask
) -> None:
    assert inbox.send(41) is True

    assert task.sent == [41]
    assert task.options == [{"retry": True, "retry_policy": ENQUEUE_RETRY_POLICY}]


def test_a_broker_that_is_down_is_logged_with_the_task_and_id_only(
    inbox: Inbox[Feedback], task: RecordingTask, caplog: pytest.LogCaptureFixture
) -> None:
    task.broken = True

    with caplog.at_level("WARNING", logger="intake.inbox"):
        assert inbox.send(42) is False

    assert caplog.messages == [
        (
            "tests.recording_task 42 stored but not queued (OperationalError); "
            "the sweeper will send it again"
        )
    ]


def test_the_message_goes_only_once_the_row_is_committed(
    inbox: Inbox[Feedback], task: RecordingTask, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        inbox.send_on_commit(7)
        assert task.sent == []  # not before the commit

    assert task.sent == [7]


def test_a_rolled_back_row_is_never_sent(
    inbox: Inbox[Feedback], task: RecordingTask, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                inbox.send_on_commit(8)
                raise ValueError("rolled back")
        except ValueError:
            pass

    assert callbacks == []
    assert task.sent == []


# --- processing ------------------------------------------------------------------------------


def test_a_run_works_on_the_locked_row_and_counts_its_attempt(inbox: Inbox[Feedback]) -> None:
    row = _row()
    seen: list[tuple[int, int]] = []

    def work(locked: Feedback) -> str:
        seen.append((locked.pk, locked.attempts))
        locked.status = FeedbackStatus.TRIAGE
        locked.save(update_fields=["status"])
        return "worked"

    result = inbox.process(row.pk, work=work, give_up=lambda _r: "gave up", skipped=lambda: "-")

    assert result == "worked"
    assert seen == [(row.pk, 1)]
    assert _attempts(row) == 1


def test_a_row_no_longer_received_is_skipped_and_not_counted(inbox: Inbox[Feedback]) -> None:
    row = _row(status=FeedbackStatus.TRIAGE)

    result = inbox.process(
        row.pk, work=lambda _r: "worked", give_up=lambda _r: "gave up", skipped=lambda: "skipped"
    )

    assert result == "skipped"
    assert _attempts(row) == 0


def test_a_run_that_crashes_still_counts_its_attempt(inbox: Inbox[Feedback]) -> None:
    row = _row()

    def crash(_locked: Feedback) -> str:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        inbox.process(row.pk, work=crash, give_up=lambda _r: "gave up", skipped=lambda: "-")

    assert _attempts(row) == 1
    row.refresh_from_db()
    assert row.status == FeedbackStatus.RECEIVED  # still waiting for the next run


def test_the_run_past_the_last_attempt_gives_up_without_working(inbox: Inbox[Feedback]) -> None:
    row = _row(attempts=3)
    worked: list[int] = []

    def work(locked: Feedback) -> str:
        worked.append(locked.pk)
        return "worked"

    result = inbox.process(row.pk, work=work, give_up=lambda r: f"gave up {r.pk}", skipped=str)

    assert result == f"gave up {row.pk}"
    assert worked == []
    assert _attempts(row) == 4


def test_the_attempts_counter_stops_one_past_the_cap(inbox: Inbox[Feedback]) -> None:
    row = _row(attempts=30000)

    assert inbox.count_attempt(row.pk) is True

    assert _attempts(row) == 4


def test_the_lock_is_taken_only_on_a_row_still_received(inbox: Inbox[Feedback]) -> None:
    row = _row()

    with transaction.atomic():
        assert inbox.lock_received(row.pk) == row
        Feedback.objects.filter(pk=row.pk).update(status=FeedbackStatus.CLOSED)
        assert inbox.lock_received(row.pk) is None


@pytest.mark.django_db(transaction=True)
def test_a_row_is_never_locked_outside_a_transaction(inbox: Inbox[Feedback]) -> None:
    row = _row()

    with pytest.raises(RuntimeError):
        inbox.lock_received(row.pk)


# --- the sweep -------------------------------------------------------------------------------


def test_the_sweep_resends_rows_left_received_oldest_first(
    inbox: Inbox[Feedback], task: RecordingTask
) -> None:
    newer = _row(age=timedelta(minutes=1))
    older = _row(age=timedelta(minutes=5))
    _row(age=timedelta(seconds=5))  # its message may still be on its way
    _row(status=FeedbackStatus.TRIAGE)  # processed

    sent = inbox.sweep(give_up=lambda _id: pytest.fail("nothing is exhausted"))

    assert sent == [older.pk, newer.pk]
    assert task.sent == [older.pk, newer.pk]


def test_the_sweep_gives_up_on_rows_whose_attempts_are_used_without_sending_them(
    inbox: Inbox[Feedback], task: RecordingTask
) -> None:
    exhausted = _row(attempts=3, age=timedelta(minutes=3))
    last_chance = _row(attempts=2)
    given_up: list[int] = []

    sent = inbox.sweep(give_up=given_up.append)

    assert given_up == [exhausted.pk]
    assert sent == task.sent == [last_chance.pk]


def test_the_sweep_stops_at_the_first_broker_error(
    inbox: Inbox[Feedback], task: RecordingTask
) -> None:
    _row(age=timedelta(minutes=3))
    _row(age=timedelta(minutes=2))
    task.broken = True

    assert inbox.sweep(give_up=lambda _id: None) == []

    task.broken = False
    assert len(inbox.sweep(give_up=lambda _id: None)) == 2


def test_the_sweep_takes_at_most_a_batch(inbox: Inbox[Feedback], task: RecordingTask) -> None:
    rows = [_row(age=timedelta(minutes=10 - n)) for n in range(4)]

    assert inbox.sweep(give_up=lambda _id: None, batch_size=3) == [r.pk for r in rows[:3]]
    later = timezone.now() + timedelta(minutes=1)
    assert inbox.sweep(give_up=lambda _id: None, now=later, older_than=timedelta(0)) == [
        r.pk for r in rows
    ]


# --- the two inboxes ---------------------------------------------------------------------------


def test_feedback_and_signals_share_the_same_mechanics_and_timings() -> None:
    assert FEEDBACK_INBOX.task.name == "intake.tasks.feedback_process"
    assert SIGNAL_INBOX.task.name == "intake.tasks.signal_process"
    assert (FEEDBACK_INBOX.received, SIGNAL_INBOX.received) == (
        FeedbackStatus.RECEIVED,
        SignalStatus.RECEIVED,
    )
    for inbox in (FEEDBACK_INBOX, SIGNAL_INBOX):
        assert (inbox.max_attempts, inbox.resend_after, inbox.batch_size) == (
            5,
            timedelta(seconds=30),
            500,
        )
