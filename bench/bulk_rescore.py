"""Bulk re-assessment through real Celery workers (target: at least 1,000 assessments/s).

A scratch PostgreSQL database is created and migrated, ``seed_demo`` loads the customers,
then for each requested number of worker processes: start them (``celery worker``, each
with ``--concurrency`` pool processes) against the scratch database and a Redis database of
their own, start a bulk job over every customer, and measure

- time to first progress update: from the start request until ``done`` first moves;
- total time: until the job is ``finished``;
- assessments per second: customers over the time from the first chunk's start to the end.

Usage: .venv/bin/python bench/bulk_rescore.py [--customers 100000] [--workers 1 2]
       [--concurrency 2] [--redis redis://127.0.0.1:6379/13]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from _db import scratch_database
from _worker import worker_argv

BASE_DIR = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    processes: int
    concurrency: int
    customers: int
    first_progress_s: float
    total_s: float
    rate: float
    failed: int


def _start_workers(count: int, concurrency: int) -> list[subprocess.Popen[bytes]]:
    workers = [
        subprocess.Popen(
            worker_argv(
                "--queues=celery,bulk",
                f"--hostname=bench{n}-{os.getpid()}@localhost",
                concurrency=concurrency,
            ),
            cwd=BASE_DIR,
            env=dict(os.environ),
        )
        for n in range(count)
    ]
    from portal.celery import app

    deadline = time.monotonic() + 60
    names = [f"bench{n}-{os.getpid()}@localhost" for n in range(count)]
    while time.monotonic() < deadline:
        replies = app.control.ping(destination=names, timeout=0.5)
        if len(replies) == count:
            return workers
    _stop_workers(workers)
    raise SystemExit("the workers did not answer a ping within 60 s")


def _stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def _one_run(processes: int, concurrency: int) -> Run:
    from accounts.models import User
    from accounts.roles import Role
    from scoring.assessments import bulk
    from scoring.models import BulkJob, BulkJobStatus

    supervisor = User.objects.filter(groups__name=Role.SUPERVISOR).first()
    if supervisor is None:
        raise SystemExit("seed_demo made no supervisor account")
    workers = _start_workers(processes, concurrency)
    try:
        requested = time.perf_counter()
        job = bulk.bulk_job_start(actor=supervisor, filters={})
        first_progress = None
        while True:
            job.refresh_from_db(fields=["status", "done", "failed", "total"])
            now = time.perf_counter()
            if first_progress is None and job.done:
                first_progress = now - requested
            if job.status == BulkJobStatus.FINISHED:
                break
            if now - requested > 3600:
                raise SystemExit(f"gave up after an hour at {job.done}/{job.total}")
            time.sleep(0.05)
        total = time.perf_counter() - requested
        job = BulkJob.objects.get(pk=job.pk)
        assert job.started_at is not None
        assert job.finished_at is not None
        scoring_s = (job.finished_at - job.started_at).total_seconds()
        return Run(
            processes=processes,
            concurrency=concurrency,
            customers=job.total,
            first_progress_s=first_progress or total,
            total_s=total,
            rate=job.total / scoring_s if scoring_s else 0.0,
            failed=job.failed,
        )
    finally:
        _stop_workers(workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker process counts to try"
    )
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes per worker")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()

    # The benchmark's own Redis database (a URL not ending in /0 is used as given).
    os.environ["REDIS_URL"] = args.redis
    with scratch_database("portal_bench_bulk"):
        from django.core.management import call_command

        from portal.celery import app

        with app.connection_for_write() as conn:
            conn.default_channel.client.flushdb()
        started = time.perf_counter()
        call_command("seed_demo", customers=args.customers, stdout=io.StringIO())
        print(f"seeded {args.customers:,} customers in {time.perf_counter() - started:,.1f} s")

        runs = [_one_run(n, args.concurrency) for n in args.workers]

    print()
    print(f"cores: {os.cpu_count()}; chunk size 500; PostgreSQL and Redis on the same machine")
    print(
        f"{'workers':>8} {'pool':>5} {'customers':>10} {'failed':>7} "
        f"{'first progress':>15} {'total':>9} {'assessments/s':>14}"
    )
    for run in runs:
        print(
            f"{run.processes:>8} {run.concurrency:>5} {run.customers:>10,} {run.failed:>7,} "
            f"{run.first_progress_s:>13.2f} s {run.total_s:>7.1f} s {run.rate:>14,.0f}"
        )
    best = max(runs, key=lambda r: r.rate)
    verdict = "reached" if best.rate >= 1000 else "NOT reached"
    print(f"\ntarget 1,000 assessments/s: {verdict} (best {best.rate:,.0f}/s)")


if __name__ == "__main__":
    main()
