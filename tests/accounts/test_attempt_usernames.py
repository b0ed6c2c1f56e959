"""Whatever is typed into the username box for an account that does not exist (sometimes a
password) is stored by django-axes only as a keyed hash; existing accounts by their name."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client, RequestFactory, override_settings

from accounts.models import User
from accounts.security import UNKNOWN_USERNAME_PREFIX, attempt_username, stored_username
from audit.models import AuditEntry
from portal.pii.crypto import keyed_hash

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TYPED = "Hunter2-my-real-password"


def axes_rows_text() -> str:
    rows = [
        *AccessAttempt.objects.values_list("username", "get_data", "post_data"),
        *AccessFailureLog.objects.values_list("username"),
        *AccessLog.objects.values_list("username"),
    ]
    return repr(rows)


@override_settings(AXES_ENABLE_ACCESS_FAILURE_LOG=True)
def test_an_unknown_username_is_stored_only_as_a_keyed_hash(client: Client, officer: User) -> None:
    client.post(LOGIN, {"username": TYPED, "password": "x"}, REMOTE_ADDR="10.1.2.3")

    [attempt] = AccessAttempt.objects.all()
    assert attempt.username == UNKNOWN_USERNAME_PREFIX + keyed_hash(TYPED, kind="username")
    [failure] = AccessFailureLog.objects.all()
    assert failure.username == attempt.username
    assert TYPED not in axes_rows_text()
    assert TYPED not in repr(list(AuditEntry.objects.values_list("data", "target_id")))


def test_the_same_text_hashes_the_same_so_it_still_counts_towards_the_lock(
    client: Client,
) -> None:
    for _ in range(2):
        client.post(LOGIN, {"username": f"  {TYPED} ", "password": "x"}, REMOTE_ADDR="10.1.2.3")
    [attempt] = AccessAttempt.objects.all()
    assert attempt.failures_since_start == 2


@override_settings(AXES_ENABLE_ACCESS_FAILURE_LOG=True)
def test_an_existing_accounts_username_is_kept(client: Client, officer: User) -> None:
    client.post(LOGIN, {"username": "officer", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["officer"]
    assert list(AccessFailureLog.objects.values_list("username", flat=True)) == ["officer"]


def test_the_hash_is_not_a_customer_name_hash() -> None:
    assert stored_username("Wang Fang") != keyed_hash("Wang Fang", kind="name")


def test_axes_asks_with_credentials_or_with_the_request_and_gets_one_answer(officer) -> None:
    request = RequestFactory().post(LOGIN, {"username": " officer "})
    assert attempt_username(request, None) == "officer"
    assert attempt_username(None, {"username": "officer"}) == "officer"
    unknown = RequestFactory().post(LOGIN, {"username": TYPED})
    assert attempt_username(unknown, None) == attempt_username(None, {"username": TYPED})
    assert attempt_username(RequestFactory().post(LOGIN, {}), None) is None
