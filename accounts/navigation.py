"""The sections of the portal this app adds to the role's navigation (registered from
``ready()``; ``portal.navigation`` shows each to users holding its permission)."""

from django.utils.translation import gettext_lazy as _

from portal.registries import NavItem

NAV_ITEMS = (
    NavItem("home", "home", _("Home"), None, order=0),
    NavItem(
        "administration",
        "admin:index",
        _("Administration"),
        "accounts.change_user",
        _("Manage staff accounts, their roles and sign-in lockouts."),
        order=160,
    ),
)
