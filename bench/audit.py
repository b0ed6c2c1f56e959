"""Audit log throughput and chain-verification speed, on a throwaway PostgreSQL database.

    PORTAL_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python bench/audit.py [--single N] [--writers W] [--each M] [--chain C]

Creates the database named in DATABASE_URL (its name must contain "bench"; an existing
one is dropped first), migrates it, then prints:

- audit entries written per second by one writer, each entry in its own transaction as a
  service writes it;
- the same with W concurrent writers (threads, one database connection each);
- chain verification speed in entries per second over a chain of C entries (100,000 by
  default; the rest beyond what the writers wrote is appended in bulk, hashed exactly as
  ``audit_record`` hashes).

The database is dropped at the end, also when the run fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("PORTAL_ENV", "test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench")


def _admin_conninfo(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SystemExit("bench/audit.py needs a PostgreSQL DATABASE_URL.")
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"Refusing to use database {name!r}: its name must contain 'bench'.")
    admin = parts._replace(path="/postgres").geturl().replace("pgsql://", "postgresql://")
    return admin.replace("postgres://", "postgresql://", 1), name


def _recreate_database(admin_url: str, name: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s ({count:,} in {seconds:.2f} s)"


def bench_single(count: int) -> None:
    from audit.log import audit_record
    from portal.permissions import SystemActor

    actor = SystemActor("bench_single")
    started = time.perf_counter()
    for n in range(count):
        audit_record(
            actor=actor,
            action="case.note_added",  # any listed code: audit_record refuses others
            target=("bench.thing", str(n)),
            data={"n": n, "phone_masked": "138****5678"},
        )
    print(f"single writer:        {_rate(count, time.perf_counter() - started)}")


def bench_concurrent(writers: int, each: int) -> None:
    from django.db import connection

    from audit.log import audit_record
    from portal.permissions import SystemActor

    barrier = threading.Barrier(writers + 1)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        actor = SystemActor(f"bench_writer{number}")
        try:
            connection.ensure_connection()
            barrier.wait()
            for n in range(each):
                audit_record(
                    actor=actor,
                    action="case.note_added",
                    target=("bench.thing", str(n)),
                    data={"n": n, "writer": number},
                )
        except BaseException as exc:  # noqa: BLE001  (a thread's error, re-raised in the main thread)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    print(f"{writers} concurrent writers: {_rate(writers * each, elapsed)}")


def extend_chain(total: int) -> None:
    """Append entries in bulk until the chain holds ``total``, hashed as audit_record does."""
    from django.utils import timezone

    from audit.encoding import entry_hash, normalise_data
    from audit.models import GENESIS_HASH, AuditEntry

    existing = AuditEntry.objects.count()
    last = AuditEntry.objects.order_by("-id").values_list("hash", "created_at").first()
    prev_hash, moment = (last[0], last[1]) if last else (GENESIS_HASH, timezone.now())
    batch: list[AuditEntry] = []
    started = time.perf_counter()
    for n in range(existing, total):
        moment += timedelta(microseconds=37)
        data = normalise_data({"n": n, "reason_code": "THIN_FILE", "limit": "12000.00"})
        fields = {
            "created_at": moment,
            "actor_id": None,
            "actor_label": "system:bench_bulk",
            "action": "bench.bulk",
            "target_type": "scoring.creditline",
            "target_id": str(n),
            "data": data,
        }
        digest = entry_hash(prev_hash=prev_hash, **fields)
        batch.append(AuditEntry(prev_hash=prev_hash, hash=digest, **fields))
        prev_hash = digest
        if len(batch) == 5000:
            AuditEntry.objects.bulk_create(batch)
            batch.clear()
    if batch:
        AuditEntry.objects.bulk_create(batch)
    print(f"(chain extended in bulk to {total:,} entries in {time.perf_counter() - started:.1f} s)")


def bench_verify(batch_size: int) -> None:
    from audit.verify import verify_chain

    started = time.perf_counter()
    report = verify_chain(batch_size=batch_size)
    elapsed = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"the chain is broken at entry {report.first_bad}: {report.reason}")
    print(f"chain verification:   {_rate(report.entries_checked, elapsed)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--single", type=int, default=3000, help="entries, one writer")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writers")
    parser.add_argument("--each", type=int, default=750, help="entries per concurrent writer")
    parser.add_argument("--chain", type=int, default=100_000, help="entries to verify")
    parser.add_argument("--batch-size", type=int, default=5000, help="verification batch")
    args = parser.parse_args()

    admin_url, name = _admin_conninfo(os.environ["DATABASE_URL"])
    _recreate_database(admin_url, name, create=True)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        print(f"PostgreSQL {connection.cursor().connection.info.server_version}, database {name}")
        bench_single(args.single)
        bench_concurrent(args.writers, args.each)
        extend_chain(args.chain)
        bench_verify(args.batch_size)
        connection.close()
    finally:
        _recreate_database(admin_url, name, create=False)


if __name__ == "__main__":
    main()
