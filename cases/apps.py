from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cases.navigation import NAV_ITEMS
        from cases.notifications import notify_reveal_budget_near, unread_badge
        from cases.personal_data import CasesPersonalData
        from cases.reveal_work import case_work_check
        from portal.pii.sources import register
        from portal.registries import (
            HistoryKind,
            on_reveal_budget_near,
            register_badge,
            register_history_kinds,
            register_nav_items,
            register_work_check,
        )

        # What cases hold about a customer, for data-subject requests, erasure and
        # retention (the compliance workspace asks the registry).
        register(CasesPersonalData())
        register_nav_items(*NAV_ITEMS)
        # Which cases a reveal of personal data may serve (scoring asks the registry).
        register_work_check("case", case_work_check)
        on_reveal_budget_near(notify_reveal_budget_near)
        register_badge("unread_notifications", unread_badge)
        register_history_kinds(
            HistoryKind("case", "cases.Case", _("Case"), order=0),
            HistoryKind("decision", "cases.Decision", _("Decision"), order=40),
            HistoryKind("note", "cases.Note", _("Note"), order=50),
        )
