"""The sections of the portal this app adds to the role's navigation (registered from
``ready()``; ``portal.navigation`` shows each to users holding its permission)."""

from django.utils.translation import gettext_lazy as _

from portal.registries import NavItem

NAV_ITEMS = (
    NavItem(
        "cases",
        "cases:queue",
        _("Cases"),
        "cases.view_case",
        _("The case queue: claim the next case, or find one by status, reason or customer."),
        order=10,
    ),
    NavItem(
        "supervision",
        "cases:dashboard",
        _("Supervision"),
        "cases.change_decision",
        _("Queue depth, SLA breaches, throughput per officer, override and approval rates."),
        order=20,
    ),
    NavItem(
        "approvals",
        "decisions:approvals",
        _("Approvals"),
        "cases.change_decision",
        _("Decisions waiting for a second pair of eyes: approve or reject them."),
        order=30,
    ),
    NavItem(
        "rates",
        "cases:rates",
        _("Decision rates"),
        "audit.view_auditentry",
        _("Override and approval rates by officer and reason code over time."),
        order=120,
    ),
)
