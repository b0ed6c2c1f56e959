"""Customers (the data subjects), their credit lines and the blocks that make a line unusable.

Personal fields are encrypted at rest (``portal.pii.fields.EncryptedTextField``); each
searchable one has a keyed hash beside it for exact-match lookup, kept in step by
``Customer.save`` (and by ``Customer.refresh_hashes`` for bulk paths that bypass ``save``).
Display values are masked (``masked_*``); plain values leave only through the reveal service.
"""

from __future__ import annotations

import functools
import operator
from decimal import Decimal
from typing import Any

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audit.historical import HistoricalRecords
from portal.pii.crypto import keyed_hash
from portal.pii.fields import EncryptedTextField
from portal.pii.masking import mask_id_number, mask_name, mask_phone

# --- controlled vocabularies -----------------------------------------------------------------


class ReasonCode(models.TextChoices):
    """Why a credit line is blocked (the design's table of causes)."""

    SCORE_BELOW_CUTOFF = "SCORE_BELOW_CUTOFF", _("Score below cut-off")
    THIN_FILE = "THIN_FILE", _("Thin credit file")
    ASSESSMENT_STALE = "ASSESSMENT_STALE", _("Risk assessment out of date")
    DEVICE_ANOMALY = "DEVICE_ANOMALY", _("Unusual device")
    GEO_ANOMALY = "GEO_ANOMALY", _("Unusual location")
    VELOCITY = "VELOCITY", _("Unusual activity rate")
    DATA_MISMATCH = "DATA_MISMATCH", _("Inconsistent identity or income data")
    KYC_EXPIRED = "KYC_EXPIRED", _("Identity document expired")
    CONSENT_MISSING = "CONSENT_MISSING", _("Consent missing")
    SYSTEM_ERROR = "SYSTEM_ERROR", _("System error")
    ACTIVATION_DECLINED = "ACTIVATION_DECLINED", _("Activation declined")


# Plain-language "why the block" text, fit to show an officer and, reworded by the
# explanation pages, a customer. No jargon, no personal data.
REASON_DESCRIPTIONS: dict[str, Promise] = {
    ReasonCode.SCORE_BELOW_CUTOFF: _(
        "The latest credit score is below the level the product requires, although a limit "
        "was granted earlier."
    ),
    ReasonCode.THIN_FILE: _(
        "There is too little credit history on file to confirm the limit, for example "
        "because the data sits with other institutions."
    ),
    ReasonCode.ASSESSMENT_STALE: _(
        "The risk assessment is older than policy allows; it must be re-run before the "
        "limit can be used."
    ),
    ReasonCode.DEVICE_ANOMALY: _(
        "A payment or sign-in came from a device that does not match the customer's usual devices."
    ),
    ReasonCode.GEO_ANOMALY: _(
        "Activity came from a place far from where the customer usually uses the product."
    ),
    ReasonCode.VELOCITY: _("There were more attempts in a short time than the fraud rules allow."),
    ReasonCode.DATA_MISMATCH: _(
        "Identity or income details differ between the sources they were checked against."
    ),
    ReasonCode.KYC_EXPIRED: _("The identity document on file has expired and must be renewed."),
    ReasonCode.CONSENT_MISSING: _(
        "The customer's consent to use their financial information is missing or was withdrawn."
    ),
    ReasonCode.SYSTEM_ERROR: _(
        "A payment or activation attempt failed because of a system error, not because of "
        "the customer."
    ),
    ReasonCode.ACTIVATION_DECLINED: _("The attempt to activate the credit line was declined."),
}


def reason_description(code: str) -> str:
    """The plain-language reason for a code, in the active language ("" when unknown)."""
    text = REASON_DESCRIPTIONS.get(code)
    return str(text) if text is not None else ""


class BlockSource(models.TextChoices):
    RULE = "rule", _("Scoring rule")
    UPSTREAM = "upstream", _("Upstream system")
    OFFICER = "officer", _("Risk officer")


class CreditLineState(models.TextChoices):
    NOT_ACTIVATED = "not_activated", _("Not activated")
    ACTIVE = "active", _("Active")
    FROZEN = "frozen", _("Frozen")
    CLOSED = "closed", _("Closed")


class Product(models.TextChoices):
    PAYLATER = "paylater", _("Pay later")
    INSTALLMENT = "installment", _("Instalments")
    CASH_LINE = "cash_line", _("Cash line")


CURRENCY = "CNY"
MONEY_DIGITS = 12
MONEY_PLACES = 2


# --- customers --------------------------------------------------------------------------------


def personal_hashes(
    *, name: str | None, phone: str | None, national_id: str | None
) -> dict[str, str]:
    """The keyed-hash columns for the given plaintext ("" where the value is empty)."""
    return {
        "name_hash": keyed_hash(name, kind="name") if name else "",
        "phone_hash": keyed_hash(phone, kind="phone") if phone else "",
        "national_id_hash": keyed_hash(national_id, kind="id_number") if national_id else "",
    }


class Customer(models.Model):
    """A data subject. Never logs in; reached through cases, feedback and partner channels.

    ``name``, ``phone`` and ``national_id`` hold plaintext in Python and a Fernet token in
    the database; ``*_hash`` hold ``keyed_hash`` values for exact-match search. The personal
    fields are nullable so that erasure can scrub them while the row (and the decisions that
    point at it) stays, pseudonymised by ``external_id``.
    """

    external_id = models.CharField(_("external id"), max_length=40, unique=True)
    name = EncryptedTextField(pgettext_lazy("person", "name"), null=True, blank=True)
    name_hash = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    phone = EncryptedTextField(_("mobile number"), null=True, blank=True)
    phone_hash = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    national_id = EncryptedTextField(_("ID number"), null=True, blank=True)
    national_id_hash = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    city = models.CharField(_("city"), max_length=64, blank=True, default="", db_index=True)

    consent_financial_info = models.BooleanField(
        _("consents to use of financial information"), default=False
    )
    consent_version = models.CharField(_("consent text version"), max_length=32, blank=True)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_withdrawn_at = models.DateTimeField(_("consent withdrawn at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # History rows are looked up by the customer's id; the search indexes stay on the live table.
    history = HistoricalRecords(no_db_index=["name_hash", "phone_hash", "national_id_hash", "city"])

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_financial_info=False) | Q(consent_at__isnull=False),
                name="customer_consent_has_time",
            ),
        ]

    def __str__(self) -> str:
        # Never personal data: __str__ ends up in the admin, history views and log lines.
        return self.external_id

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refresh_hashes()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            touched = {f"{f}_hash" for f in ("name", "phone", "national_id") if f in update_fields}
            kwargs["update_fields"] = {*update_fields, *touched}
        super().save(*args, **kwargs)

    def refresh_hashes(self) -> None:
        """Recompute the keyed hashes from the plaintext (derived data, no side effects)."""
        for attname, value in personal_hashes(
            name=self.name, phone=self.phone, national_id=self.national_id
        ).items():
            setattr(self, attname, value)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_national_id(self) -> str:
        return mask_id_number(self.national_id)

    @property
    def consent_active(self) -> bool:
        return self.consent_financial_info and self.consent_withdrawn_at is None


# --- credit lines -----------------------------------------------------------------------------


class CreditLineQuerySet(models.QuerySet["CreditLine"]):
    def shown_but_unusable(self) -> CreditLineQuerySet:
        """Lines whose app shows a limit the customer cannot use.

        ``granted_limit > 0`` and (``usable_limit == 0`` or an active block), not closed.
        The block test is an ``EXISTS`` on the partial index of active blocks, so the query
        stays cheap on large tables (no join fan-out, no DISTINCT).
        """
        return self.filter(
            Q(usable_limit=0) | Exists(Block.objects.active().filter(credit_line=OuterRef("pk"))),
            granted_limit__gt=0,
        ).exclude(state=CreditLine.State.CLOSED)


class CreditLine(models.Model):
    State = CreditLineState

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="credit_lines",
        verbose_name=_("customer"),
    )
    product = models.CharField(_("product"), max_length=16, choices=Product.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.NOT_ACTIVATED
    )
    granted_limit = models.DecimalField(
        _("granted limit"),
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        default=Decimal("0.00"),
        help_text=_("The limit the customer's app shows."),
    )
    usable_limit = models.DecimalField(
        _("usable limit"),
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        default=Decimal("0.00"),
        help_text=_("What the customer can spend now."),
    )
    currency = models.CharField(_("currency"), max_length=3, default=CURRENCY, editable=False)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()
    objects = CreditLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit line")
        verbose_name_plural = _("credit lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(granted_limit__gte=0), name="creditline_granted_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(usable_limit__gte=0), name="creditline_usable_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(usable_limit__lte=models.F("granted_limit")),
                name="creditline_usable_lte_granted",
            ),
            models.CheckConstraint(condition=Q(currency=CURRENCY), name="creditline_currency_cny"),
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in CreditLineState]),
                name="creditline_state_valid",
            ),
            # One open line per customer and product; a closed one may be followed by a new one.
            models.UniqueConstraint(
                fields=["customer", "product"],
                condition=~Q(state=CreditLineState.CLOSED),
                name="creditline_one_open_per_product",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_product_display()}"


# --- blocks -----------------------------------------------------------------------------------


class BlockQuerySet(models.QuerySet["Block"]):
    def active(self) -> BlockQuerySet:
        return self.filter(lifted_at__isnull=True)


class Block(models.Model):
    """Something that stops a credit line from being used, with who raised it and why.

    A block is lifted, never deleted: ``lifted_at``/``lifted_by``/``lift_reason`` say when,
    by whom and why. ``raised_by``/``lifted_by`` are empty for the system and upstream
    systems; ``raised_by_label`` names the rule, system or officer either way.
    """

    credit_line = models.ForeignKey(
        CreditLine, on_delete=models.PROTECT, related_name="blocks", verbose_name=_("credit line")
    )
    reason_code = models.CharField(_("reason code"), max_length=32, choices=ReasonCode.choices)
    source = models.CharField(_("source"), max_length=16, choices=BlockSource.choices)
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raised by"),
    )
    raised_by_label = models.CharField(_("raised by (name)"), max_length=150, blank=True)
    note = models.TextField(
        _("note"), blank=True, help_text=_("Why, in a few words. No personal data.")
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lifted_by_label = models.CharField(_("lifted by (name)"), max_length=150, blank=True)
    lift_reason = models.TextField(_("reason for lifting"), blank=True)

    history = HistoricalRecords()
    objects = BlockQuerySet.as_manager()

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        constraints = [
            # At most one active block per line and reason; also the index that the
            # "has an active block" EXISTS probes (credit_line first).
            models.UniqueConstraint(
                fields=["credit_line", "reason_code"],
                condition=Q(lifted_at__isnull=True),
                name="block_one_active_per_reason",
            ),
            models.CheckConstraint(
                condition=Q(reason_code__in=[c.value for c in ReasonCode]),
                name="block_reason_code_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=[s.value for s in BlockSource]), name="block_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=False)
                | (Q(lifted_by__isnull=True) & Q(lifted_by_label="") & Q(lift_reason="")),
                name="block_lift_fields_only_when_lifted",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gte=models.F("raised_at")),
                name="block_lifted_after_raised",
            ),
        ]
        indexes = [
            # Active blocks by reason (queue filters, bulk re-assessment by reason code).
            models.Index(
                fields=["reason_code", "credit_line"],
                condition=Q(lifted_at__isnull=True),
                name="block_active_reason_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.reason_code}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None

    @property
    def reason_description(self) -> str:
        return reason_description(self.reason_code)


# --- features ---------------------------------------------------------------------------------


class CustomerFeatures(models.Model):
    """What scorecards read about a customer, as the upstream feeds last reported it.

    ``None`` means the feed has no value; a scorecard gives every characteristic a
    "missing" bin, so a gap is scored, explained and never a crash. No personal data here:
    only derived numbers. An assessment copies these into its own snapshot.
    """

    customer = models.OneToOneField(
        Customer,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="features",
        verbose_name=_("customer"),
    )
    monthly_income = models.DecimalField(
        _("monthly income (CNY)"), max_digits=MONEY_DIGITS, decimal_places=2, null=True
    )
    months_on_book = models.PositiveIntegerField(_("months on book"), null=True)
    bureau_accounts = models.PositiveSmallIntegerField(
        _("credit-bureau accounts on file"), null=True
    )
    utilisation = models.DecimalField(
        _("credit utilisation"),
        max_digits=5,
        decimal_places=4,
        null=True,
        help_text=_("Balance over limit across reported lines; 0.35 is 35%."),
    )
    delinquencies_12m = models.PositiveSmallIntegerField(
        _("delinquencies in the last 12 months"), null=True
    )
    device_changes_30d = models.PositiveSmallIntegerField(
        _("device changes in the last 30 days"), null=True
    )
    distance_from_usual_city_km = models.PositiveIntegerField(
        _("distance from usual city (km)"), null=True
    )
    identity_consistency = models.DecimalField(
        _("identity-data consistency"),
        max_digits=4,
        decimal_places=3,
        null=True,
        help_text=_("Share of identity and income fields that agree across sources (0 to 1)."),
    )
    attempts_24h = models.PositiveSmallIntegerField(
        _("payment or activation attempts in 24 hours"), null=True
    )
    kyc_expires_on = models.DateField(_("identity document expires on"), null=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer features")
        verbose_name_plural = _("customer features")

    def __str__(self) -> str:
        return f"features of customer #{self.pk}"


# --- scorecards -------------------------------------------------------------------------------


class ScorecardStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class ScorecardSource(models.TextChoices):
    DEFAULT = "default", _("Shipped default")
    FITTED = "fitted", _("Fitted from data")
    MANUAL = "manual", _("Written by hand")


# The columns an activated scorecard may never change (see Scorecard.Meta.triggers).
SCORECARD_CONTENT_FIELDS: tuple[str, ...] = (
    "version",
    "name",
    "base_points",
    "cutoff",
    "characteristics",
    "limit_policy",
    "block_rules",
    "auto_apply",
    "activated_by",
)
# ``activated_at`` may not be cleared either (that would make the version editable again).
# Its value is not compared: Django's serializer keeps milliseconds only, so the test
# harness's serialized rollback re-saves an activated row with a slightly different time.


class Scorecard(models.Model):
    """One version of the scoring model. Immutable once activated: a change is a new version.

    ``characteristics``: ``[{"key", "feature", "bins": [{"label", "min", "max", "points"}],
    "missing_points", "reason_code"}]`` — numeric bins are half-open ``[min, max)`` with
    ``null`` for an open end. ``limit_policy``: ``[{"min_score", "limit"}]`` (highest band
    whose ``min_score`` the score reaches). ``block_rules``: ``[{"code", "feature", "op",
    "value"}]`` raising reason codes. ``metrics``: AUC, KS and Gini when fitted.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ScorecardStatus.choices, default=ScorecardStatus.DRAFT
    )
    is_champion = models.BooleanField(_("champion"), default=False)
    source = models.CharField(
        _("source"), max_length=16, choices=ScorecardSource.choices, default=ScorecardSource.MANUAL
    )
    base_points = models.IntegerField(_("base points"))
    cutoff = models.IntegerField(_("cut-off score"))
    characteristics = models.JSONField(_("characteristics"), default=list)
    limit_policy = models.JSONField(_("limit policy"), default=list)
    block_rules = models.JSONField(_("block rules"), default=list)
    auto_apply = models.BooleanField(
        _("apply recommendations automatically"),
        default=False,
        help_text=_("When set, a succeeded assessment may change a line as the system actor."),
    )
    metrics = models.JSONField(_("fit metrics"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("activated by"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["-version"]
        permissions = [("activate_scorecard", _("Can activate a scorecard version"))]
        # Immutable once activated: the database refuses to change the content (and the
        # activation stamp) of a version that has been active, or to delete it. Status and
        # champion flag still change (activation of another version, retirement).
        triggers = [
            pgtrigger.Protect(
                name="scorecard_immutable_once_active",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__activated_at__isnull=False)
                & functools.reduce(
                    operator.or_,
                    (
                        pgtrigger.Q(**{f"old__{column}__df": pgtrigger.F(f"new__{column}")})
                        for column in SCORECARD_CONTENT_FIELDS
                    ),
                    pgtrigger.Q(new__activated_at__isnull=True),
                ),
            ),
            pgtrigger.Protect(
                name="scorecard_active_undeletable",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Q(old__activated_at__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["is_champion"], condition=Q(is_champion=True), name="scorecard_one_champion"
            ),
            models.CheckConstraint(
                condition=Q(is_champion=False) | Q(status=ScorecardStatus.ACTIVE),
                name="scorecard_champion_is_active",
            ),
            models.CheckConstraint(
                condition=Q(status=ScorecardStatus.DRAFT) | Q(activated_at__isnull=False),
                name="scorecard_activated_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.name}"


# --- assessments ------------------------------------------------------------------------------


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


# The personal-data access log lives beside the customers it records access to.
from scoring.customers.access import PersonalDataAccess  # noqa: E402, F401  (registers it)
