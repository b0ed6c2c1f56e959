"""``manage.py seed_demo``: deterministic, realistic, idempotent, encrypted, audited."""

from __future__ import annotations

import re
from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from audit.models import AuditEntry
from scoring.demo import generation, row_writer
from scoring.demo.generation import generate_customers
from scoring.demo.reference import id_check_digit
from scoring.models import (
    Block,
    CreditLine,
    CreditLineState,
    Customer,
    CustomerFeatures,
    ReasonCode,
)
from scoring.scorecards.default import default_scorecard_fields
from scoring.scorecards.engine import compile_spec, score
from scoring.scorecards.features import FEATURE_FIELDS
from scoring.selectors import credit_lines_shown_but_unusable
from tests.backends import takes_branch

pytestmark = pytest.mark.django_db

MOBILE = re.compile(r"1(3[0-9]|5[0-35-9]|8[0-9]|9[0-35-9])[0-9]{8}")
CHINESE_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """The demo accounts get Argon2 hashes in real runs; these tests need not wait for it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _seed(**options: Any) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def _snapshot() -> list[tuple[Any, ...]]:
    """Everything the seed decides, in plain values (times excepted: they follow the clock)."""
    rows = []
    for customer in (
        Customer.objects.order_by("external_id")
        .select_related("features")
        .prefetch_related("credit_lines__blocks")
    ):
        lines = sorted(
            (
                line.product,
                line.state,
                line.granted_limit,
                line.usable_limit,
                tuple(
                    sorted(
                        (b.reason_code, b.source, b.raised_by_label, b.lifted_at is None)
                        for b in line.blocks.all()
                    )
                ),
            )
            for line in customer.credit_lines.all()
        )
        rows.append(
            (
                customer.external_id,
                customer.name,
                customer.phone,
                customer.national_id,
                customer.city,
                customer.consent_financial_info,
                tuple(lines),
                tuple(
                    getattr(customer.features, name)
                    for name in FEATURE_FIELDS
                    if name != "kyc_expires_on"  # relative to the seeding day
                ),
            )
        )
    return rows


def _seed_and_roll_back(**options: Any) -> list[tuple[Any, ...]]:
    """Seed into a fresh state (a savepoint), read it back, then undo it."""
    with transaction.atomic():
        _seed(**options)
        snapshot = _snapshot()
        transaction.set_rollback(True)
    assert not Customer.objects.exists()
    return snapshot


def test_the_same_seed_gives_the_same_customers_byte_for_byte() -> None:
    first = _seed_and_roll_back(customers=40, seed=7)
    second = _seed_and_roll_back(customers=40, seed=7)
    assert len(first) == 40
    assert first == second
    assert _seed_and_roll_back(customers=40, seed=8) != first


# PostgreSQL only: the reference is the COPY path, which only PostgreSQL has (on SQLite both
# runs would take bulk_create); the next tests check the rows on either database.
@pytest.mark.postgres_only
def test_the_sqlite_path_writes_the_same_data_as_postgresql_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copied = _seed_and_roll_back(customers=30, seed=11)
    monkeypatch.setattr(row_writer, "can_copy", lambda: False)  # bulk_create, as on SQLite
    assert _seed_and_roll_back(customers=30, seed=11) == copied


def test_a_smaller_population_is_a_prefix_of_a_larger_one() -> None:
    small = list(generate_customers(count=20, seed=3))
    large = list(generate_customers(count=50, seed=3))
    assert large[:20] == small


def test_demo_people_look_real() -> None:
    people = list(generate_customers(count=500, seed=20261123))
    assert len({p.phone for p in people}) == 500
    assert len({p.national_id for p in people}) == 500
    for person in people:
        assert CHINESE_NAME.fullmatch(person.name), person.external_id
        assert MOBILE.fullmatch(person.phone), person.external_id
        assert len(person.national_id) == 18
        assert person.national_id[17] == id_check_digit(person.national_id[:17])
    assert len({p.city for p in people}) > 20


def test_the_spread_covers_every_reason_code_and_state_with_most_lines_healthy() -> None:
    people = list(generate_customers(count=2000, seed=20261123))
    lines = [line for person in people for line in person.lines]
    active_reasons = Counter(
        b.reason_code for line in lines for b in line.blocks if b.lifted_ago is None
    )
    assert set(active_reasons) == set(ReasonCode.values)
    assert {line.state for line in lines} == set(CreditLineState.values)
    unusable = [
        line
        for line in lines
        if line.granted > 0
        and line.state != CreditLineState.CLOSED
        and (line.usable == 0 or any(b.lifted_ago is None for b in line.blocks))
    ]
    assert 0.08 < len(unusable) / len(lines) < 0.30
    assert any(b.lifted_ago is not None for line in lines for b in line.blocks)
    assert any(line.usable == 0 and not line.blocks for line in unusable)


def test_seeding_writes_history_one_audit_entry_and_prints_the_demo_accounts(
    settings: Any,
) -> None:
    # PostgreSQL: ids from the sequences, rows by COPY; elsewhere (SQLite, `make run`):
    # bulk_create. Either way the same rows follow.
    with takes_branch(
        postgresql="pg_get_serial_sequence",
        portable=f'INSERT INTO "{Customer._meta.db_table}" (',
    ):
        output = _seed(customers=60, seed=5)

    assert Customer.objects.count() == 60
    assert Customer.history.count() == 60
    assert CustomerFeatures.objects.count() == 60
    assert CustomerFeatures.history.count() == 60
    assert CreditLine.history.count() == CreditLine.objects.count() > 60
    lifted = Block.objects.filter(lifted_at__isnull=False).count()
    assert Block.history.count() == Block.objects.count() + lifted
    reasons = set(Customer.history.values_list("history_change_reason", flat=True))
    assert reasons == {"demo.seeded by system:seed_demo"}
    (entry,) = AuditEntry.objects.filter(action="demo.seeded")
    assert entry.actor is None
    assert entry.actor_label == "system:seed_demo"
    assert entry.data["customers"] == 60
    assert entry.data["credit_lines"] == CreditLine.objects.count()
    for username in ("officer", "supervisor", "auditor", "privacy", "admin"):
        assert re.search(rf"^\s+{username}\s+\w+\s+{settings.PORTAL_DEMO_PASSWORD}$", output, re.M)
    assert f"Credit lines shown but unusable: {credit_lines_shown_but_unusable().count()}" in output


def test_seeded_personal_data_is_never_stored_in_plain_text() -> None:
    _seed(customers=25, seed=9)
    plain = list(Customer.objects.values_list("name", "phone", "national_id"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, phone, national_id FROM scoring_customer "
            "UNION ALL SELECT name, phone, national_id FROM scoring_historicalcustomer"
        )
        raw = [value for row in cursor.fetchall() for value in row]
    assert len(raw) == 25 * 3 * 2
    assert all(value.startswith("gAAAAA") for value in raw)
    stored = "\n".join(raw)
    for values in plain:
        for value in values:
            assert value not in stored


def test_seeding_again_with_the_same_seed_is_refused_and_changes_nothing() -> None:
    _seed(customers=10, seed=4)
    with pytest.raises(CommandError, match="already exist"):
        _seed(customers=10, seed=4)
    assert Customer.objects.count() == 10
    assert AuditEntry.objects.filter(action="demo.seeded").count() == 1


def test_if_empty_keeps_existing_customers_and_still_prints_the_accounts() -> None:
    _seed(customers=10, seed=4)
    output = _seed(customers=10, seed=99, if_empty=True)
    assert "keeping them" in output
    assert "officer" in output
    assert Customer.objects.count() == 10


def test_another_seed_adds_a_disjoint_population() -> None:
    _seed(customers=10, seed=4)
    _seed(customers=10, seed=5)
    assert Customer.objects.count() == 20
    assert Customer.objects.filter(external_id__startswith="DEMO-5-").count() == 10


def test_an_officer_blocks_name_the_demo_officer_who_raised_them() -> None:
    _seed(customers=400, seed=20261123)
    by_officer = Block.objects.filter(source="officer")
    assert by_officer.exists()
    assert set(by_officer.values_list("raised_by__username", flat=True)) <= {
        "officer",
        "officer2",
        "supervisor",
    }
    assert not Block.objects.exclude(source="officer").filter(raised_by__isnull=False).exists()


def _rule_codes(person: generation.DemoCustomer) -> set[str]:
    """Block rules of the default scorecard that the person's seeded features hit."""
    spec = default_scorecard_fields()
    compiled = compile_spec(
        base_points=spec["base_points"],
        cutoff=spec["cutoff"],
        characteristics=spec["characteristics"],
        limit_policy=spec["limit_policy"],
        block_rules=spec["block_rules"],
    )
    f = person.features
    assert f is not None
    snapshot = {
        "monthly_income": f.monthly_income,
        "months_on_book": f.months_on_book,
        "bureau_accounts": f.bureau_accounts,
        "utilisation": None if f.utilisation_bp is None else f.utilisation_bp / 10_000,
        "delinquencies_12m": f.delinquencies_12m,
        "device_changes_30d": f.device_changes_30d,
        "distance_from_usual_city_km": f.distance_km,
        "identity_consistency": None if f.identity_permille is None else f.identity_permille / 1000,
        "attempts_24h": f.attempts_24h,
        "kyc_days_left": f.kyc_expires_in_days,
        "consent_active": person.consent,
    }
    return {hit["code"] for hit in score(compiled, snapshot).rule_hits}


def test_seeded_features_agree_with_each_customers_blocks() -> None:
    people = list(generate_customers(count=2000, seed=20261123))
    rule_caused = {
        ReasonCode.DEVICE_ANOMALY,
        ReasonCode.GEO_ANOMALY,
        ReasonCode.VELOCITY,
        ReasonCode.DATA_MISMATCH,
        ReasonCode.KYC_EXPIRED,
        ReasonCode.THIN_FILE,
    }
    checked = 0
    for person in people:
        active = {
            b.reason_code for line in person.lines for b in line.blocks if b.lifted_ago is None
        }
        hits = _rule_codes(person)
        # Every rule-type block is explained by the features the default scorecard reads.
        assert active & rule_caused <= hits, person.external_id
        if not active and person.consent:
            # A customer with nothing against them hits no block rule.
            assert hits == set(), person.external_id
            checked += 1
    assert checked > 1000


def test_with_assessments_every_new_customer_is_scored_once_on_the_champion() -> None:
    from audit.models import AuditEntry
    from scoring.models import Assessment, AssessmentStatus, AssessmentTrigger, Scorecard

    call_command("seed_demo", customers=60, seed=7, with_assessments=True, stdout=StringIO())

    champion = Scorecard.objects.get(is_champion=True)
    assessments = list(Assessment.objects.all())
    assert len(assessments) == 60
    assert {a.customer_id for a in assessments} == set(
        Customer.objects.values_list("pk", flat=True)
    )
    assert {a.trigger for a in assessments} == {AssessmentTrigger.SCHEDULED}
    assert {a.scorecard_id for a in assessments} == {champion.pk}
    succeeded = [a for a in assessments if a.status == AssessmentStatus.SUCCEEDED]
    assert succeeded
    for a in succeeded:
        assert sum(c["points"] for c in a.contributions) == a.score
    for a in assessments:
        if a.status == AssessmentStatus.FAILED:
            assert a.error  # a customer without consent says why
    assert Assessment.history.filter(history_type="+").count() == 60
    (batch,) = AuditEntry.objects.filter(action="assessment.scheduled_batch")
    assert batch.data["assessments"] == 60
