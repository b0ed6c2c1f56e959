"""The command line of a Celery worker that a benchmark starts next to the portal."""

from __future__ import annotations

import sys


def worker_argv(*options: str, concurrency: int = 1) -> list[str]:
    """A quiet worker with ``concurrency`` pool processes: no gossip, mingle or heartbeat
    (one worker, nothing to coordinate with), plus ``options`` (queues, hostname)."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--loglevel=WARNING",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        *options,
    ]
