"""An officer opens an assessment in Chinese and sees the waterfall and the reasons."""

from __future__ import annotations

from typing import Any

from tests.conftest import sign_in
from tests.factories.scoring import CustomerFactory, make_assessment


def test_an_officer_sees_the_waterfall_and_the_reasons_in_chinese(
    browser: Any, live_server: Any, officer: Any
) -> None:
    assessment = make_assessment(
        CustomerFactory(),
        features={"device_changes_30d": 5, "bureau_accounts": 1, "monthly_income": "2500"},
    )
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, officer.username)
        page.goto(f"/scoring/assessments/{assessment.pk}/")
        chart = page.locator(".js-plotly-plot")
        chart.wait_for()
        assert chart.locator("svg.main-svg").count() > 0
        assert page.locator(".js-plotly-plot text", has_text="基础分").count() > 0
        reasons = page.locator("[data-testid=reasons]")
        assert "设备异常" in reasons.inner_text()
        assert "评分是如何得出的" in page.locator("h2", has_text="评分").first.inner_text()
    finally:
        context.close()
