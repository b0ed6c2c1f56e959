"""The public feedback form, its thank-you page and the status lookup; the triage page."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User
from intake.feedback import processing, submission
from intake.feedback.forms import new_form_token
from intake.models import Feedback, FeedbackStatus
from tests.factories.cases import FeedbackFactory
from tests.factories.scoring import BlockFactory, CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db

FORM_URL = "/feedback/"
STATUS_URL = "/feedback/status/"


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings: Any) -> None:
    """Rate-limit counters live in Redis across tests: only the tests about limits set low ones."""
    settings.INTAKE_RATE_SUBMIT = "1000/m"
    settings.INTAKE_RATE_LOOKUP = "1000/m"


def _address() -> str:
    """A client address of its own for each rate-limit test, so no earlier count carries over."""
    import secrets

    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "limit_unusable",
        "name": "张三",
        "phone": "139 1234 5678",
        "description": "额度显示五万，但是付款时提示不可用。",
        "happened_at": "",
        "consent": "on",
        "website": "",
        "form_token": new_form_token(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def post_form(client: Client, data: dict[str, Any], **extra: Any) -> Any:
    return client.post(FORM_URL, data, **extra)


# --- the form -----------------------------------------------------------------------------


def test_the_form_speaks_chinese_by_default_with_the_notice_and_an_unticked_consent(
    client: Client,
) -> None:
    response = client.get(FORM_URL, HTTP_ACCEPT_LANGUAGE="en-US")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert 'data-testid="privacy-notice"' in html
    consent = re.search(r"<input[^>]*name=\"consent\"[^>]*>", html)
    assert consent is not None
    assert "checked" not in consent.group(0)
    assert 'class="hp-field"' in html
    assert 'name="website"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="form_token"' in html
    assert 'maxlength="50"' in html
    assert 'maxlength="1000"' in html
    assert 'maxlength="20"' in html
    assert "mainnav" not in html  # no staff navigation on public pages


def test_a_visitor_may_choose_english_and_it_is_remembered(client: Client) -> None:
    english = client.get(FORM_URL + "?lang=en")
    again = client.get(FORM_URL)

    assert '<html lang="en">' in english.content.decode()
    assert english.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in again.content.decode()


def test_a_valid_submission_is_stored_and_the_reference_shown_without_a_url_leak(
    client: Client,
) -> None:
    response = post_form(client, form_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("intake:feedback_done")
    feedback = Feedback.objects.get()
    assert feedback.reference not in response["Location"]
    assert feedback.language == "zh-hans"
    assert feedback.consent_version == settings.INTAKE_CONSENT_VERSION
    done = client.get(response["Location"])
    assert feedback.reference in done.content.decode()
    assert 'data-copy="reference"' in done.content.decode()


def test_without_consent_nothing_is_stored_and_the_error_is_in_chinese(client: Client) -> None:
    response = post_form(client, form_data(consent=None))

    assert response.status_code == 400
    assert not Feedback.objects.exists()
    html = response.content.decode()
    assert (
        zh(
            "We can only handle your feedback with your consent to processing your financial "
            "information. Tick the box to give it."
        )
        in html
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("name", "张" * 51, None),
        (
            "phone",
            "12345",
            "Enter a mainland mobile number of 11 digits, for example 138 0013 8000.",
        ),
        ("phone", "1" * 21, None),
        ("description", "短", None),
        ("description", "长" * 1001, None),
        ("kind", "lottery", None),
        ("happened_at", "2999-01-01T10:00", "The time it happened cannot be in the future."),
        ("happened_at", "yesterday-ish", None),
        ("happened_at", "0001-01-01T00:00", None),  # message: the test below
    ],
)
def test_each_bad_input_gets_a_message_on_its_field(
    client: Client, field: str, value: str, message: str | None
) -> None:
    response = post_form(client, form_data(**{field: value}))

    assert response.status_code == 400
    assert not Feedback.objects.exists()
    html = response.content.decode()
    assert f'data-field="{field}"' in html
    if message is not None:
        assert zh(message) in html
    # The re-shown form carries a fresh token, so the corrected form can be sent.
    assert 'name="form_token"' in html


def test_a_time_at_the_start_of_the_calendar_is_a_form_error_not_a_500(client: Client) -> None:
    from portal.dates import year_range_message

    response = post_form(client, form_data(happened_at="0001-01-01T00:00"))

    assert response.status_code == 400
    with translation.override("zh-hans"):
        assert year_range_message() in response.content.decode()
    assert not Feedback.objects.exists()


def test_required_fields_are_reported_in_chinese(client: Client) -> None:
    response = post_form(client, form_data(name=""))

    assert "该字段是必填项。" in response.content.decode()  # Django's own catalogue


def test_a_bot_filling_the_honeypot_gets_a_thank_you_and_nothing_is_stored(
    client: Client,
) -> None:
    response = post_form(client, form_data(website="http://spam.example"))

    assert response.status_code == 200
    assert 'data-testid="reference"' not in response.content.decode()
    assert not Feedback.objects.exists()


def test_a_replayed_form_creates_nothing_twice(client: Client) -> None:
    data = form_data()

    first = post_form(client, data)
    replay = post_form(client, data)

    assert first.status_code == replay.status_code == 302
    assert replay["Location"] == reverse("intake:feedback")
    assert Feedback.objects.count() == 1


def test_a_forged_form_token_is_refused(client: Client) -> None:
    post_form(client, form_data(form_token="not-a-signed-token"))

    assert not Feedback.objects.exists()


def test_the_form_needs_its_csrf_token() -> None:
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(FORM_URL, form_data())

    assert response.status_code == 403
    assert not Feedback.objects.exists()


def test_too_many_submissions_get_a_friendly_page_with_status_429(
    client: Client, settings: Any
) -> None:
    settings.INTAKE_RATE_SUBMIT = "2/m"
    address = _address()

    answers = [post_form(client, form_data(), REMOTE_ADDR=address) for _ in range(3)]

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert int(answers[-1]["Retry-After"]) >= 1
    assert 'data-testid="rate-limited"' in answers[-1].content.decode()
    assert Feedback.objects.count() == 2
    other = post_form(client, form_data(), REMOTE_ADDR=_address())
    assert other.status_code == 302  # per address


# --- the status lookup --------------------------------------------------------------------


def _stored(client: Client, phone: str = "13912345678") -> Feedback:
    post_form(client, form_data(phone=phone))
    return Feedback.objects.latest("id")


def test_the_status_page_shows_a_plain_message_for_the_right_reference_and_digits(
    client: Client,
) -> None:
    feedback = _stored(client)

    response = client.post(STATUS_URL, {"reference": feedback.reference, "phone_last4": "5678"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-status="received"' in html  # its job has not run yet
    assert "5678" not in html.replace('value="5678"', "")


def test_the_status_page_gives_no_hint_whether_a_reference_exists(client: Client) -> None:
    feedback = _stored(client)

    wrong_phone = client.post(STATUS_URL, {"reference": feedback.reference, "phone_last4": "0000"})
    unknown = client.post(STATUS_URL, {"reference": "FB-ABCDEFGHJKMN", "phone_last4": "0000"})

    def result(response: Any) -> str:
        match = re.search(
            r'<div class="card status-result.*?</div>', response.content.decode(), re.S
        )
        assert match is not None
        return match.group(0)

    assert wrong_phone.status_code == unknown.status_code == 200
    assert result(wrong_phone) == result(unknown)


def test_status_lookups_are_rate_limited(client: Client, settings: Any) -> None:
    settings.INTAKE_RATE_LOOKUP = "1/m"
    address = _address()
    data = {"reference": "FB-ABCDEFGHJKMN", "phone_last4": "0000"}

    first = client.post(STATUS_URL, data, REMOTE_ADDR=address)
    second = client.post(STATUS_URL, data, REMOTE_ADDR=address)

    assert (first.status_code, second.status_code) == (200, 429)
    assert "Retry-After" in second


# --- triage -------------------------------------------------------------------------------


def test_the_triage_page_shows_unmatched_feedback_masked(
    client: Client, officer: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        FeedbackFactory(status=FeedbackStatus.TRIAGE, phone=f"1370000{n:04d}", name="王小明")
    client.force_login(officer)

    with django_assert_max_num_queries(12):
        response = client.get("/cases/triage/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="triage-link"') == 30
    assert "王*" in html
    assert "王小明" not in html
    assert "137****0001" in html
    assert "13700000001" not in html
    assert "额度显示五万但是无法使用。" in html  # the customer's own words, needed to triage


def test_the_triage_page_says_when_automatic_processing_failed(
    client: Client, officer: User
) -> None:
    failed = FeedbackFactory(status=FeedbackStatus.TRIAGE, error=processing.GAVE_UP_ERROR)
    FeedbackFactory(status=FeedbackStatus.TRIAGE)  # unmatched, nothing failed
    client.force_login(officer)

    html = client.get("/cases/triage/").content.decode()

    assert html.count('data-testid="processing-failed"') == 1
    row = html[html.index(f'data-feedback="{failed.pk}"') :]
    assert 'data-testid="processing-failed"' in row[: row.index("</tr>")]


def test_an_officer_links_feedback_from_the_triage_page_by_customer_number(
    client: Client, officer: User
) -> None:
    customer = CustomerFactory()
    line = CreditLineFactory(customer=customer, usable_limit=Decimal("0.00"))
    BlockFactory(credit_line=line, reason_code="KYC_EXPIRED")
    feedback = FeedbackFactory(status=FeedbackStatus.TRIAGE)
    client.force_login(officer)

    response = client.post(
        f"/cases/triage/{feedback.pk}/link/", {"customer": customer.external_id}, follow=True
    )

    feedback.refresh_from_db()
    assert feedback.status == FeedbackStatus.MATCHED
    assert feedback.case.customer_id == customer.pk
    assert f"#{feedback.case_id}" in response.content.decode()


def test_an_officer_closes_feedback_from_the_triage_page(client: Client, officer: User) -> None:
    feedback = FeedbackFactory(status=FeedbackStatus.TRIAGE)
    client.force_login(officer)

    client.post(f"/cases/triage/{feedback.pk}/close/", {"reason": "spam"})

    feedback.refresh_from_db()
    assert (feedback.status, feedback.close_reason) == (FeedbackStatus.CLOSED, "spam")


def test_an_unknown_customer_number_is_a_message_not_an_error(
    client: Client, officer: User
) -> None:
    feedback = FeedbackFactory(status=FeedbackStatus.TRIAGE)
    client.force_login(officer)

    response = client.post(
        f"/cases/triage/{feedback.pk}/link/", {"customer": "NOBODY-1"}, follow=True
    )

    assert response.status_code == 200
    feedback.refresh_from_db()
    assert feedback.status == FeedbackStatus.TRIAGE


def test_the_triage_page_is_for_officers_only(client: Client, auditor: User) -> None:
    client.force_login(auditor)

    assert client.get("/cases/triage/").status_code == 403
    anonymous = Client().get("/cases/triage/")
    assert anonymous.status_code == 302


def test_the_reference_is_unguessable_by_construction() -> None:
    assert len(submission.REFERENCE_ALPHABET) ** submission.REFERENCE_LENGTH > 2**58


@pytest.mark.parametrize(
    ("keep_days", "enabled", "said"),
    [
        (3 * 365, True, "We keep your feedback for 3 years after it is closed, then delete it."),
        (400, True, "We keep your feedback for 400 days after it is closed, then delete it."),
        (
            400,
            False,
            (
                "We keep your feedback until you ask us to delete it; "
                "no automatic deletion period is set at present."
            ),
        ),
    ],
)
def test_the_notice_states_the_retention_policy_in_force(
    client: Client, keep_days: int, enabled: bool, said: str
) -> None:
    from compliance.models import RetentionPolicy
    from portal.pii.sources import RetentionRecordType

    RetentionPolicy.objects.filter(record_type=RetentionRecordType.FEEDBACK_TEXT).update(
        keep_days=keep_days, enabled=enabled
    )

    english = " ".join(client.get(FORM_URL + "?lang=en").content.decode().split())

    assert said in english
    assert ("then delete it" in english) is enabled
