"""The sections of the portal this app adds to the role's navigation (registered from
``ready()``; ``portal.navigation`` shows each to users holding its permission)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.registries import NavItem

NAV_ITEMS = (
    NavItem(
        "audit_log",
        "compliance:audit_log",
        _("Audit log"),
        "audit.view_auditentry",
        _("Every recorded decision and change: who acted, when, on what, and why."),
        order=90,
    ),
    NavItem(
        "audit_verify",
        "compliance:audit_verify",
        _("Chain verification"),
        "audit.verify_audit_chain",
        _("Check that the hash-chained audit log is complete and has not been altered."),
        order=100,
    ),
    NavItem(
        "history",
        "compliance:history",
        pgettext_lazy("navigation", "History"),
        "scoring.view_personaldataaccess",
        _("Every version of a case, customer, credit line or decision, with its changes."),
        order=110,
    ),
    NavItem(
        "access_log",
        "compliance:access_log",
        _("Personal-data access"),
        "scoring.view_personaldataaccess",
        _("Who revealed which personal data, when and why; unusual volumes stand out."),
        order=130,
    ),
    NavItem(
        "exports",
        "compliance:exports",
        _("Exports"),
        "compliance.view_exportrecord",
        _("Signed exports of the audit log, history and access log, with their manifests."),
        order=140,
    ),
    NavItem(
        "privacy",
        "compliance:privacy_requests",
        _("Privacy requests"),
        "compliance.view_datasubjectrequest",
        _("Requests from individuals about their data, with their deadlines."),
        order=150,
    ),
)
