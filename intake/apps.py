from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        # What intake holds about a customer, for data-subject requests, erasure and
        # retention (the compliance workspace asks the registry).
        from intake.personal_data import IntakePersonalData
        from portal.pii.sources import register

        register(IntakePersonalData())
