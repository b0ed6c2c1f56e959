from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # What cases hold about a customer, for data-subject requests, erasure and
        # retention (compliance asks the registry instead of importing cases).
        from cases.personal_data import CasesPersonalData
        from portal.pii.sources import register

        register(CasesPersonalData())
