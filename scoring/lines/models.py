"""Credit lines and the blocks that make a line unusable."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.historical import HistoricalRecords
from scoring.customers.models import Customer
from scoring.vocabulary import (
    CURRENCY,
    MONEY_DIGITS,
    MONEY_PLACES,
    BlockSource,
    CreditLineState,
    Product,
    ReasonCode,
    reason_description,
)


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
