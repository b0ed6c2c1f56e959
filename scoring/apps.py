from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scoring"
    verbose_name = _("Scoring")

    def ready(self) -> None:
        from portal.pii.sources import register
        from portal.registries import HistoryKind, register_history_kinds, register_nav_items
        from scoring.navigation import NAV_ITEMS
        from scoring.personal_data import ScoringPersonalData

        # What scoring holds about a customer, for data-subject requests, erasure and
        # retention (the compliance workspace asks the registry).
        register(ScoringPersonalData())
        register_nav_items(*NAV_ITEMS)
        customer_pii = frozenset(
            {"name", "phone", "national_id", "name_hash", "phone_hash", "national_id_hash"}
        )
        register_history_kinds(
            HistoryKind("customer", "scoring.Customer", _("Customer"), customer_pii, order=10),
            HistoryKind("credit_line", "scoring.CreditLine", _("Credit line"), order=20),
            HistoryKind("block", "scoring.Block", _("Block"), order=30),
            HistoryKind("assessment", "scoring.Assessment", _("Assessment"), order=60),
        )
