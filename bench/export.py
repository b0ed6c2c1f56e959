"""Streamed export of 1,000,000 audit entries: rows per second and peak memory.

    PORTAL_ENV=test .venv/bin/python bench/export.py [--rows 1000000]

(``make bench`` runs it with the others.) A scratch PostgreSQL database
``portal_bench_export`` is created and migrated (``BENCH_ADMIN_DSN`` names the server,
default ``postgresql://postgres@127.0.0.1:5432/postgres``); ``--rows`` valid audit entries
are written with ``COPY``, each hashed in Python with ``audit.log.entry_hash`` exactly
as ``audit_record`` hashes it, and the chain is verified. Then each measurement runs in a
fresh child process (so its ``ru_maxrss`` starts from an interpreter that has only loaded
Django), streaming an export of the whole log through the real exporter:

- ``csv`` and ``json``: ``compliance.exports.services.export_start`` and its generator, consumed
  chunk by chunk: rows per second, time to the first byte, resident memory sampled through
  the stream (it should stay flat), the process's peak resident memory (``VmHWM``) and the
  ``ru_maxrss`` increase during the export;
- the same with ``tracemalloc`` on, over the newest ``--trace-rows`` entries (100,000 by
  default: tracemalloc slows Python down several times; its peak counts Python allocations
  only, and it stays the same whatever the number of rows);
- ``http csv``: the ``compliance:export`` view through Django's test ``Client``, reading the
  ``StreamingHttpResponse`` chunk by chunk, as a WSGI server would.

Each export's record must carry the digest of the bytes sent; the plain generator runs also
write the file to a temporary file and check it with ``manifest_verify``. Target: memory flat,
under 200 MB. The database is dropped at the end, also when the run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE = "portal_bench_export"
AUDITOR = "bench_auditor"


def _rss_mb() -> float:
    """Resident memory now, from /proc (Linux)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _maxrss_mb() -> float:
    """``ru_maxrss``. A child started by fork and exec inherits its parent's figure, so only
    an increase over the value at the child's start says something about the export."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


def _peak_rss_mb() -> float:
    """The peak resident memory of this process image since exec (``VmHWM``, Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6  # kB there means KiB
    return 0.0


# --- filling the log --------------------------------------------------------------------------


def populate(total: int) -> None:
    """Write ``total`` chained entries with COPY, hashed as audit_record hashes them."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import Role
    from audit.encoding import entry_hash, normalise_data
    from audit.models import GENESIS_HASH

    auditor = User.objects.create_user(username=AUDITOR, password=None)
    auditor.groups.add(Group.objects.get(name=Role.COMPLIANCE_AUDITOR))
    officers = [User.objects.create_user(username=f"bench_officer{n}") for n in range(8)]
    actions = [
        ("credit_line.block_lifted", "scoring.creditline"),
        ("decision.approved", "cases.decision"),
        ("case.opened", "cases.case"),
        ("assessment.succeeded", "scoring.assessment"),
    ]
    prev_hash = GENESIS_HASH
    moment = timezone.now() - timedelta(days=30)
    started = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection
    with (
        raw.cursor() as cursor,
        cursor.copy(
            "COPY compliance_auditentry (created_at, actor_id, actor_label, action, "
            "target_type, target_id, data, prev_hash, hash) FROM STDIN"
        ) as copy,
    ):
        for n in range(total):
            moment += timedelta(milliseconds=2, microseconds=n % 997)
            action, target_type = actions[n % len(actions)]
            officer = officers[n % len(officers)] if n % 3 else None
            data = normalise_data(
                {
                    "n": n,
                    "reason_code": "THIN_FILE" if n % 2 else "DEVICE_ANOMALY",
                    "usable_limit": f"{(n % 50) * 1000}.00",
                    "phone_masked": "138****5678",
                    "name_masked": "张*",
                }
            )
            fields: dict[str, Any] = {
                "created_at": moment,
                "actor_id": officer.pk if officer else None,
                "actor_label": officer.username if officer else "system:bench_export",
                "action": action,
                "target_type": target_type,
                "target_id": str(n % 50_000),
                "data": data,
            }
            digest = entry_hash(prev_hash=prev_hash, **fields)
            copy.write_row(
                (
                    moment,
                    fields["actor_id"],
                    fields["actor_label"],
                    action,
                    target_type,
                    fields["target_id"],
                    json.dumps(data, ensure_ascii=False),
                    prev_hash,
                    digest,
                )
            )
            prev_hash = digest
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE compliance_auditentry")
    elapsed = time.perf_counter() - started
    print(f"inserted {total:,} chained entries with COPY in {elapsed:.1f} s")


def verify() -> None:
    from audit.verify import verify_chain

    started = time.perf_counter()
    report = verify_chain(batch_size=5000)
    elapsed = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"the chain is broken at entry {report.first_bad}: {report.reason}")
    rate = report.entries_checked / elapsed
    print(f"chain verified: {report.entries_checked:,} entries in {elapsed:.1f} s ({rate:,.0f}/s)")


# --- one measurement (in a child process) -----------------------------------------------------


def measure(mode: str, fmt: str, trace: int) -> dict[str, Any]:
    import hashlib
    import tempfile
    import tracemalloc

    import django

    django.setup()
    from django.db import connection

    from accounts.models import User
    from audit.models import AuditEntry
    from compliance.exports.services import export_start
    from compliance.exports.signing import export_manifest
    from compliance.exports.verify import manifest_verify
    from compliance.models import ExportRecord

    auditor = User.objects.get(username=AUDITOR)
    params: dict[str, str] = {}
    if trace:  # tracemalloc slows Python down several times: export the newest ``trace`` rows
        since = AuditEntry.objects.order_by("-id").values_list("created_at", flat=True)[trace - 1]
        params["since"] = since.isoformat()
    connection.ensure_connection()
    client = None
    if mode == "http":
        from django.test import Client
        from django.urls import reverse

        client = Client(HTTP_HOST="localhost")
        client.force_login(auditor)
        url = reverse("compliance:export", args=["audit"])
    maxrss_before, rss_before = _maxrss_mb(), _rss_mb()
    samples: list[float] = []
    if trace:
        tracemalloc.start()
    digest = hashlib.sha256()
    # The file goes to disk only where the manifest is then checked against it.
    keep = None if trace or mode == "http" else tempfile.NamedTemporaryFile(delete=False)  # noqa: SIM115
    size = 0
    first_byte = None
    started = time.perf_counter()
    if client is not None:
        response = client.get(url, {**params, "format": fmt})
        chunks = response.streaming_content
        export_id = int(response["X-Export-Id"])
    else:
        record, chunks = export_start(actor=auditor, kind="audit", fmt=fmt, params=params)
        export_id = record.pk
    for number, chunk in enumerate(chunks):
        if first_byte is None:
            first_byte = time.perf_counter() - started
        digest.update(chunk)
        size += len(chunk)
        if keep is not None:
            keep.write(chunk)
        if number % 500 == 0:
            samples.append(_rss_mb())
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    samples.append(_rss_mb())
    if keep is not None:
        keep.close()
    record = ExportRecord.objects.get(pk=export_id)
    assert record.sha256 == digest.hexdigest(), "the record's digest differs from the bytes'"
    manifest = export_manifest(record)
    verified = None
    if keep is not None:
        verify_started = time.perf_counter()
        result = manifest_verify(keep.name, manifest)
        verified = time.perf_counter() - verify_started
        os.unlink(keep.name)
        assert result.ok, result.problems
    return {
        "mode": mode,
        "format": fmt,
        "trace": trace,
        "rows": record.rows,
        "bytes": size,
        "seconds": elapsed,
        "first_byte": first_byte or 0.0,
        "rss_before": rss_before,
        "rss_samples": samples,
        "maxrss_delta": _maxrss_mb() - maxrss_before,
        "maxrss": _maxrss_mb(),
        "peak_rss": _peak_rss_mb(),
        "tracemalloc_peak": peak,
        "verify_seconds": verified,
    }


def _child(mode: str, fmt: str, trace: int) -> dict[str, Any]:
    arguments = [sys.executable, __file__, "--measure", mode, "--format", fmt]
    arguments += ["--trace", str(trace)]
    output = subprocess.run(
        arguments, check=True, capture_output=True, text=True, env=os.environ, cwd=BASE_DIR
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _report(result: dict[str, Any]) -> None:
    samples = result["rss_samples"]
    label = f"{result['mode']} {result['format']}" + (" +tracemalloc" if result["trace"] else "")
    line = (
        f"{label:<22} {result['rows']:>9,} rows  {result['bytes'] / 1e6:7.1f} MB  "
        f"{result['seconds']:6.1f} s  {result['rows'] / result['seconds']:>8,.0f} rows/s  "
        f"first byte {result['first_byte']:.2f} s  "
        f"RSS {result['rss_before']:.0f} → {min(samples):.0f}..{max(samples):.0f} MB  "
        f"peak RSS {result['peak_rss']:.0f} MB  ru_maxrss +{result['maxrss_delta']:.1f} MB"
    )
    if result["tracemalloc_peak"] is not None:
        line += f"  tracemalloc peak {result['tracemalloc_peak'] / 1e6:.1f} MB"
    if result["verify_seconds"] is not None:
        line += f"  manifest verified in {result['verify_seconds']:.1f} s"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="audit entries to export")
    parser.add_argument("--measure", choices=["generator", "http"], help=argparse.SUPPRESS)
    parser.add_argument("--format", default="csv", help=argparse.SUPPRESS)
    parser.add_argument(
        "--trace-rows",
        type=int,
        default=100_000,
        help="rows exported under tracemalloc (it slows Python down several times)",
    )
    parser.add_argument("--trace", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("PORTAL_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if args.measure:
        print(json.dumps(measure(args.measure, args.format, args.trace)))
        return

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _db import scratch_database

    with scratch_database(DATABASE):
        from django.db import connection

        print(
            f"PostgreSQL {connection.cursor().connection.info.server_version}, database {DATABASE}"
        )
        populate(args.rows)
        verify()
        connection.close()
        for mode, fmt, trace in [
            ("generator", "csv", 0),
            ("generator", "json", 0),
            ("http", "csv", 0),
            ("generator", "csv", min(args.trace_rows, args.rows)),
            ("generator", "json", min(args.trace_rows, args.rows)),
        ]:
            _report(_child(mode, fmt, trace))


if __name__ == "__main__":
    main()
