"""Every action the portal writes is an ``AuditAction``: a scan of the apps' code finds each
code passed to ``audit_record``, ``change_reason``, ``record_change`` (and ``case_bump``'s
reason) and checks it is listed; an unlisted code is refused before anything is written;
``record_change`` writes the history row and the entry with the same code; the auditor's
action filter offers the list, and the API refuses anything else by field."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import cast

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from audit.actions import AuditAction, action_families, action_label, ensure_action
from audit.changes import record_change
from audit.history_rows import change_reason
from audit.log import audit_record
from audit.models import AuditEntry
from portal.permissions import SystemActor
from scoring.models import Customer
from tests.factories.scoring import CustomerFactory

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "audit", "cases", "compliance", "intake", "scoring", "portal")
# The function, and the keyword (or first positional argument) that carries the code.
CARRIERS = {
    "audit_record": "action",
    "change_reason": "action",
    "record_change": "action",
    "case_bump": "reason",
}


def _app_modules() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _written_codes() -> list[tuple[str, int, str]]:
    """(module, line, code) for every literal or ``AuditAction.X`` that the apps pass as
    an action; an ``AuditAction.X`` that is no member reads ``AuditAction.X``."""
    found = []
    for path in _app_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _called_name(node)
            if name not in CARRIERS:
                continue
            values = [k.value for k in node.keywords if k.arg == CARRIERS[name]]
            if name == "change_reason" and node.args:
                values.append(node.args[0])
            where = str(path.relative_to(ROOT))
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found.append((where, node.lineno, value.value))
                elif (
                    isinstance(value, ast.Attribute)
                    and isinstance(value.value, ast.Name)
                    and value.value.id == "AuditAction"
                ):
                    member = AuditAction.__members__.get(value.attr)
                    code = str(member.value) if member else f"AuditAction.{value.attr}"
                    found.append((where, node.lineno, code))
    return found


def test_every_action_the_apps_write_is_an_audit_action() -> None:
    written = _written_codes()

    assert len(written) > 80  # the scan reads the services (a broken scan finds nothing)
    assert {code for _where, _line, code in written} >= {"case.claimed", "block.lifted"}
    unknown = [
        f"{where}:{line}: {code}" for where, line, code in written if code not in AuditAction.values
    ]
    assert unknown == []


def test_every_code_is_dotted_lower_case_and_labelled() -> None:
    for member in AuditAction:
        assert member.value == member.value.lower()
        assert "." in member.value
        assert str(member.label).strip()
    assert len(set(AuditAction.values)) == len(AuditAction.values)


@pytest.mark.django_db
def test_audit_record_refuses_a_code_that_is_not_listed(officer: User) -> None:
    with pytest.raises(ValueError, match="not an AuditAction"):
        audit_record(actor=officer, action="case.escalated", target=None)

    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("code", ["case.escalated", "credit_line.block_lifted", ""])
def test_change_reason_refuses_a_code_that_is_not_listed(code: str) -> None:
    with pytest.raises(ValueError, match="AuditAction"):
        change_reason(code, SystemActor("rules"))


def test_ensure_action_gives_the_plain_code() -> None:
    assert ensure_action(AuditAction.CASE_CLAIMED) == "case.claimed"
    assert type(ensure_action(AuditAction.CASE_CLAIMED)) is str
    assert ensure_action("block.lifted") == "block.lifted"


def test_change_reason_names_the_system_and_the_record_referred_to() -> None:
    rules = SystemActor("rules")

    assert change_reason(AuditAction.BLOCK_RAISED, rules, "VELOCITY") == (
        "block.raised by system:rules: VELOCITY"
    )
    assert change_reason(AuditAction.DECISION_APPLIED, None, ref="#7") == "decision.applied #7"


@pytest.mark.django_db
def test_record_change_refuses_an_unlisted_code_before_saving(officer: User) -> None:
    customer: Customer = CustomerFactory.build()

    with pytest.raises(ValueError, match="not an AuditAction"):
        record_change(customer, actor=officer, action="customer.updated")

    assert customer.pk is None or not Customer.objects.filter(pk=customer.pk).exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_record_change_writes_the_history_row_and_the_entry_with_one_code(officer: User) -> None:
    customer = cast(Customer, CustomerFactory())
    customer.city = "杭州"

    saved = record_change(
        customer,
        actor=officer,
        action=AuditAction.CUSTOMER_CORRECTED,
        detail="privacy request #4",
        update_fields=["city", "updated_at"],
        data=lambda: {"fields": ["city"], "city_now": Customer.objects.get(pk=customer.pk).city},
    )

    assert saved is customer
    version = customer.history.latest()
    assert version.history_user == officer
    assert version.history_change_reason == "customer.corrected: privacy request #4"
    assert version.city == "杭州"
    entry = AuditEntry.objects.get()
    assert entry.action == "customer.corrected"
    assert (entry.target_type, entry.target_id) == ("scoring.customer", str(customer.pk))
    assert entry.data == {"fields": ["city"], "city_now": "杭州"}  # data read after the save


@pytest.mark.django_db
def test_record_change_names_the_system_in_the_reason_and_takes_another_target() -> None:
    customer = cast(Customer, CustomerFactory())
    customer.city = "苏州"

    record_change(
        customer,
        actor=SystemActor("partner_api"),
        action=AuditAction.CUSTOMER_CORRECTED,
        update_fields=["city"],
        target=("scoring.creditline", "9"),
    )

    version = customer.history.latest()
    assert version.history_user is None
    assert version.history_change_reason == "customer.corrected by system:partner_api"
    entry = AuditEntry.objects.get()
    assert (entry.actor_label, entry.target_type, entry.target_id) == (
        "system:partner_api",
        "scoring.creditline",
        "9",
    )


def test_action_label_gives_the_label_and_an_unlisted_old_code_as_it_is() -> None:
    with translation.override("en"):
        assert action_label("case.claimed") == "Case claimed"
        assert action_label(AuditAction.BLOCK_LIFTED) == "Block lifted"
    assert action_label("credit_line.block_lifted") == "credit_line.block_lifted"


def test_the_families_are_the_codes_first_parts_in_order() -> None:
    families = action_families()

    assert families[0] == "auth"
    assert {"case", "credit_line", "privacy_request"} <= set(families)
    assert len(families) == len(set(families))
    assert all(any(code.startswith(f"{f}.") for code in AuditAction.values) for f in families)


# --- the auditor's filter ------------------------------------------------------------------------


def _api(user: User) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.mark.django_db
def test_the_audit_log_offers_every_action_and_family_by_label(auditor: User) -> None:
    client = Client()
    client.force_login(auditor)

    with translation.override("en"):
        response = client.get(reverse("compliance:audit_log"))

    assert response.status_code == 200
    body = response.content.decode()
    assert '<option value="case.claimed">Case claimed</option>' in body
    assert '<option value="case.">' in body  # the whole family, as before: a prefix
    choices = response.context["form"].fields["action"].choices
    offered = {value for _group, options in choices[1:] for value, _label in options}
    assert set(AuditAction.values) <= offered


@pytest.mark.django_db
def test_the_table_shows_the_label_with_the_code_beside_it(auditor: User, officer: User) -> None:
    audit_record(actor=officer, action=AuditAction.CASE_CLAIMED, target=("cases.case", "3"))
    client = Client()
    client.force_login(auditor)

    with translation.override("en"):
        response = client.get(reverse("compliance:audit_log"), {"action": "case."})

    assert response.status_code == 200
    assert 'Case claimed <code class="small muted">case.claimed</code>' in (
        response.content.decode()
    )


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["case.escalated", "credit_line.block_lifted", "nothing."])
def test_an_unknown_action_is_refused_on_the_page_and_the_api_by_field(
    auditor: User, value: str
) -> None:
    client = Client()
    client.force_login(auditor)
    page = client.get(reverse("compliance:audit_log"), {"action": value})
    api = _api(auditor).get("/api/v1/audit/entries/", {"action": value})

    assert page.status_code == 400
    assert "action" in page.context["form"].errors
    assert api.status_code == 400
    assert "action" in api.json()["errors"]


@pytest.mark.django_db
def test_a_family_still_matches_every_action_of_its_kind(auditor: User, officer: User) -> None:
    claimed = audit_record(actor=officer, action=AuditAction.CASE_CLAIMED, target=None)
    released = audit_record(actor=officer, action=AuditAction.CASE_RELEASED, target=None)
    audit_record(actor=officer, action=AuditAction.BLOCK_LIFTED, target=None)

    response = _api(auditor).get("/api/v1/audit/entries/", {"action": "case."})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [released.pk, claimed.pk]
