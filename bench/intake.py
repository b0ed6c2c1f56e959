"""The feedback API under load: ``POST /api/v1/feedback/`` at a steady rate against gunicorn
with PostgreSQL and Redis (targets: no 5xx, every accepted submission stored, p95 < 100 ms).

A scratch PostgreSQL database is created and migrated, a few hundred customers are seeded
(a fifth of the submissions match one of them, so the worker opens and attaches cases),
gunicorn serves the portal and one Celery worker processes the queued jobs alongside,
at a lower CPU priority (``nice -n 10``, as the ``Procfile`` starts workers): on a shared
host the jobs take what the requests leave, and the form's answer times do not depend on
the backlog. ``--worker-nice 0`` shows the same run with both at one priority, ``--worker
after`` starts the worker once sending is over (the web tier alone, then the catch-up time
is printed), ``--worker none`` leaves the jobs in Redis.
The CPU each request cost the web processes, the worker, PostgreSQL and the load generator
is printed too, read from /proc. Requests are sent open-loop (request ``i`` leaves at
``start + i / rate`` whatever the answers before it), so a slow server shows up as
latency, not as a lower rate. The per-address rate limit is raised for the run (env
``INTAKE_RATE_SUBMIT``).

Usage: .venv/bin/python bench/intake.py [--rate 100] [--seconds 60] [--workers 4]
       [--worker during|after|none] [--worker-nice 10]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _db import scratch_database
from _worker import worker_argv

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
    """One submission on a new connection (gunicorn's sync workers close each one), with
    plain ``http.client``: the load generator shares the two cores, so it is kept lean."""
    parts = urllib.parse.urlsplit(url)
    body = _body(n)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(
            "POST", parts.path, body=body, headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        response.read()
        code = response.status
    except OSError:
        code = 0  # connection refused or reset: counted as an error
    finally:
        connection.close()
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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and of its children, recursively, from /proc."""
    total = 0.0
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                total += sum(_cpu_seconds(int(child)) for child in children.read().split())
    except (OSError, ValueError, IndexError):
        pass  # the process ended meanwhile
    return total


def _postgres_cpu_seconds() -> float:
    """CPU of the local PostgreSQL server: its live processes, plus what the postmaster has
    reaped from the backends that have ended (so a closed connection's share still counts;
    other databases' work on this machine counts too)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() != "postgres":
                    continue
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        with contextlib.suppress(ValueError, IndexError):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            if fields[1] != "0" and _comm(int(fields[1])) != "postgres":  # the postmaster
                total += (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    return total


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip()
    except OSError:
        return ""


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
    parser.add_argument(
        "--worker",
        choices=["during", "after", "none"],
        default="during",
        help="When the Celery worker starts: during sending (default, on the same two cores), "
        "after sending (the web tier measured alone; the catch-up time is printed), or not "
        "at all.",
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="nice value of the worker (10, as in the Procfile; 0 for the web's priority)",
    )
    args = parser.parse_args()

    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
    os.environ["INTAKE_RATE_SUBMIT"] = os.environ.get("INTAKE_RATE_SUBMIT", "1000000/m")
    total = int(args.rate * args.seconds)

    with scratch_database("portal_bench_intake"):
        from django.db import connection

        from intake.models import Feedback, FeedbackStatus
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
        worker_command = ["nice", "-n", str(args.worker_nice), *worker_argv()]

        def start_worker() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                worker_command, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL
            )

        worker = start_worker() if args.worker == "during" else None
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

            cpu_before = (
                _cpu_seconds(server.pid),
                _cpu_seconds(worker.pid) if worker is not None else 0.0,
                _postgres_cpu_seconds(),
                time.process_time(),
            )
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=64) as pool:
                for n in range(total):
                    at = started + n / args.rate
                    pause = at - time.perf_counter() - 0.05
                    if pause > 0:
                        time.sleep(pause)
                    pool.submit(send, n, at)
            elapsed = time.perf_counter() - started
            cpu_after = (
                _cpu_seconds(server.pid),
                _cpu_seconds(worker.pid) if worker is not None else 0.0,
                _postgres_cpu_seconds(),
                time.process_time(),
            )

            stored = Feedback.objects.count() - warmed
            if args.worker == "after":
                worker = start_worker()
            catch_up = time.monotonic()
            processed_by = time.monotonic() + 60 + total / 20
            while worker is not None and time.monotonic() < processed_by:
                if not Feedback.objects.filter(status=FeedbackStatus.RECEIVED).exists():
                    break
                time.sleep(0.5)
            waiting = Feedback.objects.filter(status=FeedbackStatus.RECEIVED).count()
            catch_up = time.monotonic() - catch_up
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
    web, job, database, client = (
        (after - before) * 1000 / max(1, len(codes))
        for before, after in zip(cpu_before, cpu_after, strict=True)
    )
    print(
        f"CPU per request while sending: web {web:.1f} ms, worker {job:.1f} ms, "
        f"PostgreSQL {database:.1f} ms (every postgres process), load generator {client:.1f} ms",
        file=out,
    )
    if worker is not None:
        rows = stored + warmed
        print(
            f"processed: {rows - waiting} of {rows} by the worker, {catch_up:.0f} s after the "
            f"last request (worker started {args.worker} sending)",
            file=out,
        )
    print("targets:   0 5xx, stored == accepted, p95 < 100 ms", file=out)
    print(out.getvalue(), end="")


if __name__ == "__main__":
    main()
