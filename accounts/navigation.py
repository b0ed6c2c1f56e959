"""The sections of the portal this app adds to the role's navigation (registered from
``ready()``; ``portal.navigation`` shows each to users holding its permission)."""

from django.utils.translation import gettext_lazy as _

from portal.registries import NavItem

NAV_ITEMS = (
    NavItem("home", "home", _("Home"), None, order=0),
    NavItem(
        "staff",
        "staff:list",
        _("Staff"),
        "accounts.change_user",
        _("Invite, deactivate and change the roles of staff, with a second administrator."),
        order=150,
    ),
    NavItem(
        "administration",
        "admin:index",
        _("Administration"),
        "accounts.change_user",
        _("Sign-in lockouts and other records without a portal page."),
        order=160,
    ),
)
