"""The officer's day in a real browser, with a real Celery worker behind the re-run:
claim a case, read the chart, re-run the assessment and watch the result arrive without a
reload, propose a limit override that needs approval; a supervisor approves it; the line
shows the new usable limit. Once in English and once in Chinese."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cases.models import Decision, DecisionState
from scoring.models import Assessment, AssessmentStatus, CreditLine
from tests.conftest import sign_in
from tests.factories.scoring import make_assessment


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_officer_claims_reruns_and_proposes_and_a_supervisor_approves(
    browser: Any,
    live_server: Any,
    celery_worker: Any,
    make_case: Any,
    officer: Any,
    supervisor: Any,
    locale: str,
) -> None:
    case = make_case(granted="50000.00", usable="0.00", blocks=["DEVICE_ANOMALY"])
    first = make_assessment(case.customer)

    officer_context = browser.new_context(base_url=live_server.url, locale=locale)
    officer_context.set_default_timeout(15_000)
    supervisor_context = browser.new_context(base_url=live_server.url, locale=locale)
    supervisor_context.set_default_timeout(15_000)
    try:
        page = officer_context.new_page()
        sign_in(page, officer.username)

        # Claim the next case: the only one in the queue.
        page.goto("/cases/")
        page.click("[data-testid=claim-next] button")
        page.wait_for_url(f"**/cases/{case.pk}/")
        page.locator("#assessment-live .js-plotly-plot svg.main-svg").first.wait_for()

        # Re-run with the worker stopped, so the page is sure to show the job still queued
        # and to poll; then the worker comes back, and the result is swapped in.
        celery_worker.stop()
        page.click("[data-testid=reassess] button")
        page.wait_for_url(f"**/cases/{case.pk}/")
        assert page.locator("#assessment-live[data-poll=continue]").count() == 1
        page.evaluate("window.__sameDocument = true")
        celery_worker.start()
        page.locator(
            "#assessment-live [data-testid=assessment-status][data-status=succeeded]"
        ).wait_for(timeout=30_000)
        assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
        rerun = Assessment.objects.exclude(pk=first.pk).get(customer=case.customer)
        assert rerun.status == AssessmentStatus.SUCCEEDED
        page.locator("#assessment-live .js-plotly-plot svg.main-svg").first.wait_for()

        # Propose raising the usable limit above the approval threshold.
        form = page.locator("[data-testid=decision-form]")
        form.locator("select[name=kind]").select_option("override_limit")
        form.locator("select[name=reason_code]").select_option("IDENTITY_VERIFIED")
        form.locator("[name=justification]").fill("Verified by phone; device change explained.")
        form.locator("[name=usable_limit]").fill("30000")
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"**/cases/{case.pk}/")
        decision = Decision.objects.get(case=case)
        assert decision.state == DecisionState.PROPOSED
        assert CreditLine.objects.get(pk=case.credit_line_id).usable_limit == Decimal("0")

        # A supervisor approves it; the line changes.
        review = supervisor_context.new_page()
        sign_in(review, supervisor.username)
        review.goto("/cases/approvals/")
        approve = review.locator(f"[data-testid=approve-{decision.pk}]")
        approve.locator("textarea[name=comment]").fill("Checked the call record.")
        approve.locator("button[type=submit]").click()
        review.wait_for_load_state()
        decision.refresh_from_db()
        assert decision.state == DecisionState.APPLIED
        assert decision.approver == supervisor
        assert CreditLine.objects.get(pk=case.credit_line_id).usable_limit == Decimal("30000")

        review.goto(f"/cases/{case.pk}/")
        assert "30,000.00" in review.locator("main").inner_text()
    finally:
        officer_context.close()
        supervisor_context.close()
