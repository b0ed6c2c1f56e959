"""The staff pages and the staff API ask the same questions and give the same answers:
a self-change is 403, a second open proposal 409, conflicting roles 400, all with an
``errors`` body in the API and a message on the page."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import RoleChangeRequest, RoleChangeState, User
from accounts.roles import Role
from audit.models import AuditEntry
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_admin(db: None) -> User:
    return UserFactory(username="administrator2", roles=[Role.ADMIN], is_staff=True)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_api_lists_staff_with_role_names(admin_user: User, officer: User) -> None:
    response = _client(admin_user).get("/api/v1/staff/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    rows = {row["username"]: row for row in response.json()["results"]}
    assert rows["officer"]["roles"] == ["risk_officer"]
    assert rows["officer"]["role_names"] == ["Risk officer"]
    assert rows["officer"]["pending_change"] is None


def test_other_roles_get_403_from_the_staff_api(supervisor: User) -> None:
    response = _client(supervisor).get("/api/v1/staff/")
    assert response.status_code == 403
    assert "errors" in response.json()


def test_the_api_refuses_a_change_of_ones_own_roles(admin_user: User) -> None:
    response = _client(admin_user).post(
        f"/api/v1/staff/{admin_user.pk}/roles/",
        {"roles": ["admin", "supervisor"], "reason": "me"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["errors"]["non_field_errors"]
    assert AuditEntry.objects.filter(action="staff.change_refused").exists()


def test_the_api_grant_waits_for_a_second_administrator(
    admin_user: User, second_admin: User, officer: User
) -> None:
    proposer = _client(admin_user)
    response = proposer.post(
        f"/api/v1/staff/{officer.pk}/roles/",
        {"roles": ["risk_officer", "supervisor"], "reason": "team lead"},
        content_type="application/json",
    )
    assert response.status_code == 201
    change = response.json()
    assert change["state"] == "proposed"
    assert change["roles_before"] == ["risk_officer"]

    again = proposer.post(
        f"/api/v1/staff/{officer.pk}/roles/",
        {"roles": ["supervisor"], "reason": "again"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert again.json()["errors"]

    own = proposer.post(f"/api/v1/staff/role-changes/{change['id']}/approve/", {})
    assert own.status_code == 403
    assert "errors" in own.json()
    assert User.objects.get(pk=officer.pk).role_names == {Role.RISK_OFFICER}

    approved = _client(second_admin).post(
        f"/api/v1/staff/role-changes/{change['id']}/approve/",
        {"comment": "fine"},
        content_type="application/json",
    )
    assert approved.status_code == 200
    assert approved.json()["state"] == "applied"
    assert User.objects.get(pk=officer.pk).role_names == {Role.RISK_OFFICER, Role.SUPERVISOR}

    twice = _client(second_admin).post(f"/api/v1/staff/role-changes/{change['id']}/approve/")
    assert twice.status_code == 409
    assert twice.json()["errors"]["non_field_errors"]


def test_the_api_refuses_conflicting_roles_with_400(admin_user: User, officer: User) -> None:
    response = _client(admin_user).post(
        f"/api/v1/staff/{officer.pk}/roles/",
        {"roles": ["risk_officer", "compliance_auditor"], "reason": "both"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "cannot hold both roles" in response.json()["errors"]["roles"][0]
    assert not RoleChangeRequest.objects.exists()


def test_unknown_accounts_and_changes_are_404(admin_user: User) -> None:
    client = _client(admin_user)
    response = client.post(
        "/api/v1/staff/999999/roles/",
        {"roles": [], "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert client.post("/api/v1/staff/role-changes/999999/approve/").status_code == 404


def test_the_api_invites_and_deactivates(
    admin_user: User, second_admin: User, officer: User
) -> None:
    response = _client(admin_user).post(
        "/api/v1/staff/",
        {"username": "newcomer", "roles": ["supervisor"], "reason": "joins"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "invite"
    assert not User.objects.get(username="newcomer").is_active

    response = _client(admin_user).post(
        f"/api/v1/staff/{officer.pk}/activation/",
        {"active": False, "reason": "left"},
        content_type="application/json",
    )
    assert response.status_code == 201
    pending = _client(second_admin).get("/api/v1/staff/role-changes/").json()
    assert {change["kind"] for change in pending} == {"invite", "deactivate"}


def test_the_page_lists_staff_with_role_names(admin_user: User, officer: User) -> None:
    page = _client(admin_user).get("/accounts/staff/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Risk officer" in page.content.decode()


def test_the_page_refuses_a_change_of_ones_own_roles(admin_user: User) -> None:
    client = _client(admin_user)
    page = client.get(f"/accounts/staff/{admin_user.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="own-account"' in page.content.decode()
    response = client.post(
        f"/accounts/staff/{admin_user.pk}/",
        {"roles": ["admin", "privacy_officer"], "reason": "me"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert "Nobody changes their own account" in response.content.decode()
    assert not RoleChangeRequest.objects.exists()


def test_the_page_shows_conflicting_roles_beside_the_field(admin_user: User, officer: User) -> None:
    response = _client(admin_user).post(
        f"/accounts/staff/{officer.pk}/",
        {"roles": ["admin", "compliance_auditor"], "reason": "both"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "cannot hold both roles" in response.content.decode()


def test_a_proposal_on_the_page_is_approved_by_another_admin_on_the_page(
    admin_user: User, second_admin: User, officer: User
) -> None:
    response = _client(admin_user).post(
        f"/accounts/staff/{officer.pk}/",
        {"roles": ["risk_officer", "supervisor"], "reason": "team lead"},
    )
    assert response.status_code == 302
    change = RoleChangeRequest.objects.get()
    own_list = _client(admin_user).get("/accounts/staff/").content.decode()
    assert f'action="/accounts/staff/changes/{change.pk}/approve/"' not in own_list
    other_list = _client(second_admin).get("/accounts/staff/").content.decode()
    assert f'action="/accounts/staff/changes/{change.pk}/approve/"' in other_list

    _client(admin_user).post(f"/accounts/staff/changes/{change.pk}/approve/")
    assert RoleChangeRequest.objects.get().state == RoleChangeState.PROPOSED
    _client(second_admin).post(f"/accounts/staff/changes/{change.pk}/approve/")
    assert RoleChangeRequest.objects.get().state == RoleChangeState.APPLIED
    assert User.objects.get(pk=officer.pk).role_names == {Role.RISK_OFFICER, Role.SUPERVISOR}


def test_the_staff_pages_are_for_administrators(supervisor: User) -> None:
    assert _client(supervisor).get("/accounts/staff/").status_code == 403
