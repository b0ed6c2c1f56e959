"""Customers (the data subjects) and the features the upstream feeds report about them.

Personal fields are encrypted at rest (``portal.pii.fields.EncryptedTextField``); each
searchable one has a keyed hash beside it for exact-match lookup, kept in step by
``Customer.save`` (and by ``Customer.refresh_hashes`` for bulk paths that bypass ``save``).
Display values are masked (``masked_*``); plain values leave only through the reveal service.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audit.historical import HistoricalRecords
from portal.pii.crypto import keyed_hash
from portal.pii.fields import EncryptedTextField
from portal.pii.masking import mask_id_number, mask_name, mask_phone
from scoring.vocabulary import (
    MONEY_DIGITS,
)


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
