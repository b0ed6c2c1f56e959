from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.utils import translation

from accounts.roles import ROLE_LABELS, Role, role_labels

pytestmark = pytest.mark.django_db


def test_every_role_exists_as_a_group_after_migrating() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {role.value for role in Role}


def test_the_admin_role_manages_staff_accounts() -> None:
    admin = Group.objects.get(name=Role.ADMIN)
    granted = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in admin.permissions.select_related("content_type")
    }
    assert granted >= {
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_user",
        "auth.view_group",
    }
    assert "accounts.delete_user" not in granted


def test_an_administrator_has_the_account_permissions(admin_user) -> None:
    assert admin_user.has_perm("accounts.change_user")
    assert not admin_user.has_perm("accounts.delete_user")


def test_every_role_has_a_name_in_both_languages() -> None:
    assert set(ROLE_LABELS) == set(Role)
    with translation.override("zh-hans"):
        chinese = [str(label) for label in ROLE_LABELS.values()]
    with translation.override("en"):
        english = [str(label) for label in ROLE_LABELS.values()]
    assert all(chinese)
    assert all(english)
    assert not set(chinese) & set(english)


def test_role_labels_follow_the_role_order_and_keep_other_groups_last() -> None:
    with translation.override("en"):
        assert role_labels(["admin", "auditors-temp", "risk_officer"]) == [
            "Risk officer",
            "Administrator",
            "auditors-temp",
        ]
    with translation.override("zh-hans"):
        assert role_labels(["supervisor"]) == ["主管"]
