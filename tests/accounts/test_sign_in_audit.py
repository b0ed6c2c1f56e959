"""Every sign-in, sign-out, failed attempt and lockout leaves an entry in the audit chain."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings

from accounts.models import User
from audit.models import AuditEntry
from audit.verify import verify_chain

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_a_successful_sign_in_is_audited_with_the_user_and_address(
    client: Client, officer: User, password: str
) -> None:
    client.post(LOGIN, {"username": "officer", "password": password}, REMOTE_ADDR="10.1.2.3")

    [entry] = entries("auth.signed_in")
    assert entry.actor_id == officer.pk
    assert entry.target_type == "accounts.user"
    assert entry.target_id == str(officer.pk)
    assert entry.data == {"ip": "10.1.2.3"}


def test_signing_out_is_audited(client: Client, officer: User) -> None:
    client.force_login(officer)

    client.post("/accounts/logout/", REMOTE_ADDR="10.1.2.3")

    [entry] = entries("auth.signed_out")
    assert entry.actor_id == officer.pk


def test_a_failed_attempt_names_the_account_only_when_it_exists(
    client: Client, officer: User
) -> None:
    client.post(LOGIN, {"username": "officer", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")
    client.post(LOGIN, {"username": "my-secret-password", "password": "x"}, REMOTE_ADDR="10.1.2.3")

    known, unknown = entries("auth.sign_in_failed")
    assert known.actor_label == "system:sign-in"
    assert known.target_id == str(officer.pk)
    assert known.data == {"ip": "10.1.2.3", "known_account": True}
    assert unknown.target_id == ""
    assert unknown.data == {"ip": "10.1.2.3", "known_account": False}
    assert "my-secret-password" not in str(unknown.data) + unknown.target_id


def test_an_empty_submit_is_not_an_attempt(client: Client) -> None:
    client.post(LOGIN, {"username": "", "password": ""})

    assert entries("auth.sign_in_failed") == []


@override_settings(SIGN_IN_DELAY_BASE_SECONDS=0)  # no per-account wait: only the lock
def test_a_lockout_is_audited_and_the_chain_still_verifies(client: Client, officer: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "officer", "password": "wrong"}, REMOTE_ADDR="10.9.9.9")

    locked = entries("auth.locked_out")
    assert locked, "the fifth failure locks the pair and is audited"
    assert locked[0].target_id == str(officer.pk)
    assert locked[0].data["ip"] == "10.9.9.9"
    assert verify_chain().ok
