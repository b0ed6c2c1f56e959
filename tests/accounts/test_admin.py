"""The administrator role manages staff accounts in the admin, but cannot promote anyone
(themselves included) to superuser, and can lift sign-in lockouts."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client

from accounts.models import User
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_an_administrator_opens_the_staff_list(client: Client, admin_user: User, officer) -> None:
    client.force_login(admin_user)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert "officer" in response.content.decode()


def test_an_administrator_cannot_make_anyone_a_superuser(
    client: Client, admin_user: User, officer: User
) -> None:
    client.force_login(admin_user)
    page = client.get(f"/admin/accounts/user/{officer.pk}/change/").content.decode()
    assert 'name="groups"' in page
    assert 'name="is_superuser"' not in page
    assert 'name="user_permissions"' not in page


def test_a_superuser_still_can(client: Client, officer: User) -> None:
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    page = client.get(f"/admin/accounts/user/{officer.pk}/change/").content.decode()
    assert 'name="is_superuser"' in page


def test_an_administrator_can_lift_a_lockout(
    client: Client, admin_user: User, officer: User
) -> None:
    for _ in range(5):
        Client().post(
            "/accounts/login/", {"username": "officer", "password": "wrong"}, REMOTE_ADDR="10.0.0.1"
        )
    attempt = AccessAttempt.objects.get(username="officer")
    client.force_login(admin_user)
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()


def test_other_roles_have_no_administration(client: Client, supervisor: User) -> None:
    supervisor.is_staff = True  # even if someone ticked "staff" by mistake
    supervisor.save()
    client.force_login(supervisor)
    assert client.get("/admin/accounts/user/").status_code == 403
