from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.forms import PHONE_SEARCH_MAX_AGE
from cases.models import Case, CaseStatus
from portal.pii.crypto import encrypt, keyed_hash
from tests.factories.cases import CaseFactory
from tests.factories.scoring import CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("cases:queue")


def _ids(response) -> list[int]:
    return [case.pk for case in response.context["page"].cases]


def test_the_queue_lists_open_cases_by_priority_then_due_time(client, officer):
    now = timezone.now()
    late = CaseFactory(priority=2, sla_due_at=now + timedelta(hours=8))
    urgent = CaseFactory(priority=1, sla_due_at=now + timedelta(hours=9))
    early = CaseFactory(priority=2, sla_due_at=now + timedelta(hours=1))
    CaseFactory(status=CaseStatus.CLOSED)
    client.force_login(officer)

    response = client.get(QUEUE)

    assert response.status_code == 200
    assert _ids(response) == [urgent.pk, early.pk, late.pk]
    assert "3 cases match." in response.text
    assert "Claim next case" in response.text


def test_customers_are_shown_masked(client, officer):
    customer = CustomerFactory(name="王小明", phone="13912345678")
    CaseFactory(credit_line=CreditLineFactory(customer=customer))
    client.force_login(officer)
    response = client.get(QUEUE)
    assert "王小明" not in response.text
    assert "13912345678" not in response.text
    assert "139****5678" in response.text


def test_filters_narrow_the_queue(client, officer, second_officer):
    now = timezone.now()
    mine = CaseFactory(status=CaseStatus.ASSIGNED, assignee=officer, reason_code="KYC_EXPIRED")
    theirs = CaseFactory(status=CaseStatus.ASSIGNED, assignee=second_officer)
    breached = CaseFactory(sla_due_at=now - timedelta(minutes=5), priority=1)
    soon = CaseFactory(sla_due_at=now + timedelta(minutes=20), category="complaint")
    client.force_login(officer)

    assert _ids(client.get(QUEUE, {"assignee": "me"})) == [mine.pk]
    assert theirs.pk not in _ids(client.get(QUEUE, {"assignee": "none"}))
    assert _ids(client.get(QUEUE, {"sla": "breached"})) == [breached.pk]
    assert _ids(client.get(QUEUE, {"sla": "due_soon"})) == [soon.pk]
    assert _ids(client.get(QUEUE, {"category": "complaint"})) == [soon.pk]
    assert _ids(client.get(QUEUE, {"reason_code": "KYC_EXPIRED"})) == [mine.pk]
    assert _ids(client.get(QUEUE, {"priority": "1"})) == [breached.pk]
    assert _ids(client.get(QUEUE, {"status": "assigned", "assignee": "none"})) == []
    external = mine.customer.external_id
    assert _ids(client.get(QUEUE, {"customer": external})) == [mine.pk]
    assert _ids(client.get(reverse("cases:my_cases"))) == [mine.pk]


def test_a_phone_search_keeps_the_number_out_of_the_url(client, officer):
    customer = CustomerFactory(phone="13987654321")
    wanted = CaseFactory(credit_line=CreditLineFactory(customer=customer))
    CaseFactory()
    client.force_login(officer)

    response = client.post(QUEUE, {"phone": "139 8765 4321"})

    assert response.status_code == 302
    assert "13987654321" not in response.url
    # Not even the keyed hash: a new encrypted token for every search, so two searches
    # for the one person cannot be linked in an access log.
    assert keyed_hash("13987654321", kind="phone") not in response.url
    again = client.post(QUEUE, {"phone": "13987654321"})
    assert again.url != response.url
    followed = client.get(response.url)
    assert _ids(followed) == [wanted.pk]
    assert "13987654321" not in followed.text
    assert 'data-testid="phone-filter"' in followed.text
    assert _ids(client.get(again.url)) == [wanted.pk]


@pytest.mark.parametrize("change", ["expired", "altered", "not ours"])
def test_an_expired_or_altered_phone_search_says_to_search_again(
    client, officer, change, monkeypatch
):
    CaseFactory(credit_line=CreditLineFactory(customer=CustomerFactory(phone="13987654321")))
    client.force_login(officer)
    url = client.post(QUEUE, {"phone": "13987654321"}).url
    token = parse_qs(urlsplit(url).query)["ph"][0]
    if change == "expired":
        later = time.time() + PHONE_SEARCH_MAX_AGE + 60
        monkeypatch.setattr("cryptography.fernet.time.time", lambda: later)
    elif change == "altered":
        token = token[:-8] + ("A" if token[-8] != "A" else "B") + token[-7:]
    else:  # a valid token of another kind (an encrypted field's value)
        token = encrypt("13987654321")

    response = client.get(QUEUE, {"ph": token})

    assert response.status_code == 200
    assert response.context["page"] is None  # no unfiltered queue in its place
    assert "This mobile-number search has expired; search for the number again." in (response.text)


def test_a_bad_phone_number_is_explained(client, officer):
    client.force_login(officer)
    response = client.post(QUEUE, {"phone": "12345"})
    assert response.status_code == 200
    assert "Enter a mainland mobile number" in response.text


def test_keyset_pages_walk_the_whole_queue_without_repeats(client, officer, settings):
    settings.CASES_QUEUE_PAGE_SIZE = 4
    due = timezone.now() + timedelta(hours=3)
    made = [
        CaseFactory(priority=1 + i % 2, sla_due_at=due + timedelta(minutes=i % 3))
        for i in range(10)
    ]
    client.force_login(officer)
    seen: list[int] = []
    params: dict[str, str] = {}
    while True:
        response = client.get(QUEUE, params)
        seen += _ids(response)
        cursor = response.context["page"].next_cursor
        if cursor is None:
            break
        assert "OFFSET" not in cursor
        params = {"after": cursor}
    expected = Case.objects.order_by("priority", "sla_due_at", "id").values_list("pk", flat=True)
    assert seen == list(expected)
    assert len(seen) == len(made)


def test_a_broken_page_link_is_refused_politely(client, officer):
    client.force_login(officer)
    response = client.get(QUEUE, {"after": "not-a-cursor"})
    assert response.status_code == 200
    assert "This page link is not valid" in response.text


def test_counts_above_the_cap_say_about(client, officer, settings):
    settings.CASES_QUEUE_COUNT_CAP = 3
    CaseFactory.create_batch(5)
    client.force_login(officer)
    response = client.get(QUEUE)
    assert "About 3 or more cases match." in response.text


@pytest.mark.parametrize("rows", [5, 50])
def test_the_queue_page_makes_the_same_few_queries_for_5_and_50_rows(
    client, supervisor, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        CaseFactory(status=CaseStatus.ASSIGNED, assignee=supervisor)
    client.force_login(supervisor)
    client.get(QUEUE)  # warm the session and permission caches' first-use paths
    with django_assert_max_num_queries(7):
        response = client.get(QUEUE)
    assert len(response.context["page"].cases) == rows


def test_someone_without_case_access_is_refused(client, privacy_officer):
    client.force_login(privacy_officer)
    assert client.get(QUEUE).status_code == 403


def test_the_empty_queue_says_so_when_claiming(client, officer):
    client.force_login(officer)
    response = client.post(reverse("cases:claim_next"), follow=True)
    assert "The queue is empty" in response.text


def test_claiming_from_the_page_opens_the_case(client, officer):
    case = CaseFactory()
    client.force_login(officer)
    response = client.post(reverse("cases:claim_next"))
    assert response.url == reverse("cases:detail", args=[case.pk])
    case.refresh_from_db()
    assert case.assignee == officer


def test_the_wip_limit_is_explained_on_the_page(client, officer, settings):
    settings.CASES_WIP_LIMIT = 1
    CaseFactory(status=CaseStatus.ASSIGNED, assignee=officer)
    CaseFactory()
    client.force_login(officer)
    response = client.post(reverse("cases:claim_next"), follow=True)
    assert "your limit of 1" in response.text


def test_a_supervisor_reassigns_ticked_cases_from_the_queue(client, supervisor, officer):
    first, second = CaseFactory(), CaseFactory()
    client.force_login(supervisor)
    page = client.get(QUEUE)
    assert 'data-testid="reassign"' in page.text
    response = client.post(
        reverse("cases:reassign"), {"case_ids": [first.pk, second.pk], "assignee": officer.pk}
    )
    assert response.status_code == 302
    assert Case.objects.filter(assignee=officer).count() == 2


def test_an_officer_sees_no_reassign_form_and_cannot_post_it(client, officer):
    case = CaseFactory()
    client.force_login(officer)
    assert 'data-testid="reassign"' not in client.get(QUEUE).text
    response = client.post(reverse("cases:reassign"), {"case_ids": [case.pk], "assignee": ""})
    assert response.status_code == 403


def test_the_queue_speaks_chinese(client, officer):
    CaseFactory(priority=1)
    client.force_login(officer)
    client.cookies["portal_language"] = "zh-hans"
    response = client.get(QUEUE)
    assert "领取下一个案件" in response.text
    assert "P1（紧急）" in response.text
    assert "1 个案件符合条件。" in response.text
