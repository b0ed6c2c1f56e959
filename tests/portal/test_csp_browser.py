"""Chart pages and the API docs in Chromium under the Content-Security-Policy: the charts
draw from their data attributes, the docs render from the installed bundles, nothing is
loaded from another origin, and no CSP violation is reported (the ``browser`` fixture's
watch, ``tests.conftest.CspWatchingBrowser``, fails any browser test that has one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import csp_violations, sign_in
from tests.factories.cases import CaseFactory
from tests.factories.scoring import CustomerFactory, make_assessment


@pytest.fixture
def watched(browser: Any, live_server: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page, and the URLs it requested from any other origin."""
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    elsewhere: list[str] = []
    context.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((live_server.url, "data:", "blob:"))
            else elsewhere.append(request.url)
        ),
    )
    yield context.new_page(), elsewhere
    context.close()


def test_the_chart_pages_draw_their_charts_without_a_csp_violation(
    watched: tuple[Any, list[str]], supervisor: Any
) -> None:
    page, elsewhere = watched
    case = CaseFactory()
    assessment = make_assessment(
        CustomerFactory(), features={"device_changes_30d": 5, "monthly_income": "2500"}
    )
    response = page.goto("/accounts/login/")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    sign_in(page, supervisor.username)

    page.goto("/cases/dashboard/")
    page.locator("#chart-queue-depth svg.main-svg").first.wait_for()
    page.goto(f"/scoring/assessments/{assessment.pk}/")
    page.locator(f"#waterfall-{assessment.pk} svg.main-svg").first.wait_for()
    assert page.locator(f"#waterfall-{assessment.pk} text", has_text="Base").count() > 0
    page.goto(f"/cases/{case.pk}/")
    page.locator("[data-testid=decision-form]").wait_for()

    assert elsewhere == []
    assert csp_violations == []


def test_swagger_ui_renders_from_the_installed_bundle_without_a_csp_violation(
    watched: tuple[Any, list[str]], officer: Any
) -> None:
    page, elsewhere = watched
    sign_in(page, officer.username)

    page.goto("/api/docs/")
    title = page.locator(".swagger-ui .info .title").first
    title.wait_for()
    page.locator(".opblock-summary-path", has_text="/api/v1/feedback/status/").first.wait_for()

    assert "Risk-operations portal API" in title.inner_text()
    assert elsewhere == []
    assert csp_violations == []


# ReDoc's bundle always draws its attribution logo from cdn.redoc.ly: the policy refuses it
# (img-src has no other origin), so it is never loaded, and Chromium reports that refusal.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_redoc_renders_from_the_installed_bundle_and_loads_nothing_from_elsewhere(
    watched: tuple[Any, list[str]], officer: Any
) -> None:
    page, elsewhere = watched
    sign_in(page, officer.username)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    served: list[str] = []
    page.on("requestfinished", lambda request: served.append(request.url))

    page.goto("/api/redoc/")
    title = page.locator(".api-content h1").first
    title.wait_for()
    page.locator("text=/feedback/status/").first.wait_for()

    assert "Risk-operations portal API" in title.inner_text()
    assert set(elsewhere) <= {REDOC_LOGO}
    assert REDOC_LOGO not in served  # refused by the policy, never fetched
    refused = [v for v in csp_violations if REDOC_LOGO not in v]
    csp_violations.clear()  # the logo's refusal is the policy working
    assert refused == []
