"""The language switch and the browser's language choose the page's language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from tests.portal.pages import nav_labels, text

pytestmark = pytest.mark.django_db


def test_the_language_switch_sets_the_cookie_and_keeps_the_reader_on_the_same_page(
    client: Client, officer: User
) -> None:
    client.force_login(officer)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/no/such/page/"})
    assert response.status_code == 302
    assert response["Location"] == "/no/such/page/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "zh-hans"
    assert cookie["samesite"] == "Lax"

    page = text(client.get("/"))
    assert '<html lang="zh-hans">' in page
    assert nav_labels(client.get("/")) == ["首页", "案件", "分诊", "授信额度", "客户", "评分卡"]
    assert "退出登录" in page


def test_switching_back_to_english(client: Client, officer: User) -> None:
    client.force_login(officer)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert nav_labels(client.get("/")) == [
        "Home",
        "Cases",
        "Triage",
        "Credit lines",
        "Customers",
        "Scorecards",
    ]


def test_the_sign_in_page_follows_the_browser_language(client: Client) -> None:
    chinese = text(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9"))
    assert '<html lang="zh-hans">' in chinese
    assert '<label for="id_username">用户名</label>' in chinese
    english = text(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US"))
    assert '<label for="id_username">Username</label>' in english


def test_the_language_switch_offers_both_languages_by_their_own_names(client: Client) -> None:
    page = text(client.get("/accounts/login/"))
    assert '<option value="en" selected>English</option>' in page
    assert '<option value="zh-hans">简体中文</option>' in page


def test_an_unknown_language_is_ignored(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/accounts/login/"})
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
