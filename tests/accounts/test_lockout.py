"""django-axes: five failures lock the username (from any address) and, separately, the address
(for any username); a locked sign-in is refused even with the right password."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings

from accounts.models import User
from accounts.security import client_ip_address
from tests.portal.pages import text

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LIMIT = settings.AXES_FAILURE_LIMIT
LOCKED_STATUS = settings.AXES_HTTP_RESPONSE_CODE


def attempt(client: Client, username: str, password: str, address: str, **extra: object):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def test_the_limit_is_five_failures_and_locking_answers_429() -> None:
    assert LIMIT == 5
    assert LOCKED_STATUS == 429


def test_five_failures_for_one_username_lock_it_even_from_different_addresses(
    client: Client, officer: User, password: str
) -> None:
    for n in range(LIMIT - 1):
        response = attempt(client, "officer", "wrong", f"10.0.0.{n + 1}")
        assert response.status_code == 200, f"attempt {n + 1} already locked"
    locked = attempt(client, "officer", "wrong", "10.0.0.99")
    assert locked.status_code == LOCKED_STATUS
    assert "Sign-in temporarily locked" in text(locked)
    assert "You can try again in 30 minutes." in text(locked)
    assert "contact an administrator" in text(locked)

    # The right password, from a fresh address, does not get through the lock.
    response = attempt(client, "officer", password, "10.0.1.1")
    assert response.status_code == LOCKED_STATUS
    assert "_auth_user_id" not in client.session


def test_five_failures_from_one_address_lock_it_for_every_username(
    client: Client, officer: User, password: str
) -> None:
    for n in range(LIMIT - 1):
        assert attempt(client, f"guess{n}", "wrong", "192.0.2.7").status_code == 200
    assert attempt(client, "guess-last", "wrong", "192.0.2.7").status_code == LOCKED_STATUS

    # The officer's right password from the locked address is refused...
    response = attempt(client, "officer", password, "192.0.2.7")
    assert response.status_code == LOCKED_STATUS
    assert "_auth_user_id" not in client.session
    # ...but the officer is not locked everywhere: from another address it works.
    response = attempt(client, "officer", password, "198.51.100.4")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_fewer_failures_than_the_limit_then_success_clears_the_count(
    client: Client, officer: User, password: str
) -> None:
    for _ in range(LIMIT - 1):
        attempt(client, "officer", "wrong", "10.0.0.1")
    assert attempt(client, "officer", password, "10.0.0.1").status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert attempt(client, "officer", "wrong", "10.0.0.1").status_code == 200
    assert attempt(client, "officer", password, "10.0.0.1").status_code == 302


def test_the_lockout_page_is_in_chinese_for_a_chinese_reader(client: Client, officer) -> None:
    for _ in range(LIMIT):
        response = attempt(client, "officer", "wrong", "10.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-CN")
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

    def test_forged_forwarded_headers_do_not_dodge_the_address_lock(
        self, client: Client, officer: User
    ) -> None:
        for n in range(LIMIT):
            response = attempt(
                client, f"guess{n}", "wrong", "192.0.2.7", HTTP_X_FORWARDED_FOR=f"10.1.1.{n}"
            )
        assert response.status_code == LOCKED_STATUS


def test_axes_reads_the_address_through_the_portals_proxy_aware_function() -> None:
    # Without it axes falls back to REMOTE_ADDR (django-ipware is not installed), so behind
    # a proxy every sign-in would share the proxy's address and one lock would stop everyone.
    assert settings.AXES_CLIENT_IP_CALLABLE == "accounts.security.client_ip_address"


def test_signing_in_to_ones_own_account_does_not_reset_the_count_against_someone_else(
    client: Client, officer: User, second_officer: User, password: str
) -> None:
    # An insider (second_officer) guessing the officer's password, signing in to their own
    # account between guesses, must still hit the officer's lock after five guesses.
    for _ in range(LIMIT - 1):
        assert attempt(client, "officer", "guess", "10.0.0.8").status_code == 200
        assert attempt(client, "officer2", password, "10.0.0.8").status_code == 302
        client.logout()
    assert attempt(client, "officer", "guess", "10.0.0.9").status_code == LOCKED_STATUS


def test_a_successful_sign_in_clears_only_that_users_failures(
    client: Client, officer: User, password: str
) -> None:
    for n in range(LIMIT - 1):
        attempt(client, "officer", "typo", "10.0.0.1")
        attempt(client, f"guess{n}", "wrong", "10.0.0.2")
    assert attempt(client, "officer", password, "10.0.0.2").status_code == 302
    client.logout()
    # The officer's own typos are forgiven...
    assert attempt(client, "officer", "typo", "10.0.0.1").status_code == 200
    # ...but the address's failures against other names still count.
    assert attempt(client, "guess-last", "wrong", "10.0.0.2").status_code == LOCKED_STATUS
