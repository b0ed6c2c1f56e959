from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance"
    verbose_name = _("Compliance")

    def ready(self) -> None:
        from compliance.navigation import NAV_ITEMS
        from compliance.privacy.retention import keep_days_in_force
        from compliance.privacy.reveal_work import request_work_check
        from portal.registries import (
            HistoryKind,
            register_history_kinds,
            register_nav_items,
            register_retention_period,
            register_work_check,
        )

        register_nav_items(*NAV_ITEMS)
        register_retention_period(keep_days_in_force)
        # Which data-subject requests a reveal of personal data may serve.
        register_work_check("request", request_work_check)
        register_history_kinds(
            HistoryKind(
                "privacy_request",
                "compliance.DataSubjectRequest",
                _("Privacy request"),
                order=80,
            ),
            HistoryKind("legal_hold", "compliance.LegalHold", _("Legal hold"), order=90),
        )
