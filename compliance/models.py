"""The privacy officer's records: data-subject requests, legal holds, retention policies and
runs, and the record of every export."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.historical import HistoricalRecords
from portal.pii.sources import RetentionRecordType

# --- data-subject requests ----------------------------------------------------------------------


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access to their data")
    COPY = "copy", _("Copy of their data")
    CORRECT = "correct", _("Correction")
    DELETE = "delete", _("Deletion")
    EXPLAIN = "explain", _("Explanation of an automated decision")
    HUMAN_REVIEW = "human_review", _("Human review of an automated decision")
    WITHDRAW_CONSENT = "withdraw_consent", _("Withdrawal of consent")


class RequestChannel(models.TextChoices):
    PORTAL = "portal", _("Feedback form")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    BRANCH = "branch", _("In person")
    PARTNER = "partner", _("Partner channel")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FULFILLED = "fulfilled", _("Fulfilled")
    REFUSED = "refused", _("Refused")


class DataSubjectRequest(models.Model):
    """A person's request under PIPL Art. 44-47, answered by a privacy officer by ``due_at``.

    ``result`` holds what fulfilment produced that is not personal data (ids, counts, the
    explanation's reason codes); exports of the person's data are built on download, as a
    logged reveal, and never stored here.
    """

    customer = models.ForeignKey(
        "scoring.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="privacy_requests",
    )
    kind = models.CharField(_("type"), max_length=20, choices=RequestKind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=RequestChannel.choices)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    outcome = models.TextField(_("outcome"), blank=True, max_length=4000)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True, max_length=4000)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        permissions = [("fulfil_datasubjectrequest", _("Can fulfil data-subject requests"))]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=RequestStatus.REFUSED) | ~models.Q(refusal_reason=""),
                name="dsr_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(status=RequestStatus.OPEN) | models.Q(closed_at__isnull=False),
                name="dsr_closed_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(status=RequestStatus.OPEN),
                name="dsr_open_due_idx",
            ),
            models.Index(fields=["customer", "received_at"], name="dsr_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"request #{self.pk} ({self.kind})"


# --- legal hold and retention -------------------------------------------------------------------


class LegalHold(models.Model):
    """Keeps a customer's data (or a case's) from erasure and retention while it is active."""

    customer = models.ForeignKey(
        "scoring.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_holds",
    )
    case_id = models.BigIntegerField(_("case"), null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=2000)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    release_reason = models.TextField(_("reason for release"), blank=True, max_length=2000)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(customer__isnull=False) | models.Q(case_id__isnull=False),
                name="legalhold_has_subject",
            ),
        ]
        indexes = [
            models.Index(
                fields=["customer"],
                condition=models.Q(released_at__isnull=True),
                name="legalhold_active_customer_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"legal hold #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class RetentionPolicy(models.Model):
    """How long one kind of record is kept after the event that ends its purpose."""

    record_type = models.CharField(
        _("record type"), max_length=32, choices=RetentionRecordType.choices, unique=True
    )
    keep_days = models.PositiveIntegerField(_("keep for (days)"))
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")

    def __str__(self) -> str:
        return f"{self.record_type}: {self.keep_days} days"


class RetentionRun(models.Model):
    """One run of the retention policies, real or dry: what it found and what it did."""

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    dry_run = models.BooleanField(_("dry run"))
    actor_label = models.CharField(_("run by"), max_length=200)
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        default_permissions = ("view",)
        indexes = [models.Index(fields=["-started_at"], name="retentionrun_started_idx")]

    def __str__(self) -> str:
        return f"retention run #{self.pk}"


# --- exports ------------------------------------------------------------------------------------


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


class ExportRecord(models.Model):
    """One export of a filtered view, and its manifest once the stream has ended.

    The file is streamed, never stored; its SHA-256 digest and the signature over the
    manifest (``EXPORT_SIGNING_KEY``) are written when the last row has gone out, so the
    manifest can be downloaded beside the file and checked with ``manage.py export_verify``.
    """

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("what"), max_length=40)
    format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by_label = models.CharField(_("exported by (name)"), max_length=150, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows = models.BigIntegerField(_("rows"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    key_id = models.CharField(_("signing key id"), max_length=32, blank=True)
    signature = models.CharField(_("signature"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        default_permissions = ("view",)
        indexes = [models.Index(fields=["created_by", "-created_at"], name="export_by_idx")]

    def __str__(self) -> str:
        return f"export #{self.pk} ({self.kind})"
