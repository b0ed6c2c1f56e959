from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from intake.navigation import NAV_ITEMS
        from intake.personal_data import IntakePersonalData
        from portal.pii.sources import register
        from portal.registries import HistoryKind, register_history_kinds, register_nav_items

        # What intake holds about a customer, for data-subject requests, erasure and
        # retention (the compliance workspace asks the registry).
        register(IntakePersonalData())
        register_nav_items(*NAV_ITEMS)
        feedback_pii = frozenset({"name", "phone", "description", "name_hash", "phone_hash"})
        register_history_kinds(
            HistoryKind("feedback", "intake.Feedback", _("Feedback"), feedback_pii, order=70),
        )
