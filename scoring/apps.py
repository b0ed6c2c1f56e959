from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scoring"
    verbose_name = _("Scoring")

    def ready(self) -> None:
        # What scoring holds about a customer, for data-subject requests, erasure and
        # retention (compliance asks the registry instead of importing scoring).
        from portal.pii.sources import register
        from scoring.personal_data import ScoringPersonalData

        register(ScoringPersonalData())
