"""Scorecard versions: the scoring model, immutable once activated."""

from __future__ import annotations

import functools
import operator

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.historical import HistoricalRecords


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
