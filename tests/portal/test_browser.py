"""Headless Chromium: an officer in Chinese sees the Chinese navigation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.conftest import sign_in

HOME = re.compile(r"^http://[^/]+/$")


@pytest.fixture
def chinese_page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_an_officer_with_a_chinese_browser_signs_in_and_sees_the_chinese_navigation(
    chinese_page: Any, officer: User, password: str
) -> None:
    page = chinese_page
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    page.get_by_label("用户名").fill("officer")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(HOME)
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link")).to_have_text(
        ["首页", "案件", "分诊", "授信额度", "客户", "评分卡"]
    )
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("roles")).to_contain_text("风险专员")


def test_an_officer_switches_to_chinese_and_stays_on_the_same_page(
    page: Any, officer: User
) -> None:
    sign_in(page, "officer")
    expect(page).to_have_url(HOME)
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link")).to_have_text(
        ["Home", "Cases", "Triage", "Credit lines", "Customers", "Scorecards"]
    )

    page.get_by_label("Language").select_option("zh-hans")
    page.get_by_role("button", name="Switch").click()
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link")).to_have_text(
        ["首页", "案件", "分诊", "授信额度", "客户", "评分卡"]
    )
    expect(page).to_have_url(HOME)
    expect(page.get_by_role("heading", level=1)).to_contain_text("欢迎")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
