"""Staff roles change under four-eyes: proposed by one administrator, applied only when a
second approves; nobody changes their own roles; roles that review each other are refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import RoleChangeRequest, RoleChangeState, User
from accounts.roles import Role
from accounts.staff import services as staff
from audit.models import AuditEntry
from portal.errors import Conflict
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_admin(db: None) -> User:
    return UserFactory(username="administrator2", roles=[Role.ADMIN], is_staff=True)


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def test_an_administrator_cannot_change_their_own_roles(admin_user: User) -> None:
    with pytest.raises(PermissionDenied):
        staff.staff_roles_propose(
            actor=admin_user,
            user_id=admin_user.pk,
            roles=[Role.ADMIN, Role.SUPERVISOR],
            reason="I need it",
        )
    assert not RoleChangeRequest.objects.exists()
    assert admin_user.role_names == {Role.ADMIN}
    (refused,) = _entries("staff.change_refused")
    assert refused.data["why"] == "own_account"
    assert refused.actor_label == "administrator"


def test_a_grant_takes_effect_only_after_another_administrator_approves(
    admin_user: User, second_admin: User, officer: User
) -> None:
    change = staff.staff_roles_propose(
        actor=admin_user,
        user_id=officer.pk,
        roles=[Role.RISK_OFFICER, Role.SUPERVISOR],
        reason="Promoted to team lead",
    )
    assert change.state == RoleChangeState.PROPOSED
    assert set(User.objects.get(pk=officer.pk).groups.values_list("name", flat=True)) == {
        Role.RISK_OFFICER
    }

    with pytest.raises(PermissionDenied):
        staff.staff_change_approve(actor=admin_user, request_id=change.pk)
    assert RoleChangeRequest.objects.get(pk=change.pk).state == RoleChangeState.PROPOSED

    staff.staff_change_approve(actor=second_admin, request_id=change.pk, comment="ok")
    officer = User.objects.get(pk=officer.pk)
    assert set(officer.groups.values_list("name", flat=True)) == {
        Role.RISK_OFFICER,
        Role.SUPERVISOR,
    }
    change.refresh_from_db()
    assert change.state == RoleChangeState.APPLIED
    assert change.decided_by == second_admin

    (proposed,) = _entries("staff.change_proposed")
    assert proposed.actor_label == "administrator"
    assert proposed.data["old_roles"] == ["risk_officer"]
    assert proposed.data["new_roles"] == ["risk_officer", "supervisor"]
    (approved,) = _entries("staff.change_approved")
    assert approved.actor_label == "administrator2"
    assert approved.data["old_roles"] == ["risk_officer"]
    assert approved.data["new_roles"] == ["risk_officer", "supervisor"]
    assert approved.target_id == str(officer.pk)

    latest = officer.history.latest()
    assert latest.history_user == second_admin
    assert latest.history_change_reason.startswith(f"staff.change_approved #{change.pk}")
    assert "risk_officer -> risk_officer,supervisor" in latest.history_change_reason


def test_the_person_a_change_is_about_cannot_approve_it(
    admin_user: User, second_admin: User
) -> None:
    change = staff.staff_roles_propose(
        actor=admin_user, user_id=second_admin.pk, roles=[Role.SUPERVISOR], reason="moves teams"
    )
    with pytest.raises(PermissionDenied):
        staff.staff_change_approve(actor=second_admin, request_id=change.pk)
    assert User.objects.get(pk=second_admin.pk).role_names == {Role.ADMIN}


@pytest.mark.parametrize(
    "roles",
    [
        [Role.ADMIN, Role.PRIVACY_OFFICER],
        [Role.ADMIN, Role.COMPLIANCE_AUDITOR],
        [Role.RISK_OFFICER, Role.COMPLIANCE_AUDITOR],
    ],
)
def test_roles_that_review_each_other_are_refused(
    admin_user: User, officer: User, roles: list[Role]
) -> None:
    with pytest.raises(ValidationError) as refused:
        staff.staff_roles_propose(actor=admin_user, user_id=officer.pk, roles=roles, reason="x")
    assert "cannot hold both roles" in refused.value.message_dict["roles"][0]
    assert not RoleChangeRequest.objects.exists()
    (entry,) = _entries("staff.change_refused")
    assert entry.data["why"] == "conflicting_roles"


def test_other_roles_cannot_propose(supervisor: User, officer: User) -> None:
    with pytest.raises(PermissionDenied):
        staff.staff_roles_propose(
            actor=supervisor, user_id=officer.pk, roles=[Role.SUPERVISOR], reason="x"
        )


def test_a_second_proposal_waits_for_the_first(admin_user: User, officer: User) -> None:
    staff.staff_roles_propose(
        actor=admin_user, user_id=officer.pk, roles=[Role.SUPERVISOR], reason="a"
    )
    with pytest.raises(Conflict):
        staff.staff_roles_propose(
            actor=admin_user, user_id=officer.pk, roles=[Role.PRIVACY_OFFICER], reason="b"
        )


def test_a_decided_change_cannot_be_decided_again(
    admin_user: User, second_admin: User, officer: User
) -> None:
    change = staff.staff_roles_propose(
        actor=admin_user, user_id=officer.pk, roles=[Role.SUPERVISOR], reason="a"
    )
    staff.staff_change_reject(actor=second_admin, request_id=change.pk, comment="not yet")
    assert User.objects.get(pk=officer.pk).role_names == {Role.RISK_OFFICER}
    (rejected,) = _entries("staff.change_rejected")
    assert rejected.data["new_roles"] == ["supervisor"]
    with pytest.raises(Conflict):
        staff.staff_change_approve(actor=second_admin, request_id=change.pk)


def test_an_invited_account_is_active_only_after_approval(
    admin_user: User, second_admin: User
) -> None:
    change = staff.staff_invite(
        actor=admin_user,
        username="newcomer",
        email="new@example.com",
        roles=[Role.RISK_OFFICER],
        reason="joins the team",
    )
    newcomer = User.objects.get(username="newcomer")
    assert not newcomer.is_active
    assert not newcomer.has_usable_password()
    assert newcomer.role_names == set()
    staff.staff_change_approve(actor=second_admin, request_id=change.pk)
    newcomer = User.objects.get(username="newcomer")
    assert newcomer.is_active
    assert newcomer.role_names == {Role.RISK_OFFICER}


def test_deactivation_and_reactivation_wait_for_approval(
    admin_user: User, second_admin: User, officer: User
) -> None:
    change = staff.staff_activation_propose(
        actor=admin_user, user_id=officer.pk, active=False, reason="left the company"
    )
    assert User.objects.get(pk=officer.pk).is_active
    staff.staff_change_approve(actor=second_admin, request_id=change.pk)
    assert not User.objects.get(pk=officer.pk).is_active
    change = staff.staff_activation_propose(
        actor=second_admin, user_id=officer.pk, active=True, reason="came back"
    )
    staff.staff_change_approve(actor=admin_user, request_id=change.pk)
    assert User.objects.get(pk=officer.pk).is_active
