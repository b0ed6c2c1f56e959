"""Concurrent writers, each on its own connection, never fork the chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from audit.log import audit_record
from audit.models import GENESIS_HASH, AuditEntry
from audit.verify import verify_chain
from portal.permissions import SystemActor

WRITERS = 16
ENTRIES_EACH = 25


# serialized_rollback: the flush afterwards skips post_migrate, and the migrated data (role
# groups, permissions) is reloaded, so later transactional tests still find it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixteen_concurrent_writers_leave_one_unbroken_chain_of_400_entries() -> None:
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait(timeout=30)
            for n in range(ENTRIES_EACH):
                if n % 5 == 0:
                    # Some entries are written inside a longer business transaction.
                    with transaction.atomic():
                        audit_record(
                            actor=SystemActor(f"writer{number}"),
                            action="case.note_added",
                            target=("test.writer", str(number)),
                            data={"n": n, "in_transaction": True},
                        )
                        AuditEntry.objects.exists()
                else:
                    audit_record(
                        actor=SystemActor(f"writer{number}"),
                        action="case.note_added",
                        target=("test.writer", str(number)),
                        data={"n": n},
                    )
        except BaseException as exc:  # noqa: BLE001  (a thread's error, re-raised in the main thread)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    report = verify_chain(batch_size=64)
    assert report.ok, report
    assert report.entries_checked == WRITERS * ENTRIES_EACH
    rows = list(AuditEntry.objects.order_by("id").values_list("prev_hash", "hash", "created_at"))
    assert rows[0][0] == GENESIS_HASH
    assert len({prev for prev, _, _ in rows}) == len(rows)  # no two children of one parent
    times = [created for _, _, created in rows]
    assert times == sorted(times)  # id order, chain order and time order agree
    per_writer = {
        label: AuditEntry.objects.filter(actor_label=label).count()
        for label in {f"system:writer{i}" for i in range(WRITERS)}
    }
    assert set(per_writer.values()) == {ENTRIES_EACH}
