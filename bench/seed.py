"""How fast `seed_demo` loads customers into PostgreSQL (target: 100,000 in under 3 minutes).

Usage: .venv/bin/python bench/seed.py [--customers 100000]
"""

from __future__ import annotations

import argparse
import io
import time

from _db import scratch_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()

    with scratch_database("portal_bench_seed"):
        from django.core.management import call_command
        from django.db import connection

        started = time.perf_counter()
        call_command("seed_demo", customers=args.customers, stdout=io.StringIO())
        elapsed = time.perf_counter() - started

        with connection.cursor() as cursor:
            counts = {}
            for table in (
                "scoring_customer",
                "scoring_creditline",
                "scoring_block",
                "scoring_historicalcustomer",
                "scoring_historicalcreditline",
            ):
                cursor.execute(f"SELECT count(*) FROM {table}")
                counts[table] = cursor.fetchone()[0]

    print(f"customers seeded:        {args.customers:,}")
    print(f"elapsed:                 {elapsed:,.1f} s (target < 180 s for 100,000)")
    print(f"customers per second:    {args.customers / elapsed:,.0f}")
    for table, count in counts.items():
        print(f"rows in {table + ':':33s}{count:,}")


if __name__ == "__main__":
    main()
