"""The sections of the portal this app adds to the role's navigation (registered from
``ready()``; ``portal.navigation`` shows each to users holding its permission)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.registries import NavItem

NAV_ITEMS = (
    NavItem(
        "credit_lines",
        "scoring:unusable_lines",
        _("Credit lines"),
        "scoring.view_creditline",
        _("Credit lines customers can see but cannot use, with the blocks behind them."),
        order=50,
    ),
    NavItem(
        "customers",
        "scoring:customer_search",
        pgettext_lazy("navigation", "Customers"),
        "scoring.view_customer",
        _("Find a customer; personal details stay masked unless revealed for a stated purpose."),
        order=60,
    ),
    NavItem(
        "scorecards",
        "scoring:scorecards",
        _("Scorecards"),
        "scoring.view_scorecard",
        _("Scoring model versions, the champion, and how a challenger would score."),
        order=70,
    ),
    NavItem(
        "bulk_jobs",
        "scoring:bulk_jobs",
        _("Bulk re-assessment"),
        "scoring.view_bulkjob",
        _("Re-assess every customer matching a filter, and follow the job's progress."),
        order=80,
    ),
)
