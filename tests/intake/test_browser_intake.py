"""A customer on a phone sends feedback in Chinese, gets a reference and looks up its
status; an officer signs in and finds the case the feedback opened."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cases.models import Case, CaseSource
from intake.models import Feedback, FeedbackStatus
from tests.conftest import sign_in
from tests.factories.scoring import BlockFactory, CreditLineFactory, CustomerFactory

PHONE = {"width": 390, "height": 844}


def test_a_customer_reports_an_unusable_limit_on_a_phone_and_an_officer_finds_the_case(
    browser: Any, live_server: Any, officer: Any, settings: Any
) -> None:
    settings.INTAKE_RATE_SUBMIT = "1000/m"
    settings.INTAKE_RATE_LOOKUP = "1000/m"
    customer = CustomerFactory(name="张三", phone="13912345678")
    line = CreditLineFactory(
        customer=customer, granted_limit=Decimal("50000.00"), usable_limit=Decimal("0.00")
    )
    BlockFactory(credit_line=line, reason_code="DEVICE_ANOMALY")

    phone = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        permissions=["clipboard-read", "clipboard-write"],
    )
    phone.set_default_timeout(15_000)
    desk = browser.new_context(base_url=live_server.url, locale="zh-CN")
    desk.set_default_timeout(15_000)
    try:
        page = phone.new_page()
        page.goto("/feedback/")
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        # Nothing wider than the phone's screen: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        box = page.locator(".hp-field input").bounding_box()
        assert box is None or box["x"] + box["width"] <= 0  # the honeypot is off screen
        consent = page.locator("input[name=consent]")
        assert consent.is_checked() is False

        page.check("input[name=kind][value=limit_unusable]")
        page.fill("input[name=name]", "张三")
        page.fill("input[name=phone]", "139 1234 5678")
        page.fill(
            "textarea[name=description]", "App 显示额度五万元，但是付款时一直提示额度不可用。"
        )

        # Without the consent ticked, the form comes back with the consent's error.
        page.click("form[data-testid=feedback-form] button[type=submit]")
        page.locator("[data-field=consent]").wait_for()
        assert not Feedback.objects.exists()
        page.check("input[name=consent]")
        page.click("form[data-testid=feedback-form] button[type=submit]")

        page.wait_for_url("**/feedback/thanks/")
        reference = page.locator("[data-testid=reference]").inner_text().strip()
        assert reference.startswith("FB-")
        assert reference not in page.url
        copy = page.locator(".copy-button")
        before = copy.inner_text()
        copy.click()
        page.wait_for_function(
            "(before) => document.querySelector('.copy-button').textContent !== before", arg=before
        )

        feedback = Feedback.objects.get(reference=reference)
        assert feedback.status == FeedbackStatus.MATCHED
        case = Case.objects.get(pk=feedback.case_id)
        assert (case.customer_id, case.source) == (customer.pk, CaseSource.FEEDBACK)

        page.goto("/feedback/status/")
        page.fill("input[name=reference]", reference.lower())
        page.fill("input[name=phone_last4]", "5678")
        page.click("form[data-testid=status-form] button[type=submit]")
        result = page.locator("[data-testid=status-result]")
        result.wait_for()
        assert result.get_attribute("data-status") == "in_review"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # The officer finds the case in the queue and opens it.
        office = desk.new_page()
        sign_in(office, officer.username)
        office.goto("/cases/")
        office.locator(f"tr[data-case='{case.pk}'] a").first.click()
        office.wait_for_url(f"**/cases/{case.pk}/")
        assert "张三" not in office.content()  # masked
    finally:
        phone.close()
        desk.close()
