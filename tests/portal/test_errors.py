"""A missing permission, an unknown address, a stale form and a server fault each get a
clear page in the reader's language, with the right status and never a stack trace."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from portal import views
from tests.portal.pages import nav_labels, text
from tests.portal.test_navigation import NAVIGATION_BY_PERSONA

ERROR_URLS = pytest.mark.urls("tests.portal.error_urls")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Page not found"), ("zh-CN", "页面不存在")]
)
def test_an_unknown_address_gives_the_404_page(
    client: Client, officer: User, language: str, heading: str
) -> None:
    assert settings.DEBUG is False
    client.force_login(officer)
    response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    assert heading in text(response)
    assert "Traceback" not in text(response)


@pytest.mark.django_db
def test_the_404_page_also_serves_people_who_are_not_signed_in(client: Client) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in text(response)


@ERROR_URLS
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "You do not have access to this page"), ("zh-CN", "您无权访问此页面")],
)
def test_a_missing_permission_gives_the_403_page(
    client: Client, officer: User, language: str, heading: str
) -> None:
    client.force_login(officer)
    response = client.get("/test/forbidden/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 403
    assert heading in text(response)
    # The page keeps the officer's navigation, so they can carry on.
    assert len(nav_labels(response)) == len(NAVIGATION_BY_PERSONA["officer"])


@pytest.mark.django_db
def test_an_officer_opening_an_auditors_page_gets_403(client: Client, officer: User) -> None:
    client.force_login(officer)
    response = client.get(reverse("compliance:audit_verify"))
    assert response.status_code == 403
    assert "You do not have access to this page" in text(response)


@ERROR_URLS
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Something went wrong on our side"), ("zh-CN", "服务器")]
)
def test_a_server_fault_gives_the_500_page_without_details(
    officer: User, language: str, heading: str
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    response = client.get("/test/broken/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 500
    assert heading in text(response)
    assert "boom" not in text(response)
    assert "Traceback" not in text(response)


def test_the_500_page_renders_without_the_database() -> None:
    # No django_db mark: any query here would fail the test.
    request = RequestFactory().get("/")
    with translation.override("zh-hans"):
        response = views.server_error(request)
    assert response.status_code == 500
    assert '<html lang="zh-hans">' in text(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "This form could not be accepted"), ("zh-CN", "此表单无法提交")],
)
def test_a_form_without_its_csrf_token_gets_the_csrf_page(language: str, heading: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login/",
        {"username": "officer", "password": "x"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 403
    assert heading in text(response)
    assert "CSRF" not in text(response)
