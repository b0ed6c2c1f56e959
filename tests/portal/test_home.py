from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import User
from accounts.views import PREVIOUS_SIGN_IN_SESSION_KEY
from tests.portal.pages import text

pytestmark = pytest.mark.django_db


def test_the_home_page_needs_a_signed_in_user(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_the_home_page_greets_the_officer_and_names_their_role(
    client: Client, officer: User
) -> None:
    client.force_login(officer)
    page = text(client.get("/"))
    assert "Welcome, Li Na" in page
    assert '<span class="badge">Risk officer</span>' in page


def test_the_home_page_shows_sign_in_times_in_shanghai_time(client: Client, officer: User) -> None:
    client.force_login(officer)
    officer.last_login = datetime(2026, 5, 4, 23, 30, tzinfo=UTC)
    officer.save(update_fields=["last_login"])
    session = client.session
    session[PREVIOUS_SIGN_IN_SESSION_KEY] = datetime(2026, 5, 1, 1, 0, tzinfo=UTC).isoformat()
    session.save()
    page = text(client.get("/"))
    assert ">2026-05-05 07:30</time>" in page  # signed in (UTC+8 crosses midnight)
    assert ">2026-05-01 09:00</time>" in page  # previous sign-in


def test_a_first_sign_in_says_there_was_no_previous_one(
    client: Client, officer: User, password: str
) -> None:
    client.post("/accounts/login/", {"username": "officer", "password": password})
    assert "None: this is your first sign-in" in text(client.get("/"))


def test_the_home_page_has_a_card_for_each_section_of_the_role(
    client: Client, supervisor: User
) -> None:
    client.force_login(supervisor)
    response = client.get("/")
    cards = [section.label for section in response.context["sections"]]
    assert cards == [
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
    ]
    page = text(response)
    assert 'data-testid="section-audit_log"' in page
    assert "Every recorded decision and change" in page
    assert 'data-testid="section-audit_verify"' not in page


def test_the_home_page_is_in_chinese_for_a_chinese_reader(
    client: Client, privacy_officer: User
) -> None:
    client.force_login(privacy_officer)
    page = text(client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN"))
    assert '<html lang="zh-hans">' in page
    assert "隐私专员" in page
    assert "您的工作区" in page


def test_the_home_page_needs_only_a_few_queries(
    client: Client, auditor: User, django_assert_max_num_queries
) -> None:
    client.force_login(auditor)
    with django_assert_max_num_queries(6):
        assert client.get("/").status_code == 200
