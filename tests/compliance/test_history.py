"""The auditor's history: versions with their diffs, actors and reasons, personal fields
masked, filters, keyset pages, the officer view, the pages, the API and the export table."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from audit.history_rows import change_reason, save_with_history
from audit.log import audit_record
from audit.models import AuditEntry, ChainVerification
from cases.decisions.services import decision_propose
from cases.models import Case
from cases.services.notes import note_add
from compliance.history import selectors as history
from intake.models import Feedback
from portal.permissions import SystemActor
from scoring.models import Block, Customer
from tests.cases.conftest import make_case
from tests.factories.scoring import BlockFactory, CustomerFactory

pytestmark = pytest.mark.django_db

__all__ = ["make_case"]  # a fixture shared with the cases tests


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api_for(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def customer(officer: User) -> Customer:
    """A customer created, then renamed by an officer, then relocated by the system."""
    person = CustomerFactory(name="张三丰", phone="13812345678", city="上海")
    person.name = "李四光"
    person.phone = "13987654321"
    save_with_history(
        person, actor=officer, reason="customer.corrected: DSR #1", fields=["name", "phone"]
    )
    person.city = "北京"
    save_with_history(
        person,
        actor=SystemActor("feed_sync"),
        reason=change_reason("customer.corrected", SystemActor("feed_sync")),
        fields=["city"],
    )
    return person


def _changes(version: history.Version) -> dict[str, tuple[str, str]]:
    return {change.field: (change.old, change.new) for change in version.changes}


# --- the selector ---------------------------------------------------------------------------


def test_each_version_shows_its_actor_reason_and_diff_newest_first(
    customer: Customer, officer: User
) -> None:
    page = history.history_page("customer", customer.pk)

    relocated, corrected, created = page.versions
    assert (relocated.type, relocated.actor) == ("changed", "system:feed_sync")
    assert relocated.reason == "customer.corrected by system:feed_sync"
    assert _changes(relocated) == {"city": ("上海", "北京")}
    assert (corrected.type, corrected.actor, corrected.reason) == (
        "changed",
        officer.username,
        "customer.corrected: DSR #1",
    )
    assert created.type == "created"
    assert created.first
    assert page.next_cursor is None
    assert page.previous_cursor is None


def test_personal_fields_are_masked_never_plain(customer: Customer) -> None:
    page = history.history_page("customer", customer.pk)
    corrected = page.versions[1]

    assert _changes(corrected)["name"] == ("张**", "李**")
    assert _changes(corrected)["phone"] == ("138****5678", "139****4321")
    assert all(change.personal for change in corrected.changes)
    created = page.versions[2]
    assert _changes(created)["national_id"][1].startswith("310")
    assert "*" in _changes(created)["national_id"][1]
    text = json.dumps([v.changes for v in page.versions], default=str, ensure_ascii=False)
    for plain in ("张三丰", "李四光", "13812345678", "13987654321", customer.national_id):
        assert plain not in text
    assert "name_hash" not in text
    assert "phone_hash" not in text


def test_free_text_a_customer_wrote_shows_only_that_it_changed(db: None) -> None:
    feedback = Feedback.objects.create(
        reference="FB-TEST-1",
        kind="other",
        name="王五",
        description="My card number is 6222 0000 1111",
        consent_version="2026.1",
        consent_at=timezone.now(),
    )
    version = history.history_page("feedback", feedback.pk).versions[-1]
    assert _changes(version)["description"] == ("", "(changed)")


def test_filters_by_action_actor_and_dates(customer: Customer, officer: User) -> None:
    def kinds(**filters: Any) -> list[str]:
        page = history.history_page("customer", customer.pk, history.HistoryFilters(**filters))
        return [v.actor for v in page.versions]

    assert kinds(action="created") == ["system"]
    assert kinds(actor=officer.username) == [officer.username]
    assert kinds(actor="system:feed_sync") == ["system:feed_sync"]
    today = timezone.localdate()
    assert len(kinds(since=today, until=today)) == 3
    assert kinds(until=today - timedelta(days=1)) == []
    # A filtered version still diffs against the real previous version, not the previous match.
    only = history.history_page(
        "customer", customer.pk, history.HistoryFilters(actor="system:feed_sync")
    ).versions[0]
    assert _changes(only) == {"city": ("上海", "北京")}


def test_keyset_pages_go_back_and_forth_without_gaps(customer: Customer, officer: User) -> None:
    for city in ("广州", "深圳", "杭州", "成都"):
        customer.city = city
        save_with_history(customer, actor=officer, reason="customer.updated", fields=["city"])
    every = [v.history_id for v in history.history_page("customer", customer.pk).versions]

    first = history.history_page("customer", customer.pk, page_size=3)
    second = history.history_page(
        "customer", customer.pk, cursor=first.next_cursor or "", page_size=3
    )
    third = history.history_page(
        "customer", customer.pk, cursor=second.next_cursor or "", page_size=3
    )
    assert [v.history_id for p in (first, second, third) for v in p.versions] == every
    assert third.next_cursor is None
    back = history.history_page(
        "customer", customer.pk, cursor=second.previous_cursor or "", page_size=3
    )
    assert [v.history_id for v in back.versions] == [v.history_id for v in first.versions]
    for bad in ("nonsense", "n99999999999999999999_0_1", "p1_0_99999999999999999999"):
        with pytest.raises(ValueError, match="cursor"):
            history.history_page("customer", customer.pk, cursor=bad)


def test_an_officers_changes_across_every_record_type_newest_first(
    customer: Customer, officer: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(assignee=officer)
    note = note_add(actor=officer, case_id=case.pk, body="Called the customer.", version=None)
    block = BlockFactory()
    save_with_history(block, actor=officer, reason="block.note_edited", fields=["note"])

    page = history.history_page(history.OFFICER, officer.pk)

    records = [(v.kind, v.object_id) for v in page.versions]
    assert records[0] == ("block", block.pk)
    assert {("note", note.pk), ("case", case.pk), ("customer", customer.pk)} <= set(records)
    assert all(v.actor == officer.username for v in page.versions)
    times = [v.time for v in page.versions]
    assert times == sorted(times, reverse=True)


def test_a_user_field_in_a_diff_shows_the_username(
    officer: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(assignee=officer)
    created = history.history_page("case", case.pk).versions[-1]
    assert _changes(created)["assignee"] == ("", officer.username)
    assert _changes(created)["status"][1] == "In review"


def test_unknown_record_types_and_ids(customer: Customer, officer: User) -> None:
    with pytest.raises(history.UnknownHistoryKind):
        history.history_exists("customers", customer.pk)
    assert history.history_exists("customer", customer.pk)
    assert not history.history_exists("customer", customer.pk + 1000)
    assert history.history_exists(history.OFFICER, officer.pk)
    assert history.history_version("customer", customer.pk, 999_999) is None


def test_the_export_table_is_flat_masked_and_lazy(customer: Customer) -> None:
    table = history.export_table({"model": "customer", "id": str(customer.pk), "action": "changed"})
    assert table.kind == "history"
    assert table.filters == {"model": "customer", "id": str(customer.pk), "action": "changed"}
    assert not isinstance(table.rows, list)
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    assert {(r["field"], r["old"], r["new"]) for r in rows} == {
        ("city", "上海", "北京"),
        ("name", "张**", "李**"),
        ("phone", "138****5678", "139****4321"),
    }
    assert {r["record_type"] for r in rows} == {"customer"}


def test_the_export_table_refuses_bad_parameters() -> None:
    from django.core.exceptions import ValidationError

    for params in (
        {"model": "nope", "id": "1"},
        {"model": "case", "id": "x"},
        {
            "model": "case",
            "id": "1",
            "since": "yesterday",
        },
    ):
        with pytest.raises(ValidationError):
            history.export_table(params)


# --- pages ----------------------------------------------------------------------------------


def test_the_auditor_chooses_a_record_and_lands_on_its_history(
    auditor: User, customer: Customer
) -> None:
    response = _client_for(auditor).get(
        reverse("compliance:history"), {"model": "customer", "id": customer.pk, "action": "changed"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/compliance/history/customer/{customer.pk}/?action=changed"


def test_the_auditor_chooses_an_officer_by_username(auditor: User, officer: User) -> None:
    response = _client_for(auditor).get(
        reverse("compliance:history"), {"model": "officer", "officer": officer.username}
    )
    assert response["Location"] == f"/compliance/history/officer/{officer.pk}/"
    response = _client_for(auditor).get(
        reverse("compliance:history"), {"model": "officer", "officer": "nobody"}
    )
    assert response.status_code == 400


def test_the_history_page_shows_masked_diffs_inline_in_bounded_queries(
    auditor: User, customer: Customer, officer: User, django_assert_max_num_queries: Any
) -> None:
    for city in ("广州", "深圳", "杭州", "成都", "重庆", "天津"):
        customer.city = city
        save_with_history(customer, actor=officer, reason="customer.updated", fields=["city"])
    client = _client_for(auditor)
    url = reverse("compliance:history_object", args=["customer", customer.pk])
    client.get(url)  # warm the session and permission caches
    # session, user, 2 permission reads, the layout's own; exists, versions, previous
    # versions, usernames: the same whatever the number of versions.
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "李**" in body
    assert "139****4321" in body
    assert "李四光" not in body
    assert "13987654321" not in body
    assert "customer.corrected: DSR #1" in body


def test_the_officer_page_stays_bounded_over_every_record_type(
    auditor: User, officer: User, customer: Customer, django_assert_max_num_queries: Any
) -> None:
    client = _client_for(auditor)
    url = reverse("compliance:history_object", args=["officer", officer.pk])
    client.get(url)
    with django_assert_max_num_queries(2 * len(history.KINDS) + 8):
        response = client.get(url)
    assert response.status_code == 200
    assert f"/compliance/history/customer/{customer.pk}/" in response.content.decode()


def test_the_version_page_shows_one_versions_full_diff(auditor: User, customer: Customer) -> None:
    version = history.history_page("customer", customer.pk).versions[0]
    response = _client_for(auditor).get(
        reverse("compliance:history_version", args=["customer", customer.pk, version.history_id])
    )
    assert response.status_code == 200
    assert "system:feed_sync" in response.content.decode()
    assert response.context["version"].history_id == version.history_id


def test_export_links_carry_the_current_filters(auditor: User, customer: Customer) -> None:
    response = _client_for(auditor).get(
        reverse("compliance:history_object", args=["customer", customer.pk]), {"action": "changed"}
    )
    export = response.context["export"]
    assert export["csv"] == (
        f"/compliance/exports/history/?model=customer&id={customer.pk}&action=changed&format=csv"
    )
    assert export["json"].endswith("&action=changed&format=json")


@pytest.mark.parametrize(
    "path",
    [
        "/compliance/history/customers/1/",
        "/compliance/history/customer/999999/",
        "/compliance/history/officer/999999/",
        "/compliance/history/officer/1/1/",
        "/compliance/history/customer/1/999999/",
    ],
)
def test_unknown_records_are_404(auditor: User, path: str) -> None:
    assert _client_for(auditor).get(path).status_code == 404


def test_bad_filters_are_a_form_error_not_a_crash(auditor: User, customer: Customer) -> None:
    url = reverse("compliance:history_object", args=["customer", customer.pk])
    response = _client_for(auditor).get(url, {"since": "2026-02-30", "cursor": "zzz"})
    assert response.status_code == 400
    assert "error-since" in response.content.decode()


def test_other_roles_cannot_browse_history(officer: User, customer: Customer) -> None:
    client = _client_for(officer)
    assert client.get(reverse("compliance:history")).status_code == 403
    url = reverse("compliance:history_object", args=["customer", customer.pk])
    assert client.get(url).status_code == 403


# --- API ------------------------------------------------------------------------------------


def test_the_api_lists_versions_with_masked_diffs_and_cursor_links(
    auditor: User, customer: Customer
) -> None:
    response = _api_for(auditor).get(f"/api/v1/history/customer/{customer.pk}/?page_size=2")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "next", "previous"}
    assert [v["type"] for v in body["results"]] == ["changed", "changed"]
    assert body["results"][1]["changes"][0] == {
        "field": "name",
        "label": "name",
        "old": "张**",
        "new": "李**",
        "personal": True,
    }
    assert body["previous"] is None
    older = _api_for(auditor).get(body["next"]).json()
    assert [v["type"] for v in older["results"]] == ["created"]
    assert older["next"] is None
    assert older["previous"]
    assert "李四光" not in json.dumps(body, ensure_ascii=False)


@pytest.mark.parametrize(
    "path", ["/api/v1/history/customers/1/", "/api/v1/history/customer/999999/"]
)
def test_the_api_answers_404_for_unknown_models_and_ids(auditor: User, path: str) -> None:
    response = _api_for(auditor).get(path)
    assert response.status_code == 404
    assert "errors" in response.json()


def test_the_api_refuses_bad_filters_with_400(auditor: User, customer: Customer) -> None:
    response = _api_for(auditor).get(
        f"/api/v1/history/customer/{customer.pk}/", {"action": "burned", "cursor": "x"}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"action", "cursor"}


def test_audit_entries_filter_by_case_customer_actor_and_action(
    auditor: User, officer: User
) -> None:
    about_case = audit_record(actor=officer, action="case.claimed", target=("cases.case", "7"))
    about_customer = audit_record(
        actor=officer, action="customer.revealed", target=("scoring.customer", "3")
    )
    naming_customer = audit_record(
        actor=SystemActor("rules"),
        action="credit_line.opened",
        target=("scoring.creditline", "9"),
        data={"customer": 3},
    )
    client = _api_for(auditor)

    def ids(**params: Any) -> list[int]:
        response = client.get("/api/v1/audit/entries/", params)
        assert response.status_code == 200, response.json()
        return [entry["id"] for entry in response.json()["results"]]

    assert ids(case=7) == [about_case.id]
    assert ids(customer=3) == [naming_customer.id, about_customer.id]
    assert ids(actor="system:rules") == [naming_customer.id]
    assert ids(action="customer.revealed") == [about_customer.id]
    page = client.get("/api/v1/audit/entries/", {"page_size": 1}).json()
    assert set(page) == {"results", "next", "previous"}
    assert page["next"]
    assert client.get("/api/v1/audit/entries/", {"since": "soon"}).status_code == 400


def test_the_chain_check_answers_and_is_recorded(auditor: User, officer: User) -> None:
    audit_record(actor=officer, action="case.claimed", target=("cases.case", "7"))
    response = _api_for(auditor).get("/api/v1/audit/verify/")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "entries_checked": 1, "first_bad": None}
    assert ChainVerification.objects.get().actor == auditor
    assert AuditEntry.objects.filter(action="audit.chain_verified").count() == 1


@pytest.mark.parametrize(
    "path",
    ["/api/v1/history/officer/1/", "/api/v1/audit/entries/", "/api/v1/audit/verify/"],
)
def test_the_auditor_endpoints_refuse_officers(officer: User, path: str) -> None:
    assert _api_for(officer).get(path).status_code == 403
    assert not ChainVerification.objects.exists()


def test_the_schema_describes_the_auditor_endpoints_without_warnings(auditor: User) -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    from compliance.history import api_urls as history_api_urls

    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=history_api_urls.urlpatterns).get_schema(
        request=None, public=True
    )
    assert set(schema["paths"]) == {"/history/{model}/{id}/", "/audit/entries/", "/audit/verify/"}
    assert not GENERATOR_STATS._warn_cache
    assert not GENERATOR_STATS._error_cache
    assert _api_for(auditor).get("/api/schema/").status_code == 200


def test_a_decision_version_shows_limits_and_proposer(
    officer: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(assignee=officer, usable="0.00", granted="50000.00")
    decision = decision_propose(
        actor=officer,
        case_id=case.pk,
        version=case.version,
        kind="keep_block",
        reason_code="RISK_CONFIRMED",
        justification="Device still unknown.",
        blocks=[block.pk for block in Block.objects.filter(credit_line=case.credit_line)],
    )
    created = history.history_page("decision", decision.pk).versions[-1]
    assert _changes(created)["proposed_by"] == ("", officer.username)
    assert _changes(created)["reason_code"] == ("", "Risk confirmed")
    assert created.actor == officer.username
