"""The admin shows staff read-only (roles change on the portal's staff pages, under
four-eyes) and keeps lifting sign-in lockouts, audited."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEntry
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_an_administrator_opens_the_staff_list(client: Client, admin_user: User, officer) -> None:
    client.force_login(admin_user)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert "officer" in response.content.decode()


def test_the_admin_shows_staff_read_only_and_points_to_the_portal(
    client: Client, admin_user: User, officer: User
) -> None:
    client.force_login(admin_user)
    response = client.get(f"/admin/accounts/user/{officer.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    for field in ("groups", "is_superuser", "user_permissions", "is_active", "username"):
        assert f'name="{field}"' not in page
    assert 'href="/accounts/staff/"' in page
    assert client.get(f"/admin/accounts/user/{officer.pk}/password/").status_code == 403
    assert client.get("/admin/accounts/user/add/").status_code == 403


def test_an_administrator_cannot_give_themselves_a_role_in_the_admin(
    client: Client, admin_user: User
) -> None:
    client.force_login(admin_user)
    privacy = Group.objects.get(name=Role.PRIVACY_OFFICER)
    response = client.post(
        f"/admin/accounts/user/{admin_user.pk}/change/",
        {"username": admin_user.username, "groups": [privacy.pk], "is_active": "on"},
    )
    assert response.status_code == 403
    assert User.objects.get(pk=admin_user.pk).role_names == {Role.ADMIN}


def test_a_superuser_cannot_edit_staff_in_the_admin_either(client: Client, officer: User) -> None:
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    page = client.get(f"/admin/accounts/user/{officer.pk}/change/").content.decode()
    assert 'name="groups"' not in page
    assert client.get(f"/admin/accounts/user/{officer.pk}/password/").status_code == 403
    group = Group.objects.get(name=Role.ADMIN)
    response = client.get(f"/admin/auth/group/{group.pk}/change/")
    assert response.status_code == 200
    assert 'name="permissions"' not in response.content.decode()


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
    (lifted,) = AuditEntry.objects.filter(action="auth.lockout_lifted")
    assert lifted.actor_label == "administrator"
    assert lifted.target_id == str(officer.pk)


def test_other_roles_have_no_administration(client: Client, supervisor: User) -> None:
    supervisor.is_staff = True  # even if someone ticked "staff" by mistake
    supervisor.save()
    client.force_login(supervisor)
    assert client.get("/admin/accounts/user/").status_code == 403
