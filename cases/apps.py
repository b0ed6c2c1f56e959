from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cases.navigation import NAV_ITEMS
        from cases.notifications import unread_badge
        from cases.personal_data import CasesPersonalData
        from portal.pii.sources import register
        from portal.registries import (
            HistoryKind,
            register_badge,
            register_history_kinds,
            register_nav_items,
        )

        # What cases hold about a customer, for data-subject requests, erasure and
        # retention (the compliance workspace asks the registry).
        register(CasesPersonalData())
        register_nav_items(*NAV_ITEMS)
        register_badge("unread_notifications", unread_badge)
        register_history_kinds(
            HistoryKind("case", "cases.Case", _("Case"), order=0),
            HistoryKind("decision", "cases.Decision", _("Decision"), order=40),
            HistoryKind("note", "cases.Note", _("Note"), order=50),
        )
