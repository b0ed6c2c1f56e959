"""The feedback API under load: ``POST /api/v1/feedback/`` at a steady rate against gunicorn
with PostgreSQL and Redis (targets: no 5xx, every accepted submission stored, p95 < 100 ms).

A scratch PostgreSQL database is created and migrated, a few hundred customers are seeded
(a fifth of the submissions match one of them, so the worker opens and attaches cases),
gunicorn serves the portal and one Celery worker processes the queued jobs, as in
production. Requests are sent open-loop (request ``i`` leaves at ``start + i / rate``
whatever the answers before it), so a slow server shows up as latency, not as a lower
rate. The per-address rate limit is raised for the run (env ``INTAKE_RATE_SUBMIT``).

Usage: .venv/bin/python bench/intake.py [--rate 100] [--seconds 60] [--workers 4] [--no-worker]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _db import scratch_database

BASE_DIR = Path(__file__).resolve().parent.parent
PORT = 8797
MATCHING_CUSTOMERS = 200


def _body(n: int) -> bytes:
    if n % 5 == 0:  # a known customer (seeded below): matched, a case opened or attached
        phone, name = (
            f"1390000{n // 5 % MATCHING_CUSTOMERS:04d}",
            f"客户{n // 5 % MATCHING_CUSTOMERS}",
        )
    else:
        phone, name = f"137{n % 100_000_000:08d}", "访客"
    return json.dumps(
        {
            "kind": "limit_unusable",
            "name": name,
            "phone": phone,
            "description": f"第{n}次反馈 额度显示了但无法使用。",
            "consent": True,
        },
        ensure_ascii=False,
    ).encode()


def _post(url: str, n: int) -> tuple[int, float]:
    request = urllib.request.Request(
        url, data=_body(n), headers={"Content-Type": "application/json"}, method="POST"
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            code = response.status
    except urllib.error.HTTPError as error:
        error.read()
        code = error.code
    except OSError:
        code = 0  # connection refused or reset: counted as an error
    return code, (time.perf_counter() - started) * 1000


def _seed() -> None:
    from decimal import Decimal

    from scoring.models import Block, CreditLine, Customer

    for n in range(MATCHING_CUSTOMERS):
        customer = Customer(
            external_id=f"BENCH-{n:05d}",
            name=f"客户{n}",
            phone=f"1390000{n:04d}",
            city="上海",
        )
        customer.save()
        line = CreditLine.objects.create(
            customer=customer,
            product="paylater",
            state="active",
            granted_limit=Decimal("20000.00"),
            usable_limit=Decimal("0.00"),
        )
        Block.objects.create(
            credit_line=line, reason_code="DEVICE_ANOMALY", source="rule", raised_by_label="bench"
        )


def _wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--no-worker", action="store_true", help="leave the jobs queued")
    args = parser.parse_args()

    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
    os.environ["INTAKE_RATE_SUBMIT"] = os.environ.get("INTAKE_RATE_SUBMIT", "1000000/m")
    total = int(args.rate * args.seconds)

    with scratch_database("portal_bench_intake"):
        from django.db import connection

        from cases.models import Feedback, FeedbackStatus
        from portal.celery import app as celery_app

        _seed()
        with celery_app.connection_for_write() as conn:
            conn.default_channel.client.flushdb()
        connection.close()
        env = dict(os.environ)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env=env,
        )
        worker = None
        if not args.no_worker:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "--loglevel=WARNING",
                    "--concurrency=1",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=subprocess.DEVNULL,
            )
        try:
            base = f"http://127.0.0.1:{PORT}"
            _wait_for(f"{base}/healthz")
            url = f"{base}/api/v1/feedback/"
            for n in range(20):  # warm the workers' connections
                _post(url, total + n)
            warmed = Feedback.objects.count()
            connection.close()

            results: list[tuple[int, float]] = []
            lock = threading.Lock()

            def send(n: int, at: float) -> None:
                delay = at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                outcome = _post(url, n)
                with lock:
                    results.append(outcome)

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=64) as pool:
                for n in range(total):
                    at = started + n / args.rate
                    pause = at - time.perf_counter() - 0.05
                    if pause > 0:
                        time.sleep(pause)
                    pool.submit(send, n, at)
            elapsed = time.perf_counter() - started

            stored = Feedback.objects.count() - warmed
            processed_by = time.monotonic() + 60
            while worker is not None and time.monotonic() < processed_by:
                if not Feedback.objects.filter(status=FeedbackStatus.RECEIVED).exists():
                    break
                time.sleep(0.5)
            waiting = Feedback.objects.filter(status=FeedbackStatus.RECEIVED).count()
            connection.close()
        finally:
            server.terminate()
            server.wait(timeout=15)
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)

    codes = [code for code, _ms in results]
    latencies = sorted(ms for _code, ms in results)
    accepted = codes.count(201)
    server_errors = sum(1 for code in codes if code >= 500)
    other = len(codes) - accepted - server_errors
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    out = io.StringIO()
    print(
        f"rate:      {args.rate:.0f}/s for {args.seconds:.0f} s ({elapsed:.1f} s to send)", file=out
    )
    print(f"sent:      {len(codes)}", file=out)
    print(f"accepted:  {accepted} (201)", file=out)
    print(f"stored:    {stored} (rows in the database)", file=out)
    print(f"5xx:       {server_errors}", file=out)
    print(f"other:     {other} (4xx or connection errors)", file=out)
    print(
        f"latency:   p50 {statistics.median(latencies):.1f} ms   p95 {p95:.1f} ms   "
        f"max {latencies[-1]:.1f} ms",
        file=out,
    )
    if worker is not None:
        rows = stored + warmed
        print(f"processed: {rows - waiting} of {rows} by the worker (within 60 s)", file=out)
    print("targets:   0 5xx, stored == accepted, p95 < 100 ms", file=out)
    print(out.getvalue(), end="")


if __name__ == "__main__":
    main()
