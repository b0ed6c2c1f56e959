"""The layout's model moves keep the data: a database populated on the old layout (the audit
log and the access log in ``compliance``, feedback, signals and channels in ``cases``)
migrates forward without losing a row, a permission grant or an audit entry's type."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.roles import Role
from audit.models import AuditEntry
from intake.models import Channel, Feedback, Signal
from scoring.customers.access import PersonalDataAccess
from tests.factories.scoring import CreditLineFactory

# The last migration of each app before the moves.
BEFORE = [
    ("compliance", "0008_audit_data_customer_index"),
    ("cases", "0005_intake_permissions"),
    ("scoring", "0007_usable_limit_permission"),
]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_a_populated_database_from_before_the_moves_migrates_forward_without_loss() -> None:
    line = CreditLineFactory()
    customer_id = line.customer_id
    executor = _migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user_model = old.get_model("accounts", "User")
    actor = user_model.objects.create(username="old_layout_officer")
    entry = old.get_model("compliance", "AuditEntry").objects.create(
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        actor_id=actor.pk,
        actor_label=actor.username,
        action="case.claimed",
        target_type="cases.feedback",
        target_id="1",
        data={"case": 1},
        prev_hash="a" * 64,
        hash="b" * 64,
    )
    access = old.get_model("compliance", "PersonalDataAccess").objects.create(
        actor_id=actor.pk,
        actor_label=actor.username,
        customer_id=customer_id,
        fields=["phone"],
        purpose="checking the number before calling back",
        source="page",
    )
    channel = old.get_model("cases", "Channel").objects.create(
        code="bank_app", name="Bank app", kind="partner"
    )
    feedback = old.get_model("cases", "Feedback").objects.create(
        reference="FB-OLD-0001",
        kind="limit_unusable",
        channel_id=channel.pk,
        consent_version="2026-11",
        consent_at=datetime(2026, 11, 1, tzinfo=UTC),
        language="zh-hans",
    )
    signal = old.get_model("cases", "Signal").objects.create(
        channel_id=channel.pk,
        event_id="evt-old-1",
        kind="payment_declined",
        customer_id=customer_id,
        occurred_at=datetime(2026, 11, 2, tzinfo=UTC),
    )

    _migrate(_latest())

    assert AuditEntry.objects.get(pk=entry.pk).hash == "b" * 64
    assert AuditEntry.objects.get(pk=entry.pk).target_type == "cases.feedback"
    assert PersonalDataAccess.objects.get(pk=access.pk).purpose.startswith("checking")
    assert Channel.objects.get(pk=channel.pk).code == "bank_app"
    assert Feedback.objects.get(pk=feedback.pk).reference == "FB-OLD-0001"
    assert Signal.objects.get(pk=signal.pk).event_id == "evt-old-1"
    # The roles keep their grants: the permissions followed their content types.
    auditor = Group.objects.get(name=Role.COMPLIANCE_AUDITOR)
    granted = set(auditor.permissions.values_list("content_type__app_label", "codename"))
    assert ("audit", "view_auditentry") in granted
    assert ("audit", "verify_audit_chain") in granted
    assert ("scoring", "view_personaldataaccess") in granted
    assert not any(app == "compliance" and "auditentry" in code for app, code in granted)
    officer = Group.objects.get(name=Role.RISK_OFFICER)
    assert ("intake", "change_feedback") in set(
        officer.permissions.values_list("content_type__app_label", "codename")
    )
