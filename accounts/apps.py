from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from accounts.navigation import NAV_ITEMS
        from accounts.receivers import audit_lockout
        from portal.registries import HistoryKind, register_history_kinds, register_nav_items

        # django-axes decides lockouts inside its backend; its signal is the only place to
        # learn of one. The receiver just hands over to the service.
        user_locked_out.connect(audit_lockout, dispatch_uid="accounts.audit_lockout")
        register_nav_items(*NAV_ITEMS)
        # Staff accounts' versions (activation, staff flag; the reason names the applied
        # request with the roles before and after) for the auditor's history pages.
        register_history_kinds(
            HistoryKind(
                "staff_user",
                "accounts.User",
                _("Staff account"),
                personal=frozenset({"first_name", "last_name", "email"}),
                order=90,
            )
        )
