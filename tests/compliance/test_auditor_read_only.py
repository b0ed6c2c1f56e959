"""The compliance auditor reads everything and changes nothing, on every route there is.

The routes are enumerated from the URL configuration itself, so a new page or endpoint is
covered the day it is added. Each route gets a POST as the signed-in auditor (and PUT,
PATCH and DELETE too for the API, with the auditor's token): the answer must be 403 (or
405 where the route takes no such method), never a success or a redirect, and no table
of the business may change. A refused write leaves an ``access.denied`` audit entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEntry
from cases.models import (
    Case,
    Decision,
    DecisionKind,
    DecisionReason,
    Notification,
    NotificationKind,
)
from cases.services.notes import note_add
from compliance.models import DataSubjectRequest, ExportRecord, LegalHold
from intake.models import Feedback, FeedbackStatus
from scoring.models import BulkJob, BulkJobStatus, Scorecard
from tests.cases.conftest import make_case
from tests.factories.scoring import make_assessment

pytestmark = pytest.mark.django_db

__all__ = ["make_case"]  # a fixture shared with the cases tests

API_WRITE_METHODS = ("post", "put", "patch", "delete")

# Routes the auditor may legitimately write to, each with the reason. Everything else is
# refused. Keep this list short and justified: it is what the auditor is allowed to do.
EXCLUDED: dict[str, str] = {
    "accounts/login/": "Sign-in: anyone may post credentials (its own lockout and audit).",
    "accounts/login/code/": "Sign-in's second step: a code from whoever is mid-sign-in.",
    "accounts/logout/": "Sign-out: ends the auditor's own session.",
    "i18n/setlang/": "Language switch: a cookie, no data.",
    "admin/login/": "The portal's sign-in for anonymous visitors, else its 403; writes nothing.",
    "feedback/": "The public feedback form: customers submit without signing in.",
    "feedback/thanks/": "The public form's confirmation page.",
    "feedback/status/": "The public status lookup: customers look up their reference.",
    "api/v1/feedback/": "The public and partner-channel feedback endpoint.",
    "api/v1/feedback/status/": "The public status lookup endpoint (a read sent as POST).",
    "compliance/audit/verify/": (
        "Verifying the audit chain is the auditor's own task (PIPL Art. 54); it records "
        "only the verification itself, never business data."
    ),
    "cases/notifications/read-all/": "Marks the auditor's own notifications read (own inbox).",
    "cases/notifications/<int:pk>/read/": "Marks one of the auditor's own notifications read.",
}
# Routes that answer a write method with something other than 403/405 and still change
# nothing (checked): reads sent as POST so a search term stays out of URLs and logs, and
# the channel-only endpoint, where a staff token is no credential at all.
OTHER_REFUSALS: dict[str, tuple[set[int], str]] = {
    "scoring/customers/": ({200}, "Customer search: a read sent as POST (decisions.md)."),
    "cases/": ({200, 302}, "Queue phone search: a read sent as POST (decisions.md)."),
    "cases/mine/": ({200, 302}, "My cases' phone search: a read sent as POST."),
    "api/v1/signals/": ({401}, "Upstream systems only (API key); a staff token is refused."),
    "accounts/two-factor/": ({200}, "The auditor's own authenticator app: no code, no change."),
    "accounts/two-factor/remove/": ({200}, "Removing the auditor's own app needs its code."),
    "api/docs/": ({302}, "API docs are a page for a signed-in session: a token goes to sign-in."),
    "api/redoc/": ({302}, "As api/docs/: a page for a signed-in session, never a write."),
}
# The Django admin lets in staff accounts only: anyone else is sent to sign in before any
# admin view runs. Those routes are checked separately below.
ADMIN_PREFIX = "admin/"


@dataclass(frozen=True)
class Route:
    pattern: str  # the joined route, e.g. "cases/<int:pk>/notes/"
    name: str

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.pattern, entry.name or ""


def all_routes() -> list[Route]:
    routes = []
    for joined, _pattern, name in _walk(get_resolver().url_patterns):
        if joined.startswith(ADMIN_PREFIX) and joined != "admin/login/":
            continue
        assert "(?P<" not in joined, f"{joined}: a regular-expression route; fill it in here."
        routes.append(Route(joined, name))
    return routes


# --- a world in which every route's object exists -------------------------------------------


@pytest.fixture
def world(
    make_case: Callable[..., Case],
    officer: User,
    supervisor: User,
    auditor: User,
    privacy_officer: User,
) -> dict[str, int]:
    case = make_case(assignee=officer, granted="50000.00", usable="0.00")
    note = note_add(actor=officer, case_id=case.pk, body="Called back.", version=None)
    case.refresh_from_db()
    # Written directly: a proposal waiting for approval, whatever the policy says today.
    decision = Decision.objects.create(
        case=case,
        kind=DecisionKind.OVERRIDE_LIMIT,
        reason_code=DecisionReason.IDENTITY_VERIFIED,
        justification="Verified by phone.",
        usable_limit="40000.00",
        usable_limit_before="0.00",
        requires_approval=True,
        proposed_by=officer,
    )
    assessment = make_assessment(case.customer)
    bulk = BulkJob.objects.create(
        requested_by=supervisor, filters={}, status=BulkJobStatus.RUNNING, total=0
    )
    feedback = Feedback.objects.create(
        reference="FB-READONLY-1",
        kind="other",
        status=FeedbackStatus.TRIAGE,
        consent_version="2026.1",
        consent_at=timezone.now(),
    )
    notification = Notification.objects.create(
        recipient=auditor, kind=NotificationKind.DECISION_TO_APPROVE, case=case
    )
    request = DataSubjectRequest.objects.create(
        customer=case.customer,
        kind="access",
        channel="phone",
        due_at=timezone.now() + timedelta(days=15),
        created_by=privacy_officer,
    )
    hold = LegalHold.objects.create(
        customer=case.customer, reason="Court order", placed_by=privacy_officer
    )
    export = ExportRecord.objects.create(kind="audit", format="csv", created_by=auditor)
    return {
        "case": case.pk,
        "note": note.pk,
        "decision": decision.pk,
        "assessment": assessment.pk,
        "bulk": bulk.pk,
        "scorecard": Scorecard.objects.get(is_champion=True).pk,
        "customer": case.customer_id,
        "feedback": feedback.pk,
        "notification": notification.pk,
        "privacy_request": request.pk,
        "legal_hold": hold.pk,
        "export": export.pk,
    }


# The object an int in a route stands for, by what precedes it (first match wins).
_OBJECT_BY_PREFIX = [
    (r"triage/$", "feedback"),
    (r"notifications/$", "notification"),
    (r"decisions/$", "decision"),
    (r"assessments/bulk/$", "bulk"),
    (r"bulk-jobs/$", "bulk"),
    (r"assessments/$", "assessment"),
    (r"scorecards/$", "scorecard"),
    (r"customers/$", "customer"),
    (r"holds/$", "legal_hold"),
    (r"privacy/(requests/)?$", "privacy_request"),
    (r"exports/$", "export"),
    (r"history/[^/]+/$", "case"),
    (r"cases/$", "case"),
]
_CONVERTER = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>\w+)>")


def concrete_path(route: Route, world: dict[str, int]) -> str:
    path = ""
    position = 0
    for match in _CONVERTER.finditer(route.pattern):
        path += route.pattern[position : match.start()]
        converter = match.group("converter") or "str"
        if converter == "int":
            value = "1"
            for prefix, key in _OBJECT_BY_PREFIX:
                if re.search(prefix, path):
                    value = str(world[key])
                    break
            path += value
        elif converter == "str" and path.endswith("history/"):
            path += "case"  # a record type the history knows
        else:
            path += "x"
        position = match.end()
    return "/" + path + route.pattern[position:]


# --- nothing changes ------------------------------------------------------------------------

_WATCHED_APPS = ("accounts", "auth", "authtoken", "compliance", "scoring", "cases")


def _tables() -> list[str]:
    tables = set()
    for label in _WATCHED_APPS:
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in config.get_models(include_auto_created=True):
            if model is AuditEntry:  # refusals are audited there; checked on their own
                continue
            tables.add(model._meta.db_table)
    return sorted(tables)


def snapshot() -> dict[str, str]:
    """A digest of every business table's content (row count and every value)."""
    digests = {}
    with connection.cursor() as cursor:
        for table in _tables():
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' "
                f"ORDER BY t::text)), '') FROM {quoted} t"
            )
            digests[table] = cursor.fetchone()[0]
    return digests


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [table for table in before if before[table] != after[table]]


# --- the tests ------------------------------------------------------------------------------


def test_every_route_is_enumerated_and_the_exclusions_exist() -> None:
    patterns = {route.pattern for route in all_routes()}
    assert "cases/<int:pk>/notes/" in patterns
    assert "api/v1/cases/<int:pk>/decisions/" in patterns
    assert "compliance/history/<str:kind>/<int:pk>/" in patterns
    stale = (set(EXCLUDED) | set(OTHER_REFUSALS)) - patterns
    assert not stale, f"exclusions for routes that no longer exist: {sorted(stale)}"


def test_the_auditor_cannot_write_anywhere(auditor: User, world: dict[str, int]) -> None:
    pages = Client()
    pages.force_login(auditor)
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=auditor)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    failures = []
    checked = 0
    for route in all_routes():
        if route.pattern in EXCLUDED:
            continue
        path = concrete_path(route, world)
        client = api if route.is_api else pages
        methods = API_WRITE_METHODS if route.is_api else ("post",)
        for method in methods:
            before = snapshot()
            audit_before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
            response = (
                getattr(client, method)(path, {}, format="json")
                if route.is_api
                else (client.post(path, {}))
            )
            checked += 1
            after = snapshot()
            status = response.status_code
            accepted = {403, 405} | OTHER_REFUSALS.get(route.pattern, (set(), ""))[0]
            if status not in accepted:
                failures.append(f"{method.upper()} {path} ({route.name}): {status}")
            changed = _changed(before, after)
            if changed:
                failures.append(f"{method.upper()} {path} ({route.name}) changed {changed}")
            new_actions = set(
                AuditEntry.objects.filter(id__gt=audit_before or 0).values_list("action", flat=True)
            )
            if new_actions - {"access.denied"}:
                failures.append(f"{method.upper()} {path} audited {sorted(new_actions)}")
    assert checked > 40
    assert failures == [], "\n".join(failures)


def test_the_admin_sends_the_auditor_to_sign_in_and_changes_nothing(
    auditor: User, world: dict[str, int]
) -> None:
    client = Client()
    client.force_login(auditor)
    failures = []
    for model in admin.site._registry:
        meta = model._meta
        base = f"/admin/{meta.app_label}/{meta.model_name}/"
        for path in (base, f"{base}add/", f"{base}1/change/", f"{base}1/delete/"):
            before = snapshot()
            response = client.post(path, {})
            if response.status_code != 302 or not response["Location"].startswith("/admin/login/"):
                failures.append(f"POST {path}: {response.status_code}")
            if _changed(before, snapshot()):
                failures.append(f"POST {path} changed data")
    assert failures == []


def test_a_refused_write_is_audited_without_its_query_string(
    auditor: User, world: dict[str, int]
) -> None:
    client = Client()
    client.force_login(auditor)
    response = client.post(f"/cases/{world['case']}/notes/?body=secret", {"body": "x"})
    assert response.status_code == 403
    entry = AuditEntry.objects.filter(action="access.denied").get()
    assert entry.actor == auditor
    assert entry.data == {"method": "POST", "path": f"/cases/{world['case']}/notes/", "status": 403}


def test_a_refused_api_write_is_audited(auditor: User, world: dict[str, int]) -> None:
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=auditor)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.post(f"/api/v1/cases/{world['case']}/notes/", {"body": "x"}, format="json")
    assert response.status_code == 403
    entry = AuditEntry.objects.filter(action="access.denied").get()
    assert entry.actor_label == auditor.username
    assert entry.data == {
        "method": "POST",
        "path": f"/api/v1/cases/{world['case']}/notes/",
        "status": 403,
    }


def test_refused_reads_and_anonymous_requests_are_not_audited(
    officer: User, world: dict[str, int]
) -> None:
    client = Client()
    client.force_login(officer)
    assert client.get("/compliance/history/").status_code == 403
    assert Client().post(f"/cases/{world['case']}/notes/", {"body": "x"}).status_code == 302
    assert not AuditEntry.objects.filter(action="access.denied").exists()
