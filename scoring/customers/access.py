"""The personal-data access log: every reveal of a customer's personal fields in plain text.

Owned by ``scoring`` (which owns the customers, the data subjects) and written only by its
reveal service; the compliance workspace reads it. The table keeps its name from when it
lived in ``compliance`` (``compliance_personaldataaccess``): the move was state only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- personal-data access log -------------------------------------------------------------------

ACCESS_LOG_MIN_RETENTION_DAYS = 183  # PIPL practice: at least six months, whatever the policy


class PersonalField(models.TextChoices):
    """The personal fields of a customer that can be revealed, exported or erased."""

    NAME = "name", _("Name")
    PHONE = "phone", _("Mobile number")
    NATIONAL_ID = "national_id", _("ID number")


class AccessSource(models.TextChoices):
    PAGE = "page", _("Portal page")
    API = "api", _("API")
    EXPORT = "export", _("Export")
    PRIVACY_REQUEST = "privacy_request", _("Data-subject request")


class RevealPurpose(models.TextChoices):
    """Why personal fields are seen in plain text: a short list, with free text for "other"
    (and as an optional note on the rest)."""

    VERIFY_IDENTITY = "verify_identity", _("Verify identity before contacting the customer")
    CALL_BACK = "call_back", _("Call the customer back")
    INVESTIGATE_MISMATCH = "investigate_mismatch", _("Investigate a data mismatch")
    DATA_SUBJECT_REQUEST = "data_subject_request", _("Answer a data-subject request")
    OTHER = "other", _("Other (explain below)")


class PersonalDataAccess(models.Model):
    """One reveal of personal fields in plain text: who, whose, which fields, why, from where.

        Append-only: database triggers refuse UPDATE, and refuse DELETE of rows younger than
        ``ACCESS_LOG_MIN_RETENTION_DAYS`` (migration ``0005``), so no retention policy can cut
        the log short. ``customer`` survives erasure (the customer row is pseudonymised, not
        deleted); ``case_id`` and ``request_id`` (the work the reveal served) are plain ids because
    cases and compliance sit above scoring.
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        related_name="personal_data_accesses",
    )
    actor_label = models.CharField(_("who (name)"), max_length=200)
    customer = models.ForeignKey(
        "scoring.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="personal_data_accesses",
    )
    fields = models.JSONField(_("fields"), default=list)
    purpose = models.CharField(_("purpose"), max_length=500)
    # "" on rows written before the list existed (issue 15).
    purpose_code = models.CharField(
        _("purpose (from the list)"),
        max_length=32,
        choices=RevealPurpose.choices,
        blank=True,
        default="",
    )
    case_id = models.BigIntegerField(_("case"), null=True, blank=True)
    request_id = models.BigIntegerField(_("data-subject request"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=AccessSource.choices)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)

    # Audit entries name this type as it was first written (see audit.log.target_type_of).
    audit_target_type = "compliance.personaldataaccess"

    class Meta:
        db_table = "compliance_personaldataaccess"
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data accesses")
        default_permissions = ("view",)
        permissions = [
            ("reveal_personal_data", _("Can reveal a customer's personal data for a purpose"))
        ]
        indexes = [
            models.Index(fields=["customer", "at"], name="pda_customer_at_idx"),
            models.Index(fields=["actor", "at"], name="pda_actor_at_idx"),
            models.Index(fields=["at"], name="pda_at_idx"),
        ]

    def __str__(self) -> str:
        return f"access #{self.pk} by {self.actor_label}"


class RevealAllowance(models.Model):
    """Extra reveals for one person on one day, granted by a supervisor beyond
    ``REVEALS_DAILY_BUDGET`` (issue 15). Append-only: each grant is a row of its own (who,
    for whom, how many, why) and an audit entry; the day's limit is the budget plus the sum
    of the day's grants."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("for"),
        on_delete=models.PROTECT,
        related_name="reveal_allowances",
    )
    day = models.DateField(_("day"))
    extra = models.PositiveSmallIntegerField(_("extra reveals"))
    reason = models.CharField(_("reason"), max_length=500)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)

    class Meta:
        verbose_name = _("reveal allowance")
        verbose_name_plural = _("reveal allowances")
        default_permissions = ("add", "view")
        indexes = [models.Index(fields=["user", "day"], name="reveal_allowance_user_day_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(extra__gte=1), name="allowance_extra_pos")
        ]

    def __str__(self) -> str:
        return f"allowance #{self.pk} (+{self.extra})"
