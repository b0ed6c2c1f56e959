"""The schema and the API docs: signed-in staff only, served from the installed
drf-spectacular-sidecar (no CDN), under the Content-Security-Policy."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

DOCS = ("/api/docs/", "/api/redoc/")


def test_anonymous_callers_are_refused_the_schema() -> None:
    response = APIClient().get("/api/schema/", {"format": "json"})

    assert response.status_code == 401
    assert "errors" in response.json()


def test_staff_get_the_schema_by_session_or_token(officer: Any, auditor: Any) -> None:
    by_session = Client()
    by_session.force_login(officer)
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=auditor).key}")

    for client in (by_session, by_token):
        response = client.get("/api/schema/", {"format": "json"})
        assert response.status_code == 200
        assert "/api/v1/feedback/status/" in response.json()["paths"]


@pytest.mark.parametrize("path", DOCS)
def test_anonymous_visitors_of_the_docs_are_sent_to_sign_in(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", DOCS)
def test_the_docs_reference_only_same_origin_urls_and_nonce_their_inline_code(
    client: Client, officer: Any, path: str
) -> None:
    client.force_login(officer)

    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert urls, "the page loads its bundle"
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    assert "/static/drf_spectacular_sidecar/" in html
    assert not re.search(r"https?://", html.split("<body", 1)[1].split("Redoc.init", 1)[0])
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    for tag in re.findall(r"<(?:script|style)(?![^>]*\ssrc=)[^>]*>", html):
        assert f'nonce="{nonce}"' in tag, tag
