from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.historical import HistoricalRecords


class User(AbstractUser):
    """A member of staff. Roles are groups (see ``accounts.roles``); customers never log in.

    Roles and activation change only through ``accounts.staff`` (four-eyes requests); each
    applied change leaves a history row here whose reason names the request and the roles.
    """

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")

    def __str__(self) -> str:
        return self.username

    @property
    def role_names(self) -> set[str]:
        """Names of the role groups this user holds (cached on the instance)."""
        cached: set[str] | None = getattr(self, "_role_names", None)
        if cached is None:
            cached = set(self.groups.values_list("name", flat=True))
            self._role_names = cached
        return cached


class StaffChangeKind(models.TextChoices):
    ROLES = "roles", _("Change of roles")
    INVITE = "invite", _("New account")
    DEACTIVATE = "deactivate", _("Deactivation")
    REACTIVATE = "reactivate", _("Reactivation")


class RoleChangeState(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for a second administrator")
    REJECTED = "rejected", _("Rejected")
    APPLIED = "applied", _("Approved and applied")


class RoleChangeRequest(models.Model):
    """A change to a staff account proposed by one administrator; it takes effect only when
    another administrator approves it (approval applies it in the same transaction)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_change_requests"
    )
    kind = models.CharField(max_length=16, choices=StaffChangeKind.choices)
    roles_before = models.JSONField(default=list)
    roles_requested = models.JSONField(default=list)
    state = models.CharField(
        max_length=16, choices=RoleChangeState.choices, default=RoleChangeState.PROPOSED
    )
    reason = models.CharField(max_length=500)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    decided_at = models.DateTimeField(null=True)
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("staff change request")
        verbose_name_plural = _("staff change requests")
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            # One open request per account: a second proposal waits for the first.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(state="proposed"),
                name="accounts_one_open_staff_change",
            ),
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("proposed_by")),
                name="accounts_staff_change_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
