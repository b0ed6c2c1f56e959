"""The role's navigation: one list, each item shown only to users holding its permission.

The home page shows the same items as cards, with one line on what each section is for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NavItem:
    key: str
    url_name: str
    label: str | Promise
    permission: str | None  # None: every signed-in user
    description: str | Promise = ""


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("home", "home", _("Home"), None),
    NavItem(
        "cases",
        "cases:queue",
        _("Cases"),
        "cases.view_case",
        _("The case queue: claim the next case, or find one by status, reason or customer."),
    ),
    NavItem(
        "supervision",
        "cases:dashboard",
        _("Supervision"),
        "cases.change_decision",
        _("Queue depth, SLA breaches, throughput per officer, override and approval rates."),
    ),
    NavItem(
        "approvals",
        "decisions:approvals",
        _("Approvals"),
        "cases.change_decision",
        _("Decisions waiting for a second pair of eyes: approve or reject them."),
    ),
    NavItem(
        "triage",
        "intake:triage",
        _("Triage"),
        "intake.change_feedback",
        _("Customers' feedback that matched no customer: identify the customer or close it."),
    ),
    NavItem(
        "credit_lines",
        "scoring:unusable_lines",
        _("Credit lines"),
        "scoring.view_creditline",
        _("Credit lines customers can see but cannot use, with the blocks behind them."),
    ),
    NavItem(
        "customers",
        "scoring:customer_search",
        _("Customers"),
        "scoring.view_customer",
        _("Find a customer; personal details stay masked unless revealed for a stated purpose."),
    ),
    NavItem(
        "scorecards",
        "scoring:scorecards",
        _("Scorecards"),
        "scoring.view_scorecard",
        _("Scoring model versions, the champion, and how a challenger would score."),
    ),
    NavItem(
        "bulk_jobs",
        "scoring:bulk_jobs",
        _("Bulk re-assessment"),
        "scoring.view_bulkjob",
        _("Re-assess every customer matching a filter, and follow the job's progress."),
    ),
    NavItem(
        "audit_log",
        "compliance:audit_log",
        _("Audit log"),
        "audit.view_auditentry",
        _("Every recorded decision and change: who acted, when, on what, and why."),
    ),
    NavItem(
        "audit_verify",
        "compliance:audit_verify",
        _("Chain verification"),
        "audit.verify_audit_chain",
        _("Check that the hash-chained audit log is complete and has not been altered."),
    ),
    NavItem(
        "history",
        "compliance:history",
        _("History"),
        "scoring.view_personaldataaccess",
        _("Every version of a case, customer, credit line or decision, with its changes."),
    ),
    NavItem(
        "rates",
        "cases:rates",
        _("Decision rates"),
        "audit.view_auditentry",
        _("Override and approval rates by officer and reason code over time."),
    ),
    NavItem(
        "access_log",
        "compliance:access_log",
        _("Personal-data access"),
        "scoring.view_personaldataaccess",
        _("Who revealed which personal data, when and why; unusual volumes stand out."),
    ),
    NavItem(
        "exports",
        "compliance:exports",
        _("Exports"),
        "compliance.view_exportrecord",
        _("Signed exports of the audit log, history and access log, with their manifests."),
    ),
    NavItem(
        "privacy",
        "compliance:privacy_requests",
        _("Privacy requests"),
        "compliance.view_datasubjectrequest",
        _("Requests from individuals about their data, with their deadlines."),
    ),
    NavItem(
        "administration",
        "admin:index",
        _("Administration"),
        "accounts.change_user",
        _("Manage staff accounts, their roles and sign-in lockouts."),
    ),
)


@dataclass(frozen=True)
class NavLink:
    key: str
    url: str
    label: str | Promise
    description: str | Promise
    active: bool


def navigation_for(user: Any, current_path: str) -> list[NavLink]:
    """The items ``user`` may open, in menu order; superusers see every item."""
    if not getattr(user, "is_authenticated", False):
        return []
    links = []
    for item in NAV_ITEMS:
        if item.permission and not user.has_perm(item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            # A section whose app is not installed or not wired yet: leave it out of the
            # menu rather than break every page. The navigation tests catch it.
            logger.warning("navigation: no URL named %s", item.url_name)
            continue
        links.append(NavLink(item.key, url, item.label, item.description, active=False))
    # The current section is the item with the longest URL that prefixes the path, so
    # /compliance/audit/verify/ marks "Chain verification", not "Audit log" as well.
    matching = [
        link
        for link in links
        if current_path == link.url or (link.url != "/" and current_path.startswith(link.url))
    ]
    if matching:
        current = max(matching, key=lambda link: len(link.url))
        links = [replace(link, active=link is current) for link in links]
    return links
