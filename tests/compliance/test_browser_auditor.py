"""The auditor's round in a real browser: filter a customer's history, open a decision's
diff, verify the audit chain, download an export of the history. Once in English and
once in Chinese."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from audit.history_rows import save_with_history
from audit.models import ChainVerification
from cases.decisions.services import decision_propose
from compliance.models import ExportRecord
from scoring.models import Block
from tests.cases.conftest import make_case
from tests.conftest import sign_in

__all__ = ["make_case"]  # a fixture shared with the cases tests


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_an_auditor_filters_history_opens_a_diff_verifies_and_exports(
    browser: Any,
    live_server: Any,
    make_case: Any,
    officer: User,
    auditor: User,
    locale: str,
    tmp_path: Path,
) -> None:
    case = make_case(assignee=officer, blocks=["DEVICE_ANOMALY"])
    customer = case.customer
    customer.name = "欧阳娜娜"
    customer.phone = "13812345678"
    save_with_history(
        customer, actor=officer, reason="customer.corrected", fields=["name", "phone"]
    )
    decision = decision_propose(
        actor=officer,
        case_id=case.pk,
        version=case.version,
        kind="lift_block",
        reason_code="ANOMALY_EXPLAINED",
        justification="New phone, confirmed by call.",
        blocks=list(
            Block.objects.filter(credit_line=case.credit_line).values_list("pk", flat=True)
        ),
    )

    context = browser.new_context(base_url=live_server.url, locale=locale, accept_downloads=True)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in(page, auditor.username)
        page.goto("/compliance/history/")
        expected_lang = "zh-hans" if locale == "zh-CN" else "en"
        assert page.locator("html").get_attribute("lang") == expected_lang

        # A customer's history, only the changes.
        choose = page.locator("[data-testid=history-choose]")
        choose.locator("select[name=model]").select_option("customer")
        choose.locator("input[name=id]").fill(str(customer.pk))
        choose.locator("select[name=action]").select_option("changed")
        choose.locator("button[type=submit]").click()
        page.wait_for_url(f"**/compliance/history/customer/{customer.pk}/?action=changed")
        versions = page.locator("[data-testid=version]")
        assert versions.count() == 1
        text = versions.first.inner_text()
        assert "欧***" in text
        assert "138****5678" in text
        assert "欧阳娜娜" not in page.content()
        assert "13812345678" not in page.content()

        # The decision's diff: the version that created it.
        page.goto("/compliance/history/")
        choose.locator("select[name=model]").select_option("decision")
        choose.locator("input[name=id]").fill(str(decision.pk))
        choose.locator("button[type=submit]").click()
        page.wait_for_url(f"**/compliance/history/decision/{decision.pk}/")
        page.locator("[data-testid=version] a[data-testid^=open-version-]").last.click()
        page.wait_for_url(f"**/compliance/history/decision/{decision.pk}/*/")
        diff = page.locator("[data-testid=version-diff]")
        assert diff.locator("tr[data-field=kind]").count() == 1
        assert diff.locator("tr[data-field=justification]").count() == 1
        assert page.locator("[data-testid=version-actor]").inner_text() == officer.username

        # The chain check.
        page.goto("/compliance/audit/verify/")
        page.click("[data-testid=verify-now]")
        page.wait_for_url("**/compliance/audit/verify/")
        page.locator("[data-testid=verification-result] .badge-ok").wait_for()
        assert ChainVerification.objects.filter(actor=auditor, ok=True).count() == 1

        # Export the filtered customer history as CSV.
        page.goto(f"/compliance/history/customer/{customer.pk}/?action=changed")
        with page.expect_download() as download_info:
            page.click("[data-testid=export-csv]")
        download = download_info.value
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        content = target.read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(content)))
        assert rows[0][:3] == ["record_type", "record_id", "history_id"]
        fields = {row[7]: (row[8], row[9]) for row in rows[1:]}
        assert fields["name"][1] == "欧***"
        assert fields["phone"][1] == "138****5678"
        assert "欧阳娜娜" not in content
        assert "13812345678" not in content
        record = ExportRecord.objects.get(kind="history")
        assert record.filters.get("model") == "customer"
    finally:
        context.close()
