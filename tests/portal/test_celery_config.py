"""Job routing: bulk work has its own queue, so single re-runs never wait behind it."""

from __future__ import annotations

from django.conf import settings

from portal.celery import app


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_bulk_tasks_go_to_the_bulk_queue_and_single_runs_to_the_default() -> None:
    assert queue_of("scoring.tasks.bulk_job_plan") == "bulk"
    assert queue_of("scoring.tasks.bulk_chunk_run") == "bulk"
    assert queue_of("scoring.tasks.assessment_run") == "celery"
    assert queue_of("compliance.tasks.audit_chain_verify_scheduled") == "celery"


def test_the_procfile_runs_a_worker_for_each_queue() -> None:
    procfile = (settings.BASE_DIR / "Procfile").read_text()
    consumed = {
        queue
        for line in procfile.splitlines()
        if " worker " in line
        for arg in line.split()
        if arg.startswith("--queues=")
        for queue in arg.removeprefix("--queues=").split(",")
    }
    assert consumed == set(settings.WORKER_QUEUES.split(","))
