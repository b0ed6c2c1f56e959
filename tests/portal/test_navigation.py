"""Each role sees exactly its sections in the navigation, and every one of them opens."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tests.factories.accounts import UserFactory
from tests.portal.pages import nav_labels

pytestmark = pytest.mark.django_db

NAVIGATION_BY_PERSONA = {
    "officer": ["Home", "Cases", "Triage", "Credit lines", "Customers", "Scorecards"],
    "supervisor": [
        "Home",
        "Cases",
        "Supervision",
        "Approvals",
        "Triage",
        "Credit lines",
        "Customers",
        "Scorecards",
        "Bulk re-assessment",
        "Audit log",
        "Decision rates",
    ],
    "auditor": [
        "Home",
        "Cases",
        "Credit lines",
        "Customers",
        "Scorecards",
        "Bulk re-assessment",
        "Audit log",
        "Chain verification",
        "History",
        "Decision rates",
        "Personal-data access",
        "Exports",
        "Privacy requests",
    ],
    "privacy_officer": ["Home", "Customers", "Privacy requests"],
    "admin_user": ["Home", "Staff", "Administration"],
}
EVERYTHING = [
    "Home",
    "Cases",
    "Supervision",
    "Approvals",
    "Triage",
    "Credit lines",
    "Customers",
    "Scorecards",
    "Bulk re-assessment",
    "Audit log",
    "Chain verification",
    "History",
    "Decision rates",
    "Personal-data access",
    "Exports",
    "Privacy requests",
]


@pytest.mark.parametrize(("persona", "expected"), NAVIGATION_BY_PERSONA.items())
def test_each_role_signs_in_and_sees_exactly_its_navigation(
    client: Client, request: pytest.FixtureRequest, password: str, persona: str, expected: list
) -> None:
    user: User = request.getfixturevalue(persona)
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": password}, follow=True
    )
    assert response.redirect_chain == [("/", 302)]
    assert nav_labels(response) == expected


@pytest.mark.parametrize("persona", NAVIGATION_BY_PERSONA)
def test_every_section_in_a_roles_navigation_opens_for_that_role(
    client: Client, request: pytest.FixtureRequest, persona: str
) -> None:
    client.force_login(request.getfixturevalue(persona))
    home = client.get("/")
    links = home.context["nav_items"]
    assert len(links) == len(NAVIGATION_BY_PERSONA[persona])
    for link in links:
        assert client.get(link.url).status_code == 200, link.url


def test_the_current_section_is_marked_in_the_navigation(client: Client, officer: User) -> None:
    client.force_login(officer)
    assert '<a href="/" aria-current="page">Home</a>' in client.get("/").content.decode()


def test_a_superuser_sees_every_section(client: Client) -> None:
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert nav_labels(client.get("/")) == [*EVERYTHING, "Staff", "Administration"]


def test_a_user_without_a_role_sees_only_home(client: Client) -> None:
    client.force_login(UserFactory(username="newcomer"))
    response = client.get("/")
    assert nav_labels(response) == ["Home"]
    assert "Ask an administrator to give you a role." in response.content.decode()


def test_nobody_signed_in_sees_no_navigation(client: Client) -> None:
    assert nav_labels(client.get("/accounts/login/")) == []


def test_the_navigation_is_in_chinese_after_switching_language(
    client: Client, auditor: User
) -> None:
    client.force_login(auditor)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert nav_labels(client.get("/")) == [
        "首页",
        "案件",
        "授信额度",
        "客户",
        "评分卡",
        "批量重新评估",
        "审计日志",
        "审计链校验",
        "历史记录",
        "决策比率",
        "个人信息访问",
        "导出",
        "个人信息请求",
    ]


def test_only_the_most_specific_section_is_marked_current(client: Client, auditor: User) -> None:
    client.force_login(auditor)

    response = client.get("/compliance/audit/verify/")

    current = [link.label for link in response.context["nav_items"] if link.active]
    assert [str(label) for label in current] == ["Chain verification"]


def test_the_admin_sign_in_goes_through_the_portals_sign_in_page(client: Client) -> None:
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
