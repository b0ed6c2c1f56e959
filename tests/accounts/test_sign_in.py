from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories.accounts import UserFactory
from tests.portal.pages import text

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG_CREDENTIALS = "The username or password is incorrect."


def sign_in(client: Client, username: str, password: str, **extra: object):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_the_sign_in_page_has_a_labelled_field_for_each_credential(client: Client) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    page = text(response)
    assert '<label for="id_username">Username</label>' in page
    assert '<label for="id_password">Password</label>' in page
    assert 'autocomplete="current-password"' in page
    assert "After 5 failed attempts from one place, sign-in is paused there for 30 minutes." in (
        page
    )
    assert "Repeated failures on an account make each next attempt wait a little longer." in page


def test_an_officer_with_the_right_password_lands_on_the_home_page(
    client: Client, officer: User, password: str
) -> None:
    response = sign_in(client, "officer", password)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get("/").status_code == 200


def test_a_wrong_password_shows_an_error_that_does_not_say_which_field_was_wrong(
    client: Client, officer: User
) -> None:
    wrong_password = sign_in(client, "officer", "not-the-password")
    unknown_user = sign_in(client, "nobody-by-this-name", "not-the-password")
    for response in (wrong_password, unknown_user):
        assert response.status_code == 200
        assert 'role="alert"' in text(response)
        assert WRONG_CREDENTIALS in text(response)
    assert "_auth_user_id" not in client.session


def test_the_wrong_password_error_is_in_chinese_for_a_chinese_reader(
    client: Client, officer: User
) -> None:
    response = sign_in(client, "officer", "not-the-password", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "用户名或密码不正确" in text(response)


def test_a_deactivated_account_with_its_right_password_is_told_it_is_deactivated(
    client: Client, password: str
) -> None:
    UserFactory(username="leaver", is_active=False)
    response = sign_in(client, "leaver", password)
    assert response.status_code == 200
    assert "This account has been deactivated" in text(response)
    assert "_auth_user_id" not in client.session


def test_a_deactivated_account_with_a_wrong_password_gets_the_usual_error(client: Client) -> None:
    UserFactory(username="leaver", is_active=False)
    response = sign_in(client, "leaver", "not-the-password")
    assert WRONG_CREDENTIALS in text(response)
    assert "deactivated" not in text(response)


def test_signing_in_returns_to_the_page_asked_for_but_never_to_another_site(
    client: Client, officer: User, password: str
) -> None:
    assert client.get("/").url == f"{LOGIN}?next=/"
    response = client.post(LOGIN, {"username": "officer", "password": password, "next": "/admin/"})
    assert response["Location"] == "/admin/"
    client.logout()
    response = client.post(
        LOGIN, {"username": "officer", "password": password, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_a_signed_in_user_opening_the_sign_in_page_goes_home(client: Client, officer) -> None:
    client.force_login(officer)
    response = client.get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_the_session_cookie_is_http_only_and_same_site(
    client: Client, officer: User, password: str
) -> None:
    response = sign_in(client, "officer", password)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    csrf_cookie = Client().get(LOGIN).cookies[settings.CSRF_COOKIE_NAME]
    assert csrf_cookie["httponly"] is True
    assert csrf_cookie["samesite"] == "Lax"


def test_signing_in_records_the_previous_sign_in_for_the_home_page(
    client: Client, officer: User, password: str
) -> None:
    officer.last_login = datetime(2026, 3, 1, 2, 5, tzinfo=UTC)
    officer.save(update_fields=["last_login"])
    sign_in(client, "officer", password)
    officer.refresh_from_db()
    assert officer.last_login > datetime(2026, 3, 1, 2, 5, tzinfo=UTC)
    # Shown in Asia/Shanghai (UTC+8).
    assert "2026-03-01 10:05" in text(client.get("/"))


def test_sign_out_refuses_get_so_a_link_cannot_sign_anyone_out(client: Client, officer) -> None:
    client.force_login(officer)
    response = client.get("/accounts/logout/")
    assert response.status_code == 405
    assert client.get("/").status_code == 200


def test_sign_out_ends_the_session_and_says_so(client: Client, officer: User) -> None:
    client.force_login(officer)
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain == [(LOGIN, 302)]
    assert "You have signed out." in text(response)
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
