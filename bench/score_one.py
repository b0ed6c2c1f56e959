"""How long one assessment's scoring step takes (target: under 1 ms).

The scoring step is what a worker does between reading a customer's features and writing
the result: build the JSON-safe feature snapshot and score it with the compiled champion
(``scoring.scorecards.engine``). No database access: the default scorecard is compiled from its data
module and the customer is an unsaved model instance.

Usage: .venv/bin/python bench/score_one.py [--runs 100000]
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit
from datetime import date
from decimal import Decimal
from pathlib import Path

from _worker import worker_argv

BASE_DIR = Path(__file__).resolve().parent.parent


def _setup_django() -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("PORTAL_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def bench_scoring_step(runs: int = 100_000) -> dict[str, float]:
    """Microseconds per call: ``score`` alone, and snapshot + ``score`` together."""
    from scoring.models import Customer, CustomerFeatures
    from scoring.scorecards.default import default_scorecard_fields
    from scoring.scorecards.engine import compile_spec, score
    from scoring.scorecards.features import features_snapshot

    spec = default_scorecard_fields()
    compiled = compile_spec(
        base_points=spec["base_points"],
        cutoff=spec["cutoff"],
        characteristics=spec["characteristics"],
        limit_policy=spec["limit_policy"],
        block_rules=spec["block_rules"],
    )
    customer = Customer(external_id="BENCH-1", consent_financial_info=True)
    features = CustomerFeatures(
        customer=customer,
        monthly_income=Decimal("8200.00"),
        months_on_book=27,
        bureau_accounts=3,
        utilisation=Decimal("0.4100"),
        delinquencies_12m=0,
        device_changes_30d=1,
        distance_from_usual_city_km=12,
        identity_consistency=Decimal("0.985"),
        attempts_24h=1,
        kyc_expires_on=date(2029, 5, 1),
    )
    today = date(2026, 11, 23)
    snapshot = features_snapshot(features, customer, today=today)
    result = score(compiled, snapshot)
    assert sum(c["points"] for c in result.contributions) == result.score

    def score_only() -> None:
        score(compiled, snapshot)

    def snapshot_and_score() -> None:
        score(compiled, features_snapshot(features, customer, today=today))

    timings = {}
    for name, fn in (("score", score_only), ("snapshot_and_score", snapshot_and_score)):
        best = min(timeit.repeat(fn, number=runs, repeat=3))
        timings[name] = best / runs * 1e6
    return timings


def bench_round_trip(runs: int = 50) -> dict[str, float]:
    """Milliseconds from ``assessment_request`` to a finished row, through Redis and a real
    ``celery worker`` process, against a scratch database (p50, p95, max over ``runs``).

    Includes the request's transaction (row, history, audit entry), the message through
    Redis, the worker's claim, the scoring and the result's transaction, and this loop's
    polling (every 2 ms). Must run before anything else sets Django up: it points Django at
    the scratch database.
    """
    import io
    import statistics
    import subprocess
    import time

    sys.path.insert(0, str(BASE_DIR / "bench"))
    from _db import scratch_database

    # A Redis database of its own (a URL not ending in /0 is used as given).
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    with scratch_database("portal_bench_round_trip"):
        from django.core.management import call_command

        from accounts.models import User
        from accounts.roles import Role
        from portal.celery import app
        from scoring.assessments.services import assessment_request
        from scoring.models import Assessment, AssessmentStatus, Customer

        call_command("seed_demo", customers=max(runs, 50) * 2, stdout=io.StringIO())
        with app.connection_for_write() as conn:
            conn.default_channel.client.flushdb()
        hostname = f"roundtrip-{os.getpid()}@localhost"
        worker = subprocess.Popen(
            worker_argv(f"--hostname={hostname}"),
            cwd=BASE_DIR,
            env=dict(os.environ),
        )
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(destination=[hostname], timeout=0.5):
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise SystemExit("the worker did not start")
            officer = User.objects.filter(groups__name=Role.RISK_OFFICER).first()
            if officer is None:
                raise SystemExit("seed_demo made no risk officer account")
            customer_ids = list(
                Customer.objects.filter(
                    consent_financial_info=True, consent_withdrawn_at__isnull=True
                ).values_list("pk", flat=True)[: runs + 5]
            )
            done = {AssessmentStatus.SUCCEEDED, AssessmentStatus.FAILED}
            latencies: list[float] = []
            for index, customer_id in enumerate(customer_ids[: runs + 5]):
                started = time.perf_counter()
                assessment = assessment_request(
                    actor=officer, customer_id=customer_id, trigger="officer"
                )
                while (
                    Assessment.objects.values_list("status", flat=True).get(pk=assessment.pk)
                    not in done
                ):
                    if time.perf_counter() - started > 30:
                        raise SystemExit("an assessment took more than 30 s")
                    time.sleep(0.002)
                if index >= 5:  # the first few warm the worker up
                    latencies.append((time.perf_counter() - started) * 1000)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    latencies.sort()
    return {
        "runs": float(len(latencies)),
        "p50": statistics.median(latencies),
        "p95": latencies[max(0, round(0.95 * len(latencies)) - 1)],
        "max": latencies[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument(
        "--round-trips", type=int, default=50, help="request-to-result runs (0: skip)"
    )
    args = parser.parse_args()
    # First: it sets Django up against a scratch database of its own.
    round_trip = bench_round_trip(args.round_trips) if args.round_trips else None
    _setup_django()
    timings = bench_scoring_step(args.runs)
    print(f"scoring step over {args.runs} runs (best of 3):")
    print(f"  score only:          {timings['score']:.1f} µs per score")
    print(f"  snapshot + score:    {timings['snapshot_and_score']:.1f} µs per score")
    verdict = "met" if timings["snapshot_and_score"] < 1000 else "MISSED"
    print(f"  target < 1 ms:       {verdict}")
    if round_trip is not None:
        print(f"request → result through Redis and a worker, {int(round_trip['runs'])} runs:")
        print(f"  p50:                 {round_trip['p50']:.1f} ms")
        print(f"  p95:                 {round_trip['p95']:.1f} ms")
        print(f"  max:                 {round_trip['max']:.1f} ms")


if __name__ == "__main__":
    main()
