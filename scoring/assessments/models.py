"""Assessments (one scorecard run over one customer) and bulk re-assessment jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.historical import HistoricalRecords
from scoring.customers.models import Customer
from scoring.lines.models import CreditLine
from scoring.scorecards.models import Scorecard
from scoring.vocabulary import (
    MONEY_DIGITS,
    MONEY_PLACES,
)


class AssessmentStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class AssessmentTrigger(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    OFFICER = "officer", _("Officer")
    FEEDBACK = "feedback", _("Customer feedback")
    SIGNAL = "signal", _("Upstream signal")
    BULK = "bulk", _("Bulk re-assessment")
    SHADOW = "shadow", _("Challenger shadow scoring")


class BulkJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    CANCELLED = "cancelled", _("Cancelled")
    FINISHED = "finished", _("Finished")


class BulkJob(models.Model):
    """A supervisor's re-assessment of every customer matching a filter, run in chunks."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    filters = models.JSONField(_("filters"), default=dict)
    scorecard = models.ForeignKey(
        Scorecard,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scorecard"),
        help_text=_("Empty: the champion at the time each chunk runs."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=BulkJobStatus.choices, default=BulkJobStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("customers"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bulk re-assessment")
        verbose_name_plural = _("bulk re-assessments")
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")) & Q(failed__lte=models.F("done")),
                name="bulkjob_counts_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"bulk #{self.pk}"


class Assessment(models.Model):
    """One run of a scorecard over one customer's features: a recommendation, explained.

    The row is the job's state (``queued → running → succeeded/failed``), written by the
    services so a lost message is found by the sweeper. ``contributions`` sum to ``score``
    exactly (base points included); ``reason_codes`` are ranked by what each cost.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("customer")
    )
    credit_line = models.ForeignKey(
        CreditLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("credit line"),
    )
    scorecard = models.ForeignKey(
        Scorecard,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("scorecard"),
    )
    bulk_job = models.ForeignKey(
        BulkJob,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("bulk re-assessment"),
    )
    trigger = models.CharField(_("trigger"), max_length=16, choices=AssessmentTrigger.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.QUEUED,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_by_label = models.CharField(_("requested by (name)"), max_length=150, blank=True)
    features = models.JSONField(_("feature snapshot"), default=dict, blank=True)
    score = models.IntegerField(_("score"), null=True, blank=True)
    cutoff = models.IntegerField(_("cut-off"), null=True, blank=True)
    recommended_limit = models.DecimalField(
        _("recommended limit"),
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        null=True,
        blank=True,
    )
    contributions = models.JSONField(_("contributions"), default=list, blank=True)
    rule_hits = models.JSONField(_("rule hits"), default=list, blank=True)
    reason_codes = models.JSONField(_("reason codes"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    queued_at = models.DateTimeField(_("queued"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in AssessmentStatus]),
                name="assessment_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=AssessmentStatus.SUCCEEDED)
                | (Q(score__isnull=False) & Q(finished_at__isnull=False)),
                name="assessment_succeeded_has_score",
            ),
            # A bulk job assesses each customer once, however often a chunk is delivered.
            models.UniqueConstraint(
                fields=["bulk_job", "customer"],
                condition=Q(bulk_job__isnull=False),
                name="assessment_once_per_bulk_job",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-queued_at"], name="assessment_customer_recent"),
            # The sweeper's probe: unfinished jobs by age.
            models.Index(
                fields=["status", "queued_at"],
                condition=Q(status__in=[AssessmentStatus.QUEUED, AssessmentStatus.RUNNING]),
                name="assessment_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"assessment #{self.pk}"
