"""/admin/ for people without admin rights: the portal's 403 page, not a redirect loop."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tests.portal.pages import text

pytestmark = pytest.mark.django_db


def test_a_signed_in_officer_opening_the_admin_gets_the_portals_403_page(
    client: Client, officer: User
) -> None:
    client.force_login(officer)

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert len(response.redirect_chain) == 1  # one hop to the admin's sign-in, no loop
    assert "errors/403.html" in [t.name for t in response.templates]
    assert "_auth_user_id" in client.session  # still signed in


def test_a_deep_admin_link_gives_the_same_403(client: Client, auditor: User) -> None:
    client.force_login(auditor)
    response = client.get("/admin/accounts/user/", follow=True)
    assert response.status_code == 403
    assert "errors/403.html" in [t.name for t in response.templates]


def test_an_anonymous_visitor_is_sent_to_the_portals_sign_in_once(client: Client) -> None:
    response = client.get("/admin/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    assert [url for url, _ in response.redirect_chain].count(
        "/accounts/login/?next=%2Fadmin%2F"
    ) == 1
    assert "Sign in" in text(response)


def test_an_administrator_still_opens_the_admin(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
