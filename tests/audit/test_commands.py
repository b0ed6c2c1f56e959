"""manage.py audit_verify: prints the outcome, exits 1 when the chain is broken."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import User
from audit.log import audit_record
from audit.models import AuditEntry, ChainVerification

pytestmark = pytest.mark.django_db


def _write(count: int, officer: User) -> list[AuditEntry]:
    return [
        audit_record(actor=officer, action="case.reassessed", target=None) for _ in range(count)
    ]


def test_audit_verify_reports_an_intact_chain_and_exits_zero(officer: User) -> None:
    _write(4, officer)
    out = StringIO()

    call_command("audit_verify", stdout=out)

    lines = out.getvalue().splitlines()
    assert "ok: yes" in lines
    assert "entries checked: 4" in lines
    verification = ChainVerification.objects.get()
    assert verification.actor is None
    assert verification.actor_label == "system:audit_verify"
    assert AuditEntry.objects.latest("id").actor_label == "system:audit_verify"


def test_audit_verify_names_the_first_bad_entry_and_exits_one(officer: User, tamper: Any) -> None:
    entries = _write(5, officer)
    tamper("UPDATE compliance_auditentry SET target_id = '99' WHERE id = %s", [entries[3].id])
    out, err = StringIO(), StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("audit_verify", "--batch-size", "2", stdout=out, stderr=err)

    assert exited.value.code == 1
    lines = out.getvalue().splitlines()
    assert "ok: no" in lines
    assert "entries checked: 4" in lines
    assert f"first bad entry: {entries[3].id}" in lines
    assert any(line.startswith("reason: ") and "altered" in line for line in lines)
    assert "broken" in err.getvalue()
