"""Claim-next under contention: 32 officers claiming at once from 50,000 cases.

A scratch PostgreSQL database is created and migrated, ``seed_demo`` loads customers and
their credit lines, and cases are bulk-inserted: one per shown-but-unusable line first
(category ``limit_unusable``), then synthetic ones of the other categories for the same
customers until there are ``--cases``. Then ``--clients`` threads, each with its own
database connection and its own officer, call ``case_claim_next`` in a loop (each claim
is the real service: lock, event, history and audit entry in one transaction) until the
queue is empty or ``--seconds`` pass. Prints claims per second, latency percentiles and
duplicate claims (target: at least 300 per second, 0 duplicates).

First, one client claims ``--profile`` cases alone and the cost of a claim is printed:
statements sent (BEGIN and COMMIT not included), wall time, and the CPU time of the client
process and of its PostgreSQL backend (read from /proc, so the server must be local). On a
machine shared with other work these are steadier than claims per second under contention.

Usage: .venv/bin/python bench/claim.py [--customers 20000] [--cases 50000] [--clients 32]
       [--seconds 120] [--profile 300]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import statistics
import threading
import time
from datetime import timedelta
from typing import Any

from _db import scratch_database


def _make_cases(total: int) -> int:
    from django.db import connection

    from cases.models import Case, CaseCategory, CaseSource, CaseStatus
    from scoring.models import CreditLine, Customer

    rng = random.Random(7)
    now = __import__("django.utils.timezone", fromlist=["now"]).now()
    rows: list[Case] = []

    def add(customer_id: int, category: str, line_id: int | None, reason: str) -> None:
        priority = rng.choice([1, 2, 2, 3, 3, 3, 4])
        rows.append(
            Case(
                customer_id=customer_id,
                credit_line_id=line_id,
                category=category,
                source=CaseSource.DETECTION,
                reason_code=reason,
                status=CaseStatus.NEW,
                priority=priority,
                sla_due_at=now + timedelta(minutes=rng.randint(30, 72 * 60)),
                opened_at=now,
            )
        )

    seen: set[int] = set()
    for line_id, customer_id in CreditLine.objects.shown_but_unusable().values_list(
        "id", "customer_id"
    ):
        if customer_id in seen or len(rows) >= total:
            continue
        seen.add(customer_id)
        add(customer_id, CaseCategory.LIMIT_UNUSABLE, line_id, "")
    customer_ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
    others = [c for c in CaseCategory if c != CaseCategory.LIMIT_UNUSABLE]
    for category in [*others, CaseCategory.LIMIT_UNUSABLE]:
        for customer_id in customer_ids:
            if len(rows) >= total:
                break
            if category == CaseCategory.LIMIT_UNUSABLE and customer_id in seen:
                continue
            add(customer_id, category, None, "")
    Case.objects.bulk_create(rows, batch_size=5000)
    # Fresh statistics, as autovacuum would have gathered on a live table: without them the
    # planner guesses "one row" and sorts every new case on each claim instead of reading
    # the claimable partial index in order.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
    return len(rows)


Result = tuple[list[list[int]], list[list[float]], list[str], float]


def _backend_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a local PostgreSQL backend (``None`` when /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _profile(officer: Any, n: int) -> None:
    """One client claiming ``n`` cases alone: statements, wall and CPU time per claim."""
    from django.db import connection

    from cases.services.claiming import case_claim_next

    statements = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements[0] += 1
        return execute(sql, params, many, context)

    case_claim_next(actor=officer)  # warm up: connection, permission cache
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    server_before = _backend_cpu_seconds(backend)
    client_before = time.process_time()
    started = time.perf_counter()
    claimed = 0
    with connection.execute_wrapper(count):
        for _ in range(n):
            if case_claim_next(actor=officer) is None:
                break
            claimed += 1
    wall = time.perf_counter() - started
    client = time.process_time() - client_before
    server_after = _backend_cpu_seconds(backend)
    connection.close()
    if not claimed:
        print("profile: nothing to claim")
        return
    server = (
        f"{(server_after - server_before) / claimed * 1000:.2f} ms"
        if server_before is not None and server_after is not None
        else "unknown"
    )
    print(
        f"one client alone: {claimed} claims, {statements[0] / claimed:.1f} statements per "
        f"claim, {wall / claimed * 1000:.2f} ms wall, CPU {client / claimed * 1000:.2f} ms "
        f"client + {server} server per claim"
    )


def _claim_loop(officer: Any, deadline: float) -> tuple[list[int], list[float], str]:
    """Claim until the queue is empty or the deadline; ``(ids, latencies, error)``."""
    from django.db import connection

    from cases.services.claiming import case_claim_next

    ids: list[int] = []
    latencies: list[float] = []
    error = ""
    try:
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            case = case_claim_next(actor=officer)
            latencies.append(time.perf_counter() - t0)
            if case is None:
                break
            ids.append(case.pk)
    except Exception as exc:  # noqa: BLE001  (reported by the caller, never swallowed)
        error = repr(exc)
    finally:
        connection.close()
    return ids, latencies, error


def _run_threads(officers: list[Any], seconds: float) -> Result:
    results: list[tuple[list[int], list[float], str]] = [([], [], "")] * len(officers)
    barrier = threading.Barrier(len(officers) + 1)
    deadline = [0.0]

    def work(index: int) -> None:
        barrier.wait()
        results[index] = _claim_loop(officers[index], deadline[0])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(officers))]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + seconds
    t0 = time.monotonic()
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - t0
    return (
        [r[0] for r in results],
        [r[1] for r in results],
        [r[2] for r in results if r[2]],
        elapsed,
    )


def _process_main(officer: Any, start: Any, deadline: Any, out: Any) -> None:
    start.wait()
    out.put(_claim_loop(officer, deadline.value))


def _run_processes(officers: list[Any], seconds: float) -> Result:
    from django.db import connections

    connections.close_all()  # children must not share the parent's socket
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    deadline = ctx.Value("d", 0.0)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_process_main, args=(officer, start, deadline, out))
        for officer in officers
    ]
    for proc in procs:
        proc.start()
    time.sleep(0.5)
    deadline.value = time.monotonic() + seconds
    t0 = time.monotonic()
    start.set()
    results = [out.get() for _ in procs]
    elapsed = time.monotonic() - t0
    for proc in procs:
        proc.join()
    return (
        [r[0] for r in results],
        [r[1] for r in results],
        [r[2] for r in results if r[2]],
        elapsed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--profile", type=int, default=300, help="claims by one client first")
    parser.add_argument(
        "--mode",
        choices=["processes", "threads"],
        default="processes",
        help="Clients as processes (like web workers; default) or as threads of this "
        "process (each with its own connection, but sharing one interpreter lock).",
    )
    args = parser.parse_args()

    with scratch_database("portal_bench_claim"):
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        from accounts.roles import Role
        from cases.models import Case
        from tests.factories.accounts import UserFactory

        settings.CASES_WIP_LIMIT = 10**9  # measure claiming, not the per-officer limit
        started = time.monotonic()
        call_command("seed_demo", customers=args.customers, stdout=io.StringIO())
        made = _make_cases(args.cases)
        print(
            f"seeded {args.customers} customers and {made} cases in "
            f"{time.monotonic() - started:.1f} s"
        )
        officers = [
            UserFactory(username=f"bench{i}", roles=[Role.RISK_OFFICER])
            for i in range(args.clients)
        ]
        connection.close()
        if args.profile:
            profiler = UserFactory(username="bench-profile", roles=[Role.RISK_OFFICER])
            connection.close()
            _profile(profiler, args.profile)

        if args.mode == "threads":
            claims, latencies, errors, elapsed = _run_threads(officers, args.seconds)
        else:
            claims, latencies, errors, elapsed = _run_processes(officers, args.seconds)

        every = [pk for ids in claims for pk in ids]
        profiled = Case.objects.filter(assignee__username="bench-profile").count()
        duplicates = len(every) - len(set(every))
        assigned = Case.objects.filter(assignee__isnull=False).count() - profiled
        flat = sorted(x for per in latencies for x in per)
        p50 = statistics.median(flat) * 1000 if flat else 0.0
        p95 = flat[int(len(flat) * 0.95) - 1] * 1000 if flat else 0.0
        rate = len(every) / elapsed if elapsed else 0.0
        print(
            f"{args.mode}: {len(officers)}, cases: {made}, claimed: {len(every)} in {elapsed:.1f} s"
        )
        print(f"claims per second: {rate:.0f} (target >= 300)")
        print(f"latency p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        print(f"duplicate claims: {duplicates}; rows assigned in the database: {assigned}")
        if errors:
            print(f"errors: {len(errors)}; first: {errors[0]}")
        ok = duplicates == 0 and assigned == len(every) and not errors and rate >= 300
        print("OK" if ok else "BELOW TARGET OR WRONG")
        raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
