"""Which database the suite runs on, and proof that a fast path or its fallback was taken.

The suite runs twice: against PostgreSQL (``make pytest``) and against SQLite with jobs
in-process (``make pytest-sqlite``, as ``make run``). The raw-SQL fast paths branch on
``connection.vendor``; a test of one of them says which branch ran by the SQL it sent, so a
run on either database cannot pass by quietly exercising the other branch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext

ON_POSTGRESQL = connection.vendor == "postgresql"


@contextmanager
def takes_branch(*, postgresql: str, portable: str) -> Iterator[CaptureQueriesContext]:
    """Around code with a vendor branch: on PostgreSQL some statement must contain
    ``postgresql`` and none ``portable``; on any other database the other way round."""
    with CaptureQueriesContext(connection) as captured:
        yield captured
    taken, skipped = (postgresql, portable) if ON_POSTGRESQL else (portable, postgresql)
    statements = [query["sql"] for query in captured.captured_queries]
    assert any(taken in sql for sql in statements), (
        f"on {connection.vendor} no statement contains {taken!r}: the branch was not taken"
    )
    assert not any(skipped in sql for sql in statements), (
        f"on {connection.vendor} a statement contains {skipped!r}: the other branch ran"
    )
