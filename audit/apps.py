from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from audit import checks  # noqa: F401  (registers the system checks)
        from audit.denials import access_denied_record
        from portal.registries import on_access_denied

        on_access_denied(access_denied_record)
