"""Headless Chromium: a wrong password, the per-account wait, then the lockout page."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from playwright.sync_api import expect

from accounts.models import User
from tests.conftest import sign_in


def test_a_wrong_password_then_the_lockout_message_after_five_failures(
    page: Any, officer: User, password: str, settings: Any
) -> None:
    settings.SIGN_IN_DELAY_BASE_SECONDS = 0  # only the pair's lock here; the wait is below
    sign_in(page, "officer", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("The username or password is incorrect.")
    expect(page.get_by_label("Username")).to_have_value("officer")

    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        sign_in(page, "officer", "not-the-password")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Sign-in temporarily locked")
    expect(page.get_by_role("alert")).to_contain_text("You can try again in 30 minutes.")

    # Even the right password is refused while the lock lasts.
    sign_in(page, "officer", password)
    expect(heading).to_have_text("Sign-in temporarily locked")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_repeated_failures_on_an_account_ask_for_a_wait_with_the_username_kept(
    page: Any, officer: User, password: str, settings: Any
) -> None:
    settings.SIGN_IN_DELAY_BASE_SECONDS = 60
    for _ in range(settings.SIGN_IN_DELAY_FREE_FAILURES):
        sign_in(page, "officer", "not-the-password")
    sign_in(page, "officer", password)

    wait = page.get_by_test_id("signin-wait")
    expect(wait).to_contain_text("several failed sign-in attempts for this account")
    expect(wait).to_contain_text("seconds before trying again.")
    expect(page.get_by_label("Username")).to_have_value("officer")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
