"""API v1: the case list (filters, cursor pages), a case, notes, claim-next and re-assess."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import CaseEventKind, CaseStatus, Note
from scoring.models import Assessment
from tests.cases.conftest import MakeCase
from tests.factories.scoring import CustomerFactory, make_assessment

pytestmark = pytest.mark.django_db

Client = Callable[[User], APIClient]


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_the_list_is_in_queue_order_with_cursor_pages(
    officer: User, make_case: MakeCase, api_client: Client
) -> None:
    now = timezone.now()
    late_p1 = make_case(priority=1, sla_due_at=now + timedelta(hours=5))
    early_p1 = make_case(priority=1, sla_due_at=now + timedelta(hours=1))
    p3 = make_case(priority=3)
    p2 = make_case(priority=2)
    client = api_client(officer)

    first = client.get("/api/v1/cases/?page_size=2")
    assert _ids(first) == [early_p1.pk, late_p1.pk]
    assert first.json()["previous"] is None
    second = client.get(first.json()["next"])

    assert _ids(second) == [p2.pk, p3.pk]
    assert second.json()["next"] is None


def test_the_list_filters(
    officer: User, second_officer: User, make_case: MakeCase, api_client: Client
) -> None:
    now = timezone.now()
    mine = make_case(assignee=officer, blocks=["KYC_EXPIRED"])
    theirs = make_case(assignee=second_officer, category="complaint", priority=1)
    breached = make_case(sla_due_at=now - timedelta(hours=1), reason_code="VELOCITY")
    soon = make_case(sla_due_at=now + timedelta(minutes=10))
    client = api_client(officer)

    assert _ids(client.get("/api/v1/cases/?assignee=me")) == [mine.pk]
    assert _ids(client.get(f"/api/v1/cases/?assignee={second_officer.pk}")) == [theirs.pk]
    assert set(_ids(client.get("/api/v1/cases/?assignee=none"))) == {breached.pk, soon.pk}
    assert _ids(client.get("/api/v1/cases/?category=complaint")) == [theirs.pk]
    assert _ids(client.get("/api/v1/cases/?priority=1")) == [theirs.pk]
    assert _ids(client.get("/api/v1/cases/?status=in_review&assignee=me")) == [mine.pk]
    assert _ids(client.get("/api/v1/cases/?sla=breached")) == [breached.pk]
    assert _ids(client.get("/api/v1/cases/?sla=due_soon")) == [soon.pk]
    assert _ids(client.get("/api/v1/cases/?reason_code=KYC_EXPIRED")) == [mine.pk]
    assert _ids(client.get("/api/v1/cases/?reason_code=VELOCITY")) == [breached.pk]
    external = mine.customer.external_id
    assert _ids(client.get(f"/api/v1/cases/?customer={external}")) == [mine.pk]


@pytest.mark.parametrize("query", ["status=lost", "priority=9", "sla=later", "assignee=bob"])
def test_a_bad_filter_is_a_400(officer: User, api_client: Client, query: str) -> None:
    response = api_client(officer).get(f"/api/v1/cases/?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["errors"]


def test_the_list_takes_a_bounded_number_of_queries(
    officer: User, make_case: MakeCase, api_client: Client, django_assert_max_num_queries: Any
) -> None:
    client = api_client(officer)
    for _ in range(3):
        make_case(assignee=officer)
    with django_assert_max_num_queries(8) as few:
        client.get("/api/v1/cases/")
    for _ in range(12):
        make_case(assignee=officer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/cases/")
    assert len(response.json()["results"]) == 15


def test_a_case_shows_masked_customer_line_blocks_assessment_and_timeline(
    officer: User, make_case: MakeCase, api_client: Client
) -> None:
    customer = CustomerFactory(name="王小明", phone="13812345678")
    case = make_case(assignee=officer, blocks=["KYC_EXPIRED", "VELOCITY"])
    case.credit_line.customer = customer
    case.credit_line.save()
    case.customer = customer
    case.save()
    assessment = make_assessment(customer)
    client = api_client(officer)
    client.post(f"/api/v1/cases/{case.pk}/notes/", {"body": "Called.", "version": 1}, format="json")

    response = client.get(f"/api/v1/cases/{case.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["customer"]["name"] == "王**"
    assert body["customer"]["phone"] == "138****5678"
    assert "王小明" not in response.content.decode()
    assert "13812345678" not in response.content.decode()
    assert body["credit_line"]["granted_limit"] == "50000.00"
    assert [b["reason_code"] for b in body["blocks"]] == ["KYC_EXPIRED", "VELOCITY"]
    assert all(b["description"] for b in body["blocks"])
    assert body["latest_assessment"]["id"] == assessment.pk
    assert body["latest_assessment"]["score"] == assessment.score
    assert [e["kind"] for e in body["timeline"]] == [CaseEventKind.NOTE]
    assert body["version"] == 2


def test_the_case_detail_takes_a_bounded_number_of_queries(
    officer: User, make_case: MakeCase, api_client: Client, django_assert_max_num_queries: Any
) -> None:
    case = make_case(assignee=officer, blocks=["KYC_EXPIRED", "VELOCITY", "GEO_ANOMALY"])
    client = api_client(officer)
    for n in range(10):
        client.post(
            f"/api/v1/cases/{case.pk}/notes/", {"body": f"n{n}", "version": n + 1}, format="json"
        )

    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/cases/{case.pk}/")

    assert len(response.json()["timeline"]) == 10


def test_a_missing_case_is_a_404(officer: User, api_client: Client) -> None:
    response = api_client(officer).get("/api/v1/cases/999999/")

    assert response.status_code == 404
    assert "errors" in response.json()


def test_a_note_is_added_and_a_stale_one_refused(
    officer: User, make_case: MakeCase, api_client: Client
) -> None:
    case = make_case(assignee=officer)
    client = api_client(officer)
    url = f"/api/v1/cases/{case.pk}/notes/"

    created = client.post(url, {"body": "Called the customer.", "version": 1}, format="json")
    stale = client.post(url, {"body": "Again.", "version": 1}, format="json")
    empty = client.post(url, {"body": " ", "version": 2}, format="json")

    assert created.status_code == 201
    assert created.json()["author"] == "officer"
    assert stale.status_code == 409
    assert empty.status_code == 400
    assert "body" in empty.json()["errors"]
    assert Note.objects.count() == 1


def test_claim_next_gives_the_most_urgent_case_then_204(
    officer: User, make_case: MakeCase, api_client: Client
) -> None:
    urgent = make_case(priority=1)
    client = api_client(officer)

    claimed = client.post("/api/v1/cases/claim-next/")
    empty = client.post("/api/v1/cases/claim-next/")

    assert claimed.status_code == 200
    assert claimed.json()["id"] == urgent.pk
    assert claimed.json()["status"] == CaseStatus.ASSIGNED
    assert claimed.json()["assignee"] == "officer"
    assert empty.status_code == 204


def test_claim_next_at_the_wip_limit_is_a_409(
    officer: User, make_case: MakeCase, api_client: Client, settings: Any
) -> None:
    settings.CASES_WIP_LIMIT = 1
    make_case(assignee=officer)
    make_case()

    response = api_client(officer).post("/api/v1/cases/claim-next/")

    assert response.status_code == 409


def test_reassess_queues_an_assessment(
    officer: User, make_case: MakeCase, api_client: Client
) -> None:
    case = make_case(assignee=officer)

    response = api_client(officer).post(f"/api/v1/cases/{case.pk}/reassess/")

    assert response.status_code == 202
    assessment = Assessment.objects.get(customer=case.customer)
    assert response.json() == {"assessment": assessment.pk, "status": "queued"}


def test_the_schema_documents_the_case_endpoints(officer: User, api_client: Client) -> None:
    response = api_client(officer).get("/api/schema/?format=json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/cases/",
        "/api/v1/cases/{id}/",
        "/api/v1/cases/{id}/decisions/",
        "/api/v1/decisions/{id}/approve/",
        "/api/v1/decisions/{id}/reject/",
    ):
        assert path in paths, path
