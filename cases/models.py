"""Cases and their queues, the timeline, notes, and decisions with four-eyes approval.

A case is one problem of one customer (``category``); at most one is open per customer and
category, so new signals and feedback attach to it (``case_open_or_attach`` is the only way
in). ``version`` is the optimistic lock: every change bumps it, and a form or API call that
started from another version is refused (409).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.historical import HistoricalRecords
from scoring.models import MONEY_DIGITS, MONEY_PLACES, ReasonCode


class CaseCategory(models.TextChoices):
    LIMIT_UNUSABLE = "limit_unusable", _("Limit shown but unusable")
    ACTIVATION_FAILED = "activation_failed", _("Activation failed")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    COMPLAINT = "complaint", _("Complaint")
    HUMAN_REVIEW = "human_review", _("Human review of an automated decision")


class CaseSource(models.TextChoices):
    DETECTION = "detection", _("Nightly detection")
    SIGNAL = "signal", _("Upstream signal")
    FEEDBACK = "feedback", _("Customer feedback")
    PRIVACY_REQUEST = "privacy_request", _("Data-subject request")
    OFFICER = "officer", _("Officer")


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_REVIEW = "in_review", _("In review")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (
    CaseStatus.NEW,
    CaseStatus.ASSIGNED,
    CaseStatus.IN_REVIEW,
    CaseStatus.PENDING_APPROVAL,
)


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 (urgent)")
    P2 = 2, _("P2 (high)")
    P3 = 3, _("P3 (normal)")
    P4 = 4, _("P4 (low)")


class Case(models.Model):
    customer = models.ForeignKey(
        "scoring.Customer",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("customer"),
    )
    credit_line = models.ForeignKey(
        "scoring.CreditLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("credit line"),
    )
    category = models.CharField(_("category"), max_length=24, choices=CaseCategory.choices)
    source = models.CharField(_("source"), max_length=24, choices=CaseSource.choices)
    reason_code = models.CharField(
        _("main reason"),
        max_length=32,
        choices=ReasonCode.choices,
        blank=True,
        help_text=_("The cause the case was opened for, when one is known."),
    )
    status = models.CharField(
        _("status"), max_length=24, choices=CaseStatus.choices, default=CaseStatus.NEW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.P3
    )
    sla_due_at = models.DateTimeField(_("due"))
    sla_due_soon_at = models.DateTimeField(_("marked due soon"), null=True, blank=True)
    sla_breached_at = models.DateTimeField(_("marked breached"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    last_touched_at = models.DateTimeField(
        _("last worked on"),
        null=True,
        blank=True,
        help_text=_("A claimed case untouched for too long returns to the queue."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "category"],
                condition=Q(status__in=OPEN_STATUSES),
                name="case_one_open_per_customer_category",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in CaseStatus]), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1) & Q(priority__lte=4), name="case_priority_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[CaseStatus.ASSIGNED, CaseStatus.IN_REVIEW])
                | Q(assignee__isnull=False),
                name="case_worked_has_assignee",
            ),
        ]
        indexes = [
            # claim-next and the unassigned queue: priority, then earliest due.
            models.Index(
                fields=["priority", "sla_due_at", "id"],
                condition=Q(status=CaseStatus.NEW, assignee__isnull=True),
                name="case_claimable_idx",
            ),
            models.Index(
                fields=["assignee", "status", "priority", "sla_due_at"],
                condition=Q(status__in=OPEN_STATUSES),
                name="case_open_by_assignee_idx",
            ),
            models.Index(
                fields=["status", "priority", "sla_due_at", "id"], name="case_queue_order_idx"
            ),
            # The default queue (every open status) in its display order, so the first page
            # is read off the index instead of sorting every open case.
            models.Index(
                fields=["priority", "sla_due_at", "id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="case_open_queue_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"case #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    ATTACHED = "attached", _("New event attached")
    SIGNAL = "signal", _("Upstream signal")
    FEEDBACK = "feedback", _("Customer feedback")
    ASSIGNED = "assigned", _("Assigned")
    RELEASED = "released", _("Returned to the queue")
    NOTE = "note", _("Note")
    ASSESSMENT = "assessment", _("Assessment")
    DECISION_PROPOSED = "decision_proposed", _("Decision proposed")
    DECISION_APPROVED = "decision_approved", _("Decision approved")
    DECISION_REJECTED = "decision_rejected", _("Decision rejected")
    DECISION_APPLIED = "decision_applied", _("Decision applied")
    ESCALATED = "escalated", _("Escalated")
    SLA_DUE_SOON = "sla_due_soon", _("Due soon")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    STATUS_CHANGED = "status_changed", _("Status changed")


class CaseEvent(models.Model):
    """One line of a case's timeline, written by the service that made the change.

    ``data`` holds ids, codes and amounts, never personal data or free text (notes and
    justifications live on their own rows, where erasure can reach them).
    """

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="events", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=CaseEventKind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor (name)"), max_length=150, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["case", "at", "id"], name="caseevent_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on case #{self.case_id}"


class Note(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="notes", verbose_name=_("case")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("note"), max_length=4000)
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return f"note #{self.pk} on case #{self.case_id}"


class DecisionKind(models.TextChoices):
    LIFT_BLOCK = "lift_block", _("Lift block")
    OVERRIDE_LIMIT = "override_limit", _("Override usable limit")
    KEEP_BLOCK = "keep_block", _("Keep block")
    REASSESS = "reassess", _("Re-assess")
    ESCALATE = "escalate", _("Escalate")
    RESOLVE = "resolve", _("Resolve")


class DecisionReason(models.TextChoices):
    IDENTITY_VERIFIED = "IDENTITY_VERIFIED", _("Identity verified with the customer")
    ANOMALY_EXPLAINED = "ANOMALY_EXPLAINED", _("Anomaly explained (new device, travel)")
    FINANCES_UPDATED = "FINANCES_UPDATED", _("Income or finances updated")
    DATA_CORRECTED = "DATA_CORRECTED", _("Inconsistent data corrected")
    DOCUMENT_RENEWED = "DOCUMENT_RENEWED", _("Identity document renewed")
    CONSENT_OBTAINED = "CONSENT_OBTAINED", _("Consent obtained")
    SYSTEM_ERROR_CLEARED = "SYSTEM_ERROR_CLEARED", _("System error cleared")
    RISK_CONFIRMED = "RISK_CONFIRMED", _("Risk confirmed")
    MODEL_OUTDATED = "MODEL_OUTDATED", _("Assessment out of date")
    NEEDS_SENIOR_REVIEW = "NEEDS_SENIOR_REVIEW", _("Needs senior review")
    NO_ACTION_NEEDED = "NO_ACTION_NEEDED", _("No action needed")


class DecisionState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    APPLIED = "applied", _("Applied")


class Decision(models.Model):
    """An officer's decision on a case. Policy decides whether it applies at once or waits
    as ``proposed`` for a supervisor who is not the proposer (service and database)."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=DecisionKind.choices)
    reason_code = models.CharField(_("reason"), max_length=32, choices=DecisionReason.choices)
    justification = models.TextField(_("justification"), max_length=4000)
    usable_limit = models.DecimalField(
        _("new usable limit"),
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        null=True,
        blank=True,
    )
    usable_limit_before = models.DecimalField(
        _("usable limit before"),
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        null=True,
        blank=True,
    )
    blocks = models.JSONField(_("blocks"), default=list, blank=True)
    requires_approval = models.BooleanField(_("needs approval"), default=False)
    approval_reason = models.CharField(_("why approval is needed"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=DecisionState.choices, default=DecisionState.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approver"),
    )
    decided_at = models.DateTimeField(_("approved or rejected"), null=True, blank=True)
    approver_comment = models.TextField(_("approver's comment"), blank=True, max_length=4000)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            # Four eyes, in the database too: nobody approves their own decision.
            models.CheckConstraint(
                condition=Q(approver__isnull=True) | ~Q(approver=F("proposed_by")),
                name="decision_approver_not_proposer",
            ),
            models.CheckConstraint(
                condition=Q(usable_limit__isnull=True) | Q(usable_limit__gte=0),
                name="decision_usable_limit_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(state=DecisionState.PROPOSED)
                | ~Q(requires_approval=True)
                | Q(approver__isnull=False),
                name="decision_approval_has_approver",
            ),
        ]
        indexes = [
            models.Index(
                fields=["state", "proposed_at"],
                condition=Q(state=DecisionState.PROPOSED),
                name="decision_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"decision #{self.pk} ({self.kind})"


# --- notifications in the portal ----------------------------------------------------------------


class NotificationKind(models.TextChoices):
    SLA_BREACHED = "sla_breached", _("A case breached its SLA")
    DECISION_TO_APPROVE = "decision_to_approve", _("A decision waits for approval")
    DECISION_REJECTED = "decision_rejected", _("A decision was rejected")
    REVEAL_BUDGET_NEAR = "reveal_budget_near", _("Someone nears their daily reveal budget")


class Notification(models.Model):
    """A message for one staff member, shown in the portal until read."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=NotificationKind.choices)
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            # One notice per recipient, kind and case: a re-run sweep adds nothing.
            models.UniqueConstraint(
                fields=["recipient", "kind", "case"], name="notification_once_per_case"
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"
