"""django-axes locks the pair of account and address after five failures; failures on one
account from anywhere make each next attempt wait longer (accounts.throttle)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.test import Client, RequestFactory, override_settings

from accounts.models import User
from accounts.security import client_ip_address
from accounts.throttle import delay_after, sign_in_wait
from audit.models import AuditEntry
from tests.portal.pages import text

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LIMIT = settings.AXES_FAILURE_LIMIT
LOCKED_STATUS = settings.AXES_HTTP_RESPONSE_CODE
LOCKED = "Sign-in temporarily locked"
WAIT = "Please wait"


def attempt(client: Client, username: str, password: str, address: str, **extra: object):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def wait_out(username: str) -> None:
    """Let the per-account delay on ``username`` pass (ageing its attempts by the wait)."""
    wait = sign_in_wait(username=username)
    if wait:
        AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=wait))


def fail(client: Client, username: str, address: str, **extra: object):
    """A wrong password once the delay allows it: a real failure, counted by axes."""
    wait_out(username)
    return attempt(client, username, "wrong", address, **extra)


def test_the_limit_is_five_failures_on_the_pair_and_locking_answers_429() -> None:
    assert LIMIT == 5
    assert LOCKED_STATUS == 429
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_five_wrong_passwords_from_five_addresses_do_not_lock_the_owner_out_at_a_sixth(
    client: Client, privacy_officer: User, password: str
) -> None:
    for n in range(LIMIT):
        response = fail(client, "privacy", f"10.0.0.{n + 1}")
        assert response.status_code == 200, f"attempt {n + 1} refused"
        assert LOCKED not in text(response)

    # Right after the fifth failure the account asks for a few seconds' patience...
    response = attempt(client, "privacy", password, "198.51.100.6")
    assert response.status_code == 429
    assert WAIT in text(response)
    assert 0 < int(response["Retry-After"]) <= 8
    assert "_auth_user_id" not in client.session
    # ...and once they have passed, the owner signs in from the sixth address.
    wait_out("privacy")
    response = attempt(client, "privacy", password, "198.51.100.6")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_five_failures_on_one_pair_lock_that_pair_even_with_the_right_password(
    client: Client, officer: User, password: str
) -> None:
    for n in range(LIMIT - 1):
        assert fail(client, "officer", "10.0.0.1").status_code == 200, f"attempt {n + 1}"
    locked = fail(client, "officer", "10.0.0.1")
    assert locked.status_code == LOCKED_STATUS
    assert LOCKED in text(locked)
    assert "You can try again in 30 minutes." in text(locked)
    assert "contact an administrator" in text(locked)

    wait_out("officer")
    response = attempt(client, "officer", password, "10.0.0.1")
    assert response.status_code == LOCKED_STATUS
    assert LOCKED in text(response)
    assert "_auth_user_id" not in client.session
    # The same account from elsewhere is not locked.
    wait_out("officer")
    assert attempt(client, "officer", password, "10.0.1.1").status_code == 302


def test_made_up_usernames_from_one_address_lock_nobody_else_out(
    client: Client, officer: User, password: str
) -> None:
    for n in range(2 * LIMIT):
        assert attempt(client, f"guess{n}", "wrong", "192.0.2.7").status_code == 200
    response = attempt(client, "officer", password, "192.0.2.7")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_each_further_failure_on_an_account_doubles_the_wait_up_to_a_cap() -> None:
    assert [delay_after(n) for n in range(10)] == [0, 0, 0, 2, 4, 8, 16, 32, 64, 128]
    assert delay_after(20) == settings.SIGN_IN_DELAY_MAX_SECONDS == 300


def test_an_attempt_during_the_wait_is_refused_unchecked_and_audited(
    client: Client, officer: User, password: str
) -> None:
    for n in range(settings.SIGN_IN_DELAY_FREE_FAILURES):
        assert fail(client, "officer", f"10.0.0.{n + 1}").status_code == 200
    failures = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))

    response = attempt(client, "officer", password, "10.0.9.9")

    assert response.status_code == 429
    assert response["Retry-After"] == "2"
    assert "Please wait 2 seconds before trying again." in text(response)
    assert 'value="officer"' in text(response)  # the username stays in the box
    assert "_auth_user_id" not in client.session
    # Not checked, so not a failure either.
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == failures
    [entry] = AuditEntry.objects.filter(action="auth.sign_in_delayed")
    assert entry.target_id == str(officer.pk)
    assert entry.data == {"ip": "10.0.9.9", "known_account": True, "wait": 2}


def test_the_wait_message_is_in_chinese_for_a_chinese_reader(client: Client, officer) -> None:
    for n in range(settings.SIGN_IN_DELAY_FREE_FAILURES):
        fail(client, "officer", f"10.0.0.{n + 1}")
    response = attempt(client, "officer", "wrong", "10.0.0.9", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 429
    assert "请等待 2 秒" in text(response)


def test_the_lockout_page_is_in_chinese_for_a_chinese_reader(client: Client, officer) -> None:
    for _ in range(LIMIT):
        response = fail(client, "officer", "10.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == LOCKED_STATUS
    page = text(response)
    assert '<html lang="zh-hans">' in page
    assert "登录已暂时锁定" in page
    assert "30 分钟" in page


class TestClientAddress:
    def test_without_proxies_the_forwarded_header_is_ignored(self) -> None:
        request = RequestFactory().post(
            LOGIN, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="1.2.3.4"
        )
        assert client_ip_address(request) == "203.0.113.5"

    @override_settings(AXES_IPWARE_PROXY_COUNT=1)
    def test_behind_one_proxy_the_address_it_appended_is_the_client(self) -> None:
        request = RequestFactory().post(
            LOGIN, REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5"
        )
        assert client_ip_address(request) == "203.0.113.5"

    @override_settings(AXES_IPWARE_PROXY_COUNT=2)
    def test_a_header_shorter_than_the_proxy_chain_is_not_trusted(self) -> None:
        request = RequestFactory().post(
            LOGIN, REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.5"
        )
        assert client_ip_address(request) == "10.9.9.9"

    def test_forged_forwarded_headers_do_not_dodge_the_pair_lock(
        self, client: Client, officer: User
    ) -> None:
        for n in range(LIMIT):
            response = fail(client, "officer", "192.0.2.7", HTTP_X_FORWARDED_FOR=f"10.1.1.{n}")
        assert response.status_code == LOCKED_STATUS
        assert LOCKED in text(response)

    @override_settings(AXES_IPWARE_PROXY_COUNT=1)
    def test_behind_a_proxy_each_client_is_its_own_pair(
        self, client: Client, officer: User, password: str
    ) -> None:
        for _ in range(LIMIT):
            fail(client, "officer", "10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.5")
        wait_out("officer")
        response = attempt(
            client, "officer", password, "10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.6"
        )
        assert response.status_code == 302


def test_axes_reads_the_address_through_the_portals_proxy_aware_function() -> None:
    # Without it axes falls back to REMOTE_ADDR (django-ipware is not installed), so behind
    # a proxy every sign-in would share the proxy's address and one lock would stop everyone.
    assert settings.AXES_CLIENT_IP_CALLABLE == "accounts.security.client_ip_address"


def test_signing_in_to_ones_own_account_does_not_reset_the_count_against_someone_else(
    client: Client, officer: User, second_officer: User, password: str
) -> None:
    # An insider (second_officer) guessing the officer's password, signing in to their own
    # account between guesses, must still hit the lock on the pair after five guesses.
    for _ in range(LIMIT - 1):
        assert fail(client, "officer", "10.0.0.8").status_code == 200
        assert attempt(client, "officer2", password, "10.0.0.8").status_code == 302
        client.logout()
    assert fail(client, "officer", "10.0.0.8").status_code == LOCKED_STATUS


def test_a_successful_sign_in_clears_only_that_users_failures(
    client: Client, officer: User, second_officer: User, password: str
) -> None:
    for _ in range(LIMIT - 1):
        fail(client, "officer", "10.0.0.2")
        fail(client, "officer2", "10.0.0.2")
    wait_out("officer")
    assert attempt(client, "officer", password, "10.0.0.2").status_code == 302
    client.logout()
    # The officer's own typos are forgiven: no wait, and a fresh count...
    assert sign_in_wait(username="officer") == 0
    assert attempt(client, "officer", "typo", "10.0.0.2").status_code == 200
    # ...but the failures against the colleague's account still count.
    assert fail(client, "officer2", "10.0.0.2").status_code == LOCKED_STATUS
