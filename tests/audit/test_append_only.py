"""The database itself refuses to change or remove audit entries."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import User
from audit.log import audit_record
from audit.models import AuditEntry
from portal.permissions import SystemActor

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(officer: User) -> AuditEntry:
    audit_record(actor=SystemActor("test"), action="case.opened", target=None)
    return audit_record(actor=officer, action="case.attached", target=("test.thing", "1"))


def _sql(statement: str, params: list[object] | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def test_a_plain_update_of_an_audit_entry_fails(entry: AuditEntry) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("UPDATE compliance_auditentry SET action = 'test.forged' WHERE id = %s", [entry.id])
    assert AuditEntry.objects.get(pk=entry.pk).action == "case.attached"


def test_an_update_through_the_orm_fails(entry: AuditEntry) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(data={"forged": True})
    entry.action = "test.forged"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).action == "case.attached"


def test_a_plain_delete_of_an_audit_entry_fails(entry: AuditEntry) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("DELETE FROM compliance_auditentry WHERE id = %s", [entry.id])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 2


# serialized_rollback: the flush afterwards skips post_migrate, and the migrated data (role
# groups, permissions) is reloaded, so later transactional tests still find it.
# PostgreSQL only: SQLite has no TRUNCATE (its DELETE, refused above, is the only way).
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_truncating_the_audit_table_fails(officer: User) -> None:
    # Committed rows, then TRUNCATE in a transaction of its own (as an intruder would).
    audit_record(actor=SystemActor("test"), action="case.opened", target=None)
    audit_record(actor=officer, action="case.attached", target=("test.thing", "1"))
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("TRUNCATE compliance_auditentry")
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("TRUNCATE compliance_auditentry CASCADE")
    assert AuditEntry.objects.count() == 2


def test_the_refusal_is_an_integrity_error_with_a_clear_message(entry: AuditEntry) -> None:
    from django.db import IntegrityError

    with pytest.raises(IntegrityError) as caught:
        _sql("DELETE FROM compliance_auditentry")
    assert "audit entries cannot be changed or deleted (DELETE refused)" in str(caught.value)


def test_inserting_a_fork_of_the_chain_fails(entry: AuditEntry) -> None:
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.create(
            created_at=entry.created_at,
            actor_label="forger",
            action="test.fork",
            prev_hash=entry.prev_hash,  # a second child of the same parent
            hash="e" * 64,
        )
