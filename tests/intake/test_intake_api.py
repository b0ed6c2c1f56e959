"""``POST /api/v1/feedback/`` (public and partner channels) and the public status lookup;
and what happens when Redis is down."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings
from rest_framework.test import APIClient

from intake.feedback import processing, submission
from intake.feedback import status as lookup
from intake.models import Channel, Feedback, FeedbackStatus
from intake.ratelimits import local_windows
from portal.celery import app as celery_app
from tests.factories.cases import ChannelFactory, make_channel_key
from tests.factories.scoring import BlockFactory, CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/feedback/"
STATUS = "/api/v1/feedback/status/"


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings: Any) -> None:
    settings.INTAKE_RATE_SUBMIT = "1000/m"
    settings.INTAKE_RATE_LOOKUP = "1000/m"
    settings.INTAKE_RATE_PARTNER_KEY = "1000/m"


def _address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "limit_unusable",
        "name": "张三",
        "phone": "13912345678",
        "description": "额度显示五万，但是付款时提示不可用。",
        "consent": True,
    }
    data.update(overrides)
    return data


@pytest.fixture
def stuck_customer() -> Any:
    customer = CustomerFactory(name="张三", phone="13912345678")
    line = CreditLineFactory(
        customer=customer, granted_limit=Decimal("50000.00"), usable_limit=Decimal("0.00")
    )
    BlockFactory(credit_line=line, reason_code="GEO_ANOMALY")
    return customer


def test_an_anonymous_submission_is_stored_and_answered_with_its_reference(
    django_capture_on_commit_callbacks: Any, stuck_customer: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post(URL, body(), format="json")

    assert response.status_code == 201
    answer = response.json()
    assert set(answer) == {"reference", "status", "case"}
    feedback = Feedback.objects.get(reference=answer["reference"])
    assert feedback.channel is None
    assert answer["status"] in {"received", "matched"}
    feedback.refresh_from_db()
    assert feedback.status == FeedbackStatus.MATCHED
    assert "13912345678" not in response.content.decode()


def test_without_consent_the_api_answers_400_with_errors() -> None:
    response = APIClient().post(URL, body(consent=False), format="json")

    assert response.status_code == 400
    assert "consent" in response.json()["errors"]
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345"),
        ("name", ""),
        ("name", "x" * 51),
        ("description", "x"),
        ("kind", "lottery"),
        ("happened_at", "2999-01-01T00:00:00Z"),
        ("happened_at", "not a time"),
        # At the ends of what a datetime holds: moving to UTC overflowed (a 500).
        ("happened_at", "0001-01-01T00:00:00"),
        ("happened_at", "0001-01-01T00:00:00+14:00"),
        ("happened_at", "1899-12-31T23:00:00+08:00"),
        ("language", "fr"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(field: str, value: Any) -> None:
    response = APIClient().post(URL, body(**{field: value}), format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize("raw", ['{"kind": ', "[1, 2]", '"text"', ""])
def test_malformed_json_is_a_400_with_errors(raw: str) -> None:
    response = Client().post(URL, raw, content_type="application/json")

    assert response.status_code == 400
    assert "errors" in response.json()


def test_anonymous_callers_are_rate_limited_with_retry_after(settings: Any) -> None:
    settings.INTAKE_RATE_SUBMIT = "2/m"
    client = APIClient(REMOTE_ADDR=_address())

    codes = [client.post(URL, body(), format="json") for _ in range(3)]

    assert [r.status_code for r in codes] == [201, 201, 429]
    assert int(codes[-1]["Retry-After"]) >= 1
    assert "non_field_errors" in codes[-1].json()["errors"]
    assert Feedback.objects.count() == 2


def test_a_partner_channel_submits_with_its_key_idempotently(settings: Any) -> None:
    settings.INTAKE_RATE_SUBMIT = "1/m"  # channels are not limited per address
    channel = ChannelFactory(code="partner-app", kind=Channel.Kind.PARTNER)
    _key, plaintext = make_channel_key(channel)
    client = APIClient(REMOTE_ADDR=_address())
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}", HTTP_IDEMPOTENCY_KEY="abc-1")

    first = client.post(URL, body(), format="json")
    again = client.post(URL, body(), format="json")
    other = client.post(URL, body(description="另一个问题，完全不同。"), format="json")

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert other.status_code == 409
    feedback = Feedback.objects.get()
    assert feedback.channel == channel


def test_each_partner_key_has_its_own_limit_answered_with_429_and_retry_after(
    settings: Any,
) -> None:
    settings.INTAKE_RATE_PARTNER_KEY = "2/m"
    channel = ChannelFactory(code="partner-busy", kind=Channel.Kind.PARTNER)
    _first_key, first_plain = make_channel_key(channel)
    _second_key, second_plain = make_channel_key(channel, name="second key")
    address = _address()  # one address for both keys: the limit is per key, not per address

    def send(plaintext: str, n: int) -> Any:
        client = APIClient(REMOTE_ADDR=address)
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}", HTTP_IDEMPOTENCY_KEY=f"k{n}")
        return client.post(
            URL, body(description=f"额度显示五万，但是付款时提示不可用。{n}"), format="json"
        )

    first = [send(first_plain, n).status_code for n in range(2)]
    limited = send(first_plain, 2)
    other_key = send(second_plain, 3)

    assert first == [201, 201]
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert "API key" in limited.json()["errors"]["non_field_errors"][0]
    assert other_key.status_code == 201
    assert Feedback.objects.filter(channel=channel).count() == 3


def test_a_wrong_api_key_is_a_401() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key nope.nope")

    response = client.post(URL, body(), format="json")

    assert response.status_code == 401
    assert "errors" in response.json()
    assert not Feedback.objects.exists()


# --- status --------------------------------------------------------------------------------


def test_the_status_post_is_rate_limited(settings: Any) -> None:
    settings.INTAKE_RATE_LOOKUP = "1/m"
    client = APIClient(REMOTE_ADDR=_address())
    lookup_body = {"reference": "FB-ABCDEFGHJKMN", "phone_last4": "1111"}

    ok = client.post(STATUS, lookup_body, format="json")
    limited = client.post(STATUS, lookup_body, format="json")

    assert (ok.status_code, limited.status_code) == (200, 429)
    assert int(limited["Retry-After"]) >= 1
    assert "non_field_errors" in limited.json()["errors"]


def test_the_status_is_looked_up_with_a_post_that_keeps_the_reference_out_of_the_url() -> None:
    reference = APIClient().post(URL, body(phone="13700009999"), format="json").json()["reference"]
    client = APIClient()

    right = client.post(STATUS, {"reference": reference, "phone_last4": "9999"}, format="json")
    typed = client.post(
        STATUS, {"reference": reference[3:].lower(), "phone_last4": "９９９９"}, format="json"
    )
    wrong_phone = client.post(
        STATUS, {"reference": reference, "phone_last4": "1111"}, format="json"
    )
    unknown = client.post(
        STATUS, {"reference": "FB-ABCDEFGHJKMN", "phone_last4": "1111"}, format="json"
    )
    garbage = client.post(STATUS, {"reference": "nonsense", "phone_last4": "1111"}, format="json")

    assert right.status_code == 200
    assert right.json() == typed.json()
    assert right.json()["status"] == "received"
    assert (wrong_phone.status_code, wrong_phone.content) == (unknown.status_code, unknown.content)
    assert (garbage.status_code, garbage.content) == (unknown.status_code, unknown.content)
    assert unknown.json()["status"] == lookup.LOOKUP_NOT_FOUND
    assert "Deprecation" not in right


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reference": "FB-ABCDEFGHJKMN"}, "phone_last4"),
        ({"reference": "FB-ABCDEFGHJKMN", "phone_last4": "12"}, "phone_last4"),
        ({"reference": "FB-ABCDEFGHJKMN", "phone_last4": "12ab"}, "phone_last4"),
        ({"phone_last4": "1234"}, "reference"),
        ({"reference": "", "phone_last4": "1234"}, "reference"),
        ({"reference": "F" * 41, "phone_last4": "1234"}, "reference"),
        ({"reference": ["FB-ABCDEFGHJKMN"], "phone_last4": "1234"}, "reference"),
    ],
)
def test_the_status_post_answers_bad_input_with_400_and_errors(
    data: dict[str, Any], field: str
) -> None:
    response = APIClient(REMOTE_ADDR=_address()).post(STATUS, data, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize("raw", ['{"reference": ', "[1, 2]", '"text"', ""])
def test_the_status_post_answers_malformed_json_with_400_and_errors(raw: str) -> None:
    response = Client(REMOTE_ADDR=_address()).post(STATUS, raw, content_type="application/json")

    assert response.status_code == 400
    assert "errors" in response.json()


def test_the_status_post_shares_the_lookup_rate_limit_with_the_page(settings: Any) -> None:
    settings.INTAKE_RATE_LOOKUP = "1/m"
    address = _address()
    client = APIClient(REMOTE_ADDR=address)
    lookup = {"reference": "FB-ABCDEFGHJKMN", "phone_last4": "1111"}

    by_page = Client(REMOTE_ADDR=address).post("/feedback/status/", lookup)
    by_post = client.post(STATUS, lookup, format="json")

    assert (by_page.status_code, by_post.status_code) == (200, 429)
    assert int(by_post["Retry-After"]) >= 1
    assert "non_field_errors" in by_post.json()["errors"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/feedback/FB-ABCDEFGHJKMN/status/?phone_last4=1111",
        "/api/v1/feedback/FB-ABCDEFGHJKMN/status/",
    ],
)
def test_the_retired_status_get_is_a_404_with_errors(path: str) -> None:
    response = APIClient(REMOTE_ADDR=_address()).get(path)

    assert response.status_code == 404
    assert "non_field_errors" in response.json()["errors"]
    assert "Deprecation" not in response


def test_a_get_of_the_status_post_route_is_a_405_with_errors() -> None:
    response = APIClient(REMOTE_ADDR=_address()).get(STATUS)

    assert response.status_code == 405
    assert "errors" in response.json()


def test_the_api_schema_still_builds(client: Client, officer: Any) -> None:
    import yaml

    client.force_login(officer)
    response = client.get("/api/schema/")

    assert response.status_code == 200
    paths = yaml.safe_load(response.content)["paths"]
    assert "post" in paths["/api/v1/feedback/"]
    assert paths["/api/v1/feedback/status/"]["post"].get("deprecated") is not True
    assert "/api/v1/feedback/{reference}/status/" not in paths


@pytest.mark.django_db(transaction=True)
def test_when_jobs_run_in_process_the_answer_shows_the_outcome_of_processing(
    stuck_customer: Any,
) -> None:
    # As ``make run`` without Redis: the job runs at the commit, before the answer is made.
    response = APIClient(REMOTE_ADDR=_address()).post(URL, body(), format="json")

    assert response.status_code == 201
    feedback = Feedback.objects.get(reference=response.json()["reference"])
    assert feedback.status == FeedbackStatus.MATCHED
    assert response.json()["status"] == "matched"
    assert feedback.case_id is not None
    assert response.json()["case"] == feedback.case_id


# --- Redis down ----------------------------------------------------------------------------

CLOSED = "redis://127.0.0.1:9/0"  # nothing listens on port 9


@pytest.fixture
def redis_down() -> Iterator[None]:
    """The broker and the caches (rate limits, form tokens) point at a closed port."""
    from django.conf import settings

    caches = {  # the configured backend (django-redis), pointed at the closed port
        name: {**settings.CACHES[name], "LOCATION": CLOSED} for name in ("default", "ratelimit")
    }
    assert caches["ratelimit"]["BACKEND"] == "django_redis.cache.RedisCache"
    local_windows.clear()
    celery_app.conf.task_always_eager = False
    before = celery_app.conf.broker_url
    celery_app.conf.broker_url = CLOSED
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        with override_settings(CACHES=caches):
            yield
    finally:
        celery_app.conf.broker_url = before
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        celery_app.conf.task_always_eager = True


def test_with_redis_down_submissions_are_still_stored_and_caught_up_later(
    redis_down: None, django_capture_on_commit_callbacks: Any, stuck_customer: Any
) -> None:
    from tests.intake.test_intake_pages import form_data

    with django_capture_on_commit_callbacks(execute=True):
        api = APIClient().post(URL, body(), format="json")
        page = Client().post("/feedback/", form_data())

    assert api.status_code == 201
    assert page.status_code == 302
    assert list(Feedback.objects.values_list("status", flat=True)) == ["received", "received"]


def test_with_redis_down_the_address_limit_still_holds_in_process(
    redis_down: None, settings: Any, caplog: Any
) -> None:
    settings.INTAKE_RATE_SUBMIT = "2/m"
    client = APIClient(REMOTE_ADDR=_address())

    codes = [client.post(URL, body(), format="json") for _ in range(3)]
    page = Client(REMOTE_ADDR=client.defaults["REMOTE_ADDR"]).post("/feedback/", {})

    assert [r.status_code for r in codes] == [201, 201, 429]
    assert int(codes[-1]["Retry-After"]) >= 1
    assert "non_field_errors" in codes[-1].json()["errors"]
    assert page.status_code == 429  # the page counts in the same in-process window
    assert Feedback.objects.count() == 2
    assert "counted in-process" in caplog.text


def test_with_redis_down_the_lookup_and_partner_key_limits_still_hold(
    redis_down: None, settings: Any
) -> None:
    settings.INTAKE_RATE_LOOKUP = "1/m"
    settings.INTAKE_RATE_PARTNER_KEY = "1/m"
    lookup_client = APIClient(REMOTE_ADDR=_address())
    lookup_body = {"reference": "FB-ABCDEFGHJKMN", "phone_last4": "1111"}
    _key, plaintext = make_channel_key(ChannelFactory(code="partner-down", kind="partner"))
    partner = APIClient(REMOTE_ADDR=_address())
    partner.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")

    lookups = [lookup_client.post(STATUS, lookup_body, format="json") for _ in range(2)]
    submissions = [partner.post(URL, body(), format="json") for _ in range(2)]

    assert [r.status_code for r in lookups] == [200, 429]
    assert [r.status_code for r in submissions] == [201, 429]
    assert "errors" in submissions[-1].json()


def test_the_sweep_sends_what_was_stored_while_redis_was_down(
    django_capture_on_commit_callbacks: Any, stuck_customer: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    feedback = Feedback.objects.create(
        reference=submission.new_reference(),
        kind="limit_unusable",
        name="张三",
        phone="13912345678",
        description="额度不能用。",
        consent_version="v1",
        consent_at=timezone.now(),
        received_at=timezone.now() - timedelta(minutes=2),
    )

    assert processing.feedback_sweep() == [feedback.pk]

    feedback.refresh_from_db()
    assert feedback.status == FeedbackStatus.MATCHED
    assert json.loads(json.dumps({"case": feedback.case_id}))["case"] is not None
