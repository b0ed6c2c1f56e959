"""Queue and case pages over HTTP at 100,000 cases (targets: queue p95 < 150 ms, case page
p95 < 200 ms). Named queue_pages.py: a script called queue.py would shadow Python's own
``queue`` module for everything it imports.

A scratch PostgreSQL database is created and migrated, ``seed_demo`` loads customers (each
scored once, so case pages draw a real chart), ``bench/claim.py``'s loader bulk-inserts
``--cases`` cases, and gunicorn serves the portal from it. A supervisor's session then
requests the first queue page, a filtered queue page and random case pages one after the
other, and the script prints p50 and p95 of each.

Usage: .venv/bin/python bench/queue_pages.py [--customers 30000] [--cases 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _db import scratch_database
from claim import _make_cases as make_cases

BASE_DIR = Path(__file__).resolve().parent.parent
PORT = 8799


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered), p95


def _get(url: str, cookie: str) -> float:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    with scratch_database("portal_bench_queue"):
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        from accounts.models import User
        from cases.models import Case

        call_command(
            "seed_demo", customers=args.customers, with_assessments=True, stdout=io.StringIO()
        )
        made = make_cases(args.cases)
        supervisor = User.objects.get(username="supervisor")
        client = Client()
        client.force_login(supervisor)
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        case_ids = list(Case.objects.values_list("id", flat=True))
        connection.close()

        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                "2",
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env=dict(os.environ),
        )
        try:
            base = f"http://127.0.0.1:{PORT}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    _get(f"{base}/healthz", cookie)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            rng = random.Random(11)
            pages = {
                "queue, first page": lambda: f"{base}/cases/",
                "queue, P1 only": lambda: f"{base}/cases/?priority=1",
                "case page": lambda: f"{base}/cases/{rng.choice(case_ids)}/",
            }
            results = {}
            for name, url in pages.items():
                for _ in range(5):  # warm the workers' connections and caches
                    _get(url(), cookie)
                results[name] = [_get(url(), cookie) for _ in range(args.requests)]
        finally:
            server.terminate()
            server.wait(timeout=15)

    print(f"cases:                   {made:,} ({args.customers:,} customers)")
    for name, samples in results.items():
        p50, p95 = _percentiles(samples)
        print(f"{name + ':':25s}p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   ({len(samples)} requests)")
    print("targets: queue p95 < 150 ms, case page p95 < 200 ms")


if __name__ == "__main__":
    main()
