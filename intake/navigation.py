"""The sections of the portal this app adds to the role's navigation (registered from
``ready()``; ``portal.navigation`` shows each to users holding its permission)."""

from django.utils.translation import gettext_lazy as _

from portal.registries import NavItem

NAV_ITEMS = (
    NavItem(
        "triage",
        "intake:triage",
        _("Triage"),
        "intake.change_feedback",
        _("Customers' feedback that matched no customer: identify the customer or close it."),
        order=40,
    ),
)
