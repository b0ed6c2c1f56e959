"""Every HTML response carries the strict Content-Security-Policy (django-csp)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _directives(response: Any) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/feedback/", "/feedback/status/", "/no-such-page/"]
)
def test_public_pages_carry_the_strict_policy(client: Client, path: str) -> None:
    directives = _directives(client.get(path))

    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    for kind in ("script-src", "style-src"):
        assert directives[kind][0] == "'self'"
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(directives[kind])
        assert all(value == "'self'" or value.startswith("'nonce-") for value in directives[kind])


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("officer", "/"),
        ("officer", "/cases/"),
        ("supervisor", "/cases/dashboard/"),
        ("auditor", "/compliance/access/"),
    ],
)
def test_signed_in_pages_carry_it_and_hold_no_inline_script_or_style(
    client: Client, request: pytest.FixtureRequest, persona: str, path: str
) -> None:
    client.force_login(request.getfixturevalue(persona))

    response = client.get(path)

    assert response.status_code == 200
    directives = _directives(response)
    assert "'unsafe-inline'" not in directives["script-src"]
    html = response.content.decode()
    assert " style=" not in html
    assert " onclick=" not in html
    nonces = [v.removeprefix("'nonce-").rstrip("'") for v in directives["script-src"][1:]]
    for chunk in html.split("<script")[1:]:
        tag = chunk.split(">", 1)[0]
        assert " src=" in tag or any(f'nonce="{n}"' in tag for n in nonces), tag


def test_the_chart_page_passes_figures_as_data_not_inline_script(
    client: Client, supervisor: Any
) -> None:
    from tests.factories.cases import CaseFactory

    CaseFactory()
    client.force_login(supervisor)

    html = client.get("/cases/dashboard/").content.decode()

    assert 'id="chart-queue-depth" class="chart" data-plotly-figure="{' in html
    assert "Plotly.newPlot" not in html
    assert "js/charts.js" in html
