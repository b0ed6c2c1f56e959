"""audit_record writes a hash chain; verify_chain walks it and finds the first bad entry."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from accounts.models import User
from audit.encoding import canonical_pieces
from audit.log import audit_record
from audit.models import GENESIS_HASH, AuditEntry, ChainVerification
from audit.services import audit_chain_verify
from audit.verify import REASON_ALTERED, REASON_ANCHOR_MISSING, REASON_BROKEN_LINK, verify_chain
from portal.permissions import SystemActor
from tests.backends import ON_POSTGRESQL, takes_branch

pytestmark = pytest.mark.django_db


def _write(count: int, actor: Any) -> list[AuditEntry]:
    return [
        audit_record(
            actor=actor, action="case.note_added", target=("test.thing", str(n)), data={"n": n}
        )
        for n in range(count)
    ]


def test_audit_record_links_each_entry_to_the_previous_one(officer: User) -> None:
    first, second, third = _write(3, officer)

    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    assert first.id < second.id < third.id


def test_an_entry_records_the_actor_the_target_and_an_aware_utc_time(officer: User) -> None:
    entry = audit_record(
        actor=officer, action="credit_line.usable_limit_set", target=officer, data={"block": 7}
    )
    stored = AuditEntry.objects.get(pk=entry.pk)

    assert stored.actor == officer
    assert stored.actor_label == "officer"
    assert stored.target_type == "accounts.user"
    assert stored.target_id == str(officer.pk)
    assert stored.created_at.utcoffset() == dt.timedelta(0)
    assert stored.created_at == entry.created_at  # microseconds survive the round trip


def test_the_system_acts_under_a_system_label_without_a_user() -> None:
    entry = audit_record(
        actor=SystemActor("nightly_detection"), action="cases.detection_run", target=None
    )

    assert entry.actor is None
    assert entry.actor_label == "system:nightly_detection"
    assert (entry.target_type, entry.target_id) == ("", "")


def test_the_hash_is_sha256_over_the_documented_canonical_encoding(officer: User) -> None:
    entry = audit_record(
        actor=officer,
        action="case.note_added",
        target=("cases.case", 42),
        data={"b": 1, "a": "张*"},
    )
    canonical = json.dumps(
        {
            "prev_hash": entry.prev_hash,
            "created_at": entry.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor_id": officer.pk,
            "actor_label": "officer",
            "action": "case.note_added",
            "target_type": "cases.case",
            "target_id": "42",
            "data": {"a": "张*", "b": 1},
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert entry.hash == hashlib.sha256(canonical.encode()).hexdigest()


def _documented_hash(entry: AuditEntry) -> str:
    """The hash as the audit module's docstring defines it, computed here from scratch."""
    canonical = json.dumps(
        {
            "prev_hash": entry.prev_hash,
            "created_at": entry.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor_id": entry.actor_id,
            "actor_label": entry.actor_label,
            "action": entry.action,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "data": entry.data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _postgresql_hash(entry: AuditEntry) -> str:
    """The hash as ``audit.append_pg`` has the server compute it: SHA-256 over the
    canonical pieces spliced around the time (``to_char`` in UTC) and the previous hash."""
    one, two, three = canonical_pieces(
        actor_id=entry.actor_id,
        actor_label=entry.actor_label,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        data=entry.data,
    )
    at = entry.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"
    return hashlib.sha256((one + at + two + entry.prev_hash + three).encode("utf-8")).hexdigest()


def test_the_chain_either_path_builds_verifies_with_the_same_canonical_hashes(
    officer: User,
) -> None:
    payloads: list[tuple[Any, tuple[str, str] | None, dict[str, Any]]] = [
        (
            officer,
            ("cases.case", "42"),
            {"b": 1, "a": "张*", "nested": {"z": [1, "二"], "y": None}},
        ),
        (SystemActor("nightly"), None, {}),
        (officer, ("scoring.creditline", "9"), {"limit": Decimal("12000.50"), "ok": True}),
        (officer, ("test.thing", "é"), {"text": 'quote " back\\slash\nline\ttab 😀'}),
        (SystemActor("bulk"), ("scoring.bulkjob", "7"), {"big": 10**20, "neg": -3, "list": []}),
        (officer, ("test.thing", "1"), {"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}),
    ]
    table = AuditEntry._meta.db_table
    # PostgreSQL: the one-round-trip append under the advisory lock; elsewhere (SQLite,
    # `make run`): the ORM's INSERT, which names its columns quoted.
    with takes_branch(postgresql="pg_advisory_xact_lock", portable=f'INSERT INTO "{table}" ("'):
        written = [
            audit_record(actor=actor, action="customer.searched", target=target, data=data)
            for actor, target, data in payloads
        ]

    stored = list(AuditEntry.objects.order_by("id"))
    assert [e.pk for e in stored] == [e.pk for e in written]
    previous = GENESIS_HASH
    for entry, returned in zip(stored, written, strict=True):
        assert entry.hash == returned.hash
        assert entry.prev_hash == previous
        assert entry.hash == _documented_hash(entry) == _postgresql_hash(entry)
        previous = entry.hash
    report = verify_chain(batch_size=4)
    assert (report.ok, report.entries_checked) == (True, len(payloads))
    assert (report.last_id, report.last_hash) == (stored[-1].pk, stored[-1].hash)


def test_decimals_dates_uuids_nested_data_and_unicode_hash_the_same_after_a_round_trip(
    officer: User,
) -> None:
    token = uuid.uuid4()
    entry = audit_record(
        actor=officer,
        action="credit_line.recommendation_applied",
        target=("scoring.creditline", "9"),
        data={
            "before": {"usable_limit": Decimal("0.00"), "currency": "CNY"},
            "after": {"usable_limit": Decimal("12000.50")},
            "effective": dt.date(2026, 11, 23),
            "at": dt.datetime(2026, 11, 23, 8, 30, 1, 123456, tzinfo=dt.UTC),
            "request": token,
            "reasons": ("SCORE_BELOW_CUTOFF", "THIN_FILE"),
            "note_masked": "欧***",
            "count": 3,
            "flag": True,
            "none": None,
        },
    )
    stored = AuditEntry.objects.get(pk=entry.pk)

    assert stored.data["before"] == {"usable_limit": "0.00", "currency": "CNY"}
    assert stored.data["after"] == {"usable_limit": "12000.50"}
    assert stored.data["effective"] == "2026-11-23"
    assert stored.data["request"] == str(token)
    assert stored.data["reasons"] == ["SCORE_BELOW_CUTOFF", "THIN_FILE"]
    assert stored.data == entry.data
    assert verify_chain().ok


def test_floats_are_refused_because_they_may_not_survive_jsonb(officer: User) -> None:
    with pytest.raises(ValueError, match=r"limits\.ratio is a float"):
        audit_record(
            actor=officer, action="case.opened", target=None, data={"limits": {"ratio": 0.1}}
        )
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"name": "张三"},
        {"phone": "13812345678"},
        {"mobile": "13812345678"},
        {"national_id": "11010119900307123X"},
        {"id_number": "11010119900307123X"},
        {"customer_phone": "13812345678"},
        {"Email": "someone@example.com"},
        {"customer": {"passport": "E12345678"}},
        {"changes": [{"field": "x", "first_name": "三"}]},
    ],
)
def test_data_with_a_raw_personal_key_is_refused_naming_the_key(
    officer: User, data: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match="looks like raw personal data") as caught:
        audit_record(actor=officer, action="customer.corrected", target=None, data=data)

    message = str(caught.value)
    for value in ("张三", "13812345678", "11010119900307123X", "E12345678", "someone@"):
        assert value not in message
    assert not AuditEntry.objects.exists()


def test_masked_values_and_keyed_hashes_are_accepted(officer: User) -> None:
    entry = audit_record(
        actor=officer,
        action="customer.revealed",
        target=("scoring.customer", "1"),
        data={
            "phone_masked": "138****5678",
            "name_masked": "张*",
            "id_number_hash": "ab" * 32,
            "phone_last4": "5678",
            "fields": ["phone", "name"],
            "username": "officer",
        },
    )
    assert entry.pk is not None


@pytest.mark.parametrize("action", ["", "Block Lifted", "noaction", "x.", "x.y z"])
def test_an_action_must_be_a_dotted_lower_case_name(officer: User, action: str) -> None:
    with pytest.raises(ValueError, match="dotted lower case"):
        audit_record(actor=officer, action=action, target=None)


def test_an_entry_rolls_back_with_the_callers_transaction(officer: User) -> None:
    def change_that_fails_after_auditing() -> None:
        with transaction.atomic():
            audit_record(actor=officer, action="decision.applied", target=None)
            raise RuntimeError("the business change failed")

    with pytest.raises(RuntimeError):
        change_that_fails_after_auditing()

    assert not AuditEntry.objects.exists()
    entry = audit_record(actor=officer, action="decision.applied", target=None)
    assert entry.prev_hash == GENESIS_HASH


def test_verify_chain_passes_on_a_good_chain(officer: User) -> None:
    _write(12, officer)

    report = verify_chain(batch_size=5)

    assert report.ok
    assert report.entries_checked == 12
    assert report.first_bad is None
    assert report.reason == ""


def test_verify_chain_on_an_empty_log_is_ok_with_nothing_checked() -> None:
    report = verify_chain()
    assert (report.ok, report.entries_checked, report.first_bad) == (True, 0, None)


def test_verify_chain_names_the_first_altered_entry(officer: User, tamper: Any) -> None:
    entries = _write(10, officer)
    victim = entries[6]
    cast = "::jsonb" if ON_POSTGRESQL else ""  # SQLite keeps JSON as text
    tamper(
        f"UPDATE compliance_auditentry SET data = %s{cast} WHERE id = %s",
        ['{"n": 600}', victim.id],
    )

    report = verify_chain(batch_size=4)

    assert not report.ok
    assert report.first_bad == victim.id
    assert report.entries_checked == 7
    assert report.reason == REASON_ALTERED


def test_verify_chain_names_the_entry_after_a_removed_one(officer: User, tamper: Any) -> None:
    entries = _write(6, officer)
    tamper("DELETE FROM compliance_auditentry WHERE id = %s", [entries[2].id])

    report = verify_chain()

    assert not report.ok
    assert report.first_bad == entries[3].id
    assert report.reason == REASON_BROKEN_LINK


def test_verify_chain_notices_a_rewritten_hash_through_the_next_link(
    officer: User, tamper: Any
) -> None:
    entries = _write(5, officer)
    # A careful forger recomputes the altered entry's hash; the next entry still disagrees.
    tamper(
        "UPDATE compliance_auditentry SET action = 'test.forged', hash = %s WHERE id = %s",
        ["f" * 64, entries[1].id],
    )

    report = verify_chain()

    assert not report.ok
    assert report.first_bad == entries[1].id


def test_a_cut_tail_is_found_against_the_last_good_verification(auditor: User, tamper: Any) -> None:
    entries = _write(5, auditor)
    good = audit_chain_verify(actor=auditor)
    assert good.ok
    assert good.entries_checked == 5
    # Remove the tail: the verification's own audit entry and the last written entry.
    tamper("DELETE FROM compliance_auditentry WHERE id >= %s", [entries[-1].id])

    broken = audit_chain_verify(actor=auditor)

    assert not broken.ok
    assert broken.first_bad == good.last_id
    assert broken.reason == REASON_ANCHOR_MISSING


def test_a_verification_is_stored_and_audited(auditor: User) -> None:
    _write(3, auditor)

    verification = audit_chain_verify(actor=auditor)

    assert ChainVerification.objects.get() == verification
    assert (verification.ok, verification.entries_checked, verification.first_bad) == (
        True,
        3,
        None,
    )
    assert verification.actor == auditor
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "audit.chain_verified"
    assert entry.target_type == "compliance.chainverification"
    assert entry.target_id == str(verification.pk)
    assert entry.data["ok"] is True
    assert entry.data["entries_checked"] == 3


def test_only_a_holder_of_the_verify_permission_can_verify(officer: User) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        audit_chain_verify(actor=officer)
    assert not ChainVerification.objects.exists()


# --- commit=True: the append and the COMMIT in one round trip -------------------------------


def _in_transaction() -> bool:
    """Whether the database (not Django's bookkeeping) has a transaction open."""
    from django.db import connection

    if not ON_POSTGRESQL:
        return bool(connection.connection.in_transaction)  # sqlite3's own flag
    from psycopg.pq import TransactionStatus

    return connection.connection.info.transaction_status != TransactionStatus.IDLE


@pytest.mark.django_db(transaction=True)
def test_commit_true_ends_the_callers_transaction_with_the_append(officer: User) -> None:
    hooks: list[str] = []
    with transaction.atomic():
        AuditEntry.objects.count()  # the transaction has begun on the server
        transaction.on_commit(lambda: hooks.append("ran"))
        entry = audit_record(actor=officer, action="case.claimed", target=None, commit=True)
        # PostgreSQL: committed by the append's own round trip. Elsewhere the flag changes
        # nothing: the block's exit commits.
        assert _in_transaction() is not ON_POSTGRESQL
    assert hooks == ["ran"]  # the block's exit still runs on_commit hooks
    assert AuditEntry.objects.filter(pk=entry.pk, hash=entry.hash).exists()
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_commit_true_inside_a_nested_block_commits_nothing_early(officer: User) -> None:
    class Undo(Exception):
        pass

    still_open: list[bool] = []

    def nested() -> None:
        with transaction.atomic():
            with transaction.atomic():  # a savepoint: not the transaction's last statement
                audit_record(actor=officer, action="case.released", target=None, commit=True)
            still_open.append(_in_transaction())
            raise Undo

    with pytest.raises(Undo):
        nested()
    assert still_open == [True]
    assert not AuditEntry.objects.filter(action="case.released").exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_append_with_commit_true_rolls_the_callers_change_back(officer: User) -> None:
    # A row already links to the last hash (a fork, given a low id so it is not "last"):
    # the database refuses the append, the COMMIT after it never runs, the change goes too.
    from django.db import IntegrityError, connection

    last = audit_record(actor=officer, action="case.opened", target=None)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO compliance_auditentry (id, created_at, actor_label, action,"
            " target_type, target_id, data, prev_hash, hash)"
            " VALUES (-1, %s, 'x', 'test.fork', '', '', '{}', %s, %s)",
            [last.created_at, last.hash, "f" * 64],
        )

    def change_and_append() -> None:
        with transaction.atomic():
            User.objects.filter(pk=officer.pk).update(first_name="Changed")
            audit_record(actor=officer, action="case.attached", target=None, commit=True)

    with pytest.raises(IntegrityError):
        change_and_append()
    officer.refresh_from_db()
    assert officer.first_name != "Changed"
    assert not AuditEntry.objects.filter(action="case.attached").exists()
