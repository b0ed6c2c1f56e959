"""Revealing a phone number on the case page in a real browser, then reading the reveal in
the auditor's access log."""

from __future__ import annotations

from typing import Any

from scoring.customers.access import PersonalDataAccess
from tests.conftest import sign_in
from tests.factories.cases import CaseFactory
from tests.factories.scoring import CreditLineFactory, CustomerFactory

PHONE = "13812345678"


def test_an_officer_reveals_a_phone_on_the_case_page_and_an_auditor_sees_the_reveal(
    browser: Any, live_server: Any, officer: Any, auditor: Any
) -> None:
    customer = CustomerFactory(phone=PHONE, external_id="CUST-BROWSER")
    # The officer's own case: reveals serve the actor's work (issue 15).
    case = CaseFactory(
        credit_line=CreditLineFactory(customer=customer), assignee=officer, status="assigned"
    )
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in(page, officer.username)
        page.goto(f"/cases/{case.pk}/")
        assert PHONE not in page.content()

        reveal = page.locator("[data-testid=customer] [data-testid=reveal]")
        reveal.get_by_text("Reveal personal details…").click()
        reveal.get_by_label("Mobile number").check()
        reveal.get_by_label("Purpose", exact=True).select_option("call_back")
        reveal.get_by_label("Details of the purpose").fill("Call back about the blocked limit")
        page.evaluate("window.__sameDocument = true")
        reveal.get_by_role("button", name="Reveal (logged)").click()

        shown = page.locator("[data-testid=customer] [data-testid=revealed]")
        shown.wait_for()
        assert PHONE in shown.inner_text()
        assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
        access = PersonalDataAccess.objects.get()
        assert (access.case_id, access.fields, access.source, access.purpose_code) == (
            case.pk,
            ["phone"],
            "page",
            "call_back",
        )

        # Reloading masks the number again.
        page.reload()
        assert PHONE not in page.content()

        context.clear_cookies()
        sign_in(page, auditor.username)
        page.goto("/compliance/access/")
        row = page.locator(f"[data-access='{access.pk}']")
        assert "CUST-BROWSER" in row.inner_text()
        assert "Call back about the blocked limit" in row.inner_text()
        assert PHONE not in page.content()
        page.locator("#chart-access-volume .main-svg").first.wait_for()
    finally:
        context.close()
