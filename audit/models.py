"""The append-only, hash-chained audit log and the record of its verifications.

The tables keep the names they had when the log lived in ``compliance``
(``compliance_auditentry``, ``compliance_chainverification``): the move was state only.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    """One audited event. Rows are never changed or deleted: database triggers refuse
    UPDATE, DELETE and TRUNCATE (migration ``0002_audit_append_only``).

    ``hash`` is the SHA-256 of a canonical encoding of the entry including ``prev_hash``,
    the previous entry's ``hash``, so the table is a chain (see ``audit.log``).
    ``data`` never holds raw personal data: masked values and keyed hashes only.
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        help_text=_("Empty when the system acted (a job, a command)."),
    )
    actor_label = models.CharField(_("actor label"), max_length=200)
    action = models.CharField(_("action"), max_length=100)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(_("previous hash"), max_length=64, unique=True)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    # Audit entries name this type as it was first written (see audit.log.target_type_of).
    audit_target_type = "compliance.auditentry"

    class Meta:
        db_table = "compliance_auditentry"
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        # No add/change/delete permissions: entries are written by audit_record only.
        default_permissions = ("view",)
        permissions = [("verify_audit_chain", _("Can verify the audit chain"))]
        indexes = [
            models.Index(fields=["action", "id"], name="audit_action_id_idx"),
            models.Index(fields=["target_type", "target_id", "id"], name="audit_target_id_idx"),
            models.Index(fields=["actor_label", "id"], name="audit_actor_label_id_idx"),
            models.Index(fields=["created_at"], name="audit_created_at_idx"),
            # "Entries naming this customer" (auditors' filter): data's customer member.
            models.Index(KeyTransform("customer", "data"), name="audit_data_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action}"


class ChainVerification(models.Model):
    """The outcome of one walk over the audit chain, so pages can show "last verified"."""

    created_at = models.DateTimeField(_("verified at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("verified by"), max_length=200)
    ok = models.BooleanField(_("chain intact"))
    entries_checked = models.BigIntegerField(_("entries checked"))
    first_bad = models.BigIntegerField(_("first bad entry"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    last_id = models.BigIntegerField(_("last entry checked"), null=True, blank=True)
    last_hash = models.CharField(_("hash of the last entry checked"), max_length=64, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    # Audit entries name this type as it was first written (see audit.log.target_type_of).
    audit_target_type = "compliance.chainverification"

    class Meta:
        db_table = "compliance_chainverification"
        verbose_name = _("chain verification")
        verbose_name_plural = _("chain verifications")
        default_permissions = ("view",)
        indexes = [models.Index(fields=["-created_at"], name="chainverif_created_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'broken'}"
