"""The header's unread badge costs nothing for people who never receive notifications."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from accounts.models import User
from cases.models import Notification, NotificationKind
from portal.context_processors import portal
from tests.factories.cases import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["auditor", "privacy_officer"])
def test_no_badge_query_for_someone_who_does_not_work_cases(
    role: str, request: Any, django_assert_num_queries: Any
) -> None:
    user: User = request.getfixturevalue(role)
    # Even a stray notice (say, from before a role change) raises no query and no badge.
    Notification.objects.create(
        recipient=user, kind=NotificationKind.SLA_BREACHED, case=CaseFactory(), data={}
    )
    user.has_perm("cases.view_case")  # the navigation loads the permissions anyway
    page = RequestFactory().get("/")
    page.user = user
    with django_assert_num_queries(0):
        assert str(portal(page)["unread_notifications"]) == ""


def test_a_supervisor_still_sees_the_badge(
    supervisor: User, django_assert_num_queries: Any
) -> None:
    Notification.objects.create(
        recipient=supervisor, kind=NotificationKind.SLA_BREACHED, case=CaseFactory(), data={}
    )
    supervisor.has_perm("cases.view_case")
    page = RequestFactory().get("/")
    page.user = supervisor
    with django_assert_num_queries(1):
        assert str(portal(page)["unread_notifications"]) == "1"
