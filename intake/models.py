"""What reaches the portal from outside: customers' feedback, upstream systems' signals, the
channels (partners and upstream systems) that send them with their API keys, and the stored
answers that make channel writes idempotent.

The tables keep the names they had when these models lived in ``cases`` (``cases_feedback``,
``cases_signal``, ...): the move was state only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from rest_framework_api_key.models import AbstractAPIKey

from audit.historical import HistoricalRecords
from portal.pii.crypto import keyed_hash
from portal.pii.fields import EncryptedTextField

# --- intake: customers' feedback, partner channels, upstream signals ----------------------------


class FeedbackKind(models.TextChoices):
    LIMIT_UNUSABLE = "limit_unusable", _("My limit is shown but I cannot use it")
    CANNOT_ACTIVATE = "cannot_activate", _("I cannot activate my credit line")
    PAYMENT_FAILED = "payment_failed", _("A payment failed")
    OTHER = "other", _("Something else")


class FeedbackStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    MATCHED = "matched", _("Linked to a case")
    TRIAGE = "triage", _("Waiting for an officer to identify the customer")
    CLOSED = "closed", _("Closed")


class TriageCloseReason(models.TextChoices):
    NOT_A_CUSTOMER = "not_a_customer", _("Not one of our customers")
    DUPLICATE = "duplicate", _("Duplicate of another submission")
    SPAM = "spam", _("Spam or abuse")
    NOT_ACTIONABLE = "not_actionable", _("Nothing we can act on")


class Channel(models.Model):
    """A partner channel or upstream system allowed to call the channel endpoints."""

    class Kind(models.TextChoices):
        PARTNER = "partner", _("Partner channel (feedback)")
        UPSTREAM = "upstream", _("Upstream system (signals)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    history = HistoricalRecords(table_name="cases_historicalchannel")

    # Audit entries name this type as it was first written (see audit.log.target_type_of).
    audit_target_type = "cases.channel"

    class Meta:
        db_table = "cases_channel"
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.code


class ChannelKey(AbstractAPIKey):
    """An API key of a channel (``Authorization: Api-Key <prefix>.<secret>``), stored hashed
    by djangorestframework-api-key; revoked rather than deleted, so uses stay attributable."""

    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="keys", verbose_name=_("channel")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    # Audit entries name this type as it was first written (see audit.log.target_type_of).
    audit_target_type = "cases.channelkey"

    class Meta(AbstractAPIKey.Meta):
        db_table = "cases_channelkey"
        verbose_name = _("channel API key")  # type: ignore[assignment]
        verbose_name_plural = _("channel API keys")  # type: ignore[assignment]


class Feedback(models.Model):
    """A customer's submission from the public form or a partner channel.

    Stored first, processed after commit by a job (match by keyed hash of the phone, then
    attach to or open a case, or send to triage). ``name``, ``phone`` and ``description``
    are the customer's own words and numbers: encrypted at rest, scrubbed by erasure and
    retention. ``reference`` is random (not guessable), shown to the customer for lookups.
    """

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    kind = models.CharField(_("what happened"), max_length=20, choices=FeedbackKind.choices)
    name = EncryptedTextField(pgettext_lazy("person", "name"), null=True, blank=True)
    phone = EncryptedTextField(_("mobile number"), null=True, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    name_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    description = EncryptedTextField(_("description"), null=True, blank=True)
    happened_at = models.DateTimeField(_("when it happened"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    consent_version = models.CharField(_("consent text version"), max_length=32)
    consent_at = models.DateTimeField(_("consent given at"))
    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("channel"),
        help_text=_("Empty for the public form."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=FeedbackStatus.choices,
        default=FeedbackStatus.RECEIVED,
    )
    customer = models.ForeignKey(
        "scoring.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("customer"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("case"),
    )
    close_reason = models.CharField(
        _("reason for closing"), max_length=20, choices=TriageCloseReason.choices, blank=True
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("processing attempts"), default=0)
    error = models.CharField(_("processing error"), max_length=300, blank=True)

    history = HistoricalRecords(
        excluded_fields=["attempts", "error"], table_name="cases_historicalfeedback"
    )

    # Audit entries name this type as it was first written (see audit.log.target_type_of).
    audit_target_type = "cases.feedback"

    class Meta:
        db_table = "cases_feedback"
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=FeedbackStatus.MATCHED) | Q(case__isnull=False),
                name="feedback_matched_has_case",
            ),
        ]
        indexes = [
            # The sweeper's and the triage queue's reads: small partial indexes.
            models.Index(
                fields=["received_at"],
                condition=Q(status=FeedbackStatus.RECEIVED),
                name="feedback_unprocessed_idx",
            ),
            models.Index(
                fields=["received_at"],
                condition=Q(status=FeedbackStatus.TRIAGE),
                name="feedback_triage_idx",
            ),
            models.Index(fields=["phone_hash"], name="feedback_phone_hash_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.phone_hash = keyed_hash(self.phone, kind="phone") if self.phone else ""
        self.name_hash = keyed_hash(self.name, kind="name") if self.name else ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "phone_hash", "name_hash"}
        super().save(*args, **kwargs)


class SignalKind(models.TextChoices):
    PAYMENT_DECLINED = "payment_declined", _("Payment declined")
    ACTIVATION_FAILED = "activation_failed", _("Activation failed")
    DEVICE_CHANGED = "device_changed", _("Device changed")
    SYSTEM_ERROR = "system_error", _("System error during a payment or activation")
    KYC_EXPIRED = "kyc_expired", _("Identity document expired")


class SignalStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ATTACHED = "attached", _("Attached to a case")
    IGNORED = "ignored", _("No case needed")
    FAILED = "failed", _("Failed")


class Signal(models.Model):
    """An upstream system's event about a customer, deduplicated by the sender's event id."""

    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="signals", verbose_name=_("channel")
    )
    event_id = models.CharField(_("sender's event id"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=SignalKind.choices)
    customer = models.ForeignKey(
        "scoring.Customer",
        on_delete=models.PROTECT,
        related_name="signals",
        verbose_name=_("customer"),
    )
    credit_line = models.ForeignKey(
        "scoring.CreditLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signals",
        verbose_name=_("credit line"),
    )
    occurred_at = models.DateTimeField(_("occurred"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    details = models.JSONField(
        _("details"), default=dict, blank=True, help_text=_("Codes and ids only.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SignalStatus.choices, default=SignalStatus.RECEIVED
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signals",
        verbose_name=_("case"),
    )
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("processing attempts"), default=0)
    error = models.CharField(_("processing error"), max_length=300, blank=True)

    history = HistoricalRecords(
        excluded_fields=["attempts", "error"], table_name="cases_historicalsignal"
    )

    # Audit entries name this type as it was first written (see audit.log.target_type_of).
    audit_target_type = "cases.signal"

    class Meta:
        db_table = "cases_signal"
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        constraints = [
            models.UniqueConstraint(fields=["channel", "event_id"], name="signal_once_per_event"),
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=Q(status=SignalStatus.RECEIVED),
                name="signal_unprocessed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"signal {self.kind} #{self.pk}"


class IdempotencyRecord(models.Model):
    """The stored answer to a channel's write, keyed by its ``Idempotency-Key`` header."""

    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="+", verbose_name=_("channel")
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    endpoint = models.CharField(_("endpoint"), max_length=100)
    request_hash = models.CharField(_("request digest"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.JSONField(_("response body"), default=dict)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    # Audit entries name this type as it was first written (see audit.log.target_type_of).
    audit_target_type = "cases.idempotencyrecord"

    class Meta:
        db_table = "cases_idempotencyrecord"
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "endpoint", "key"], name="idempotency_once_per_key"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.key}"
