"""What scoring holds about a customer, for data-subject requests, erasure and retention.

Registered with ``compliance.personal_data`` from ``ScoringConfig.ready()``. Scoring owns the
data subject (``Customer``), so it also gives the single-provider hooks about the person:
their plain values (for erasure to hunt down copies), corrections, consent withdrawal, the
explanation of the latest automated decision, and which customers retention may erase.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import AuditAction
from audit.changes import record_change
from audit.history_rows import change_reason, save_with_history
from portal.permissions import SystemActor
from portal.pii.sources import PersonalDataSource, PersonalValues, redact_text
from scoring.models import (
    Assessment,
    AssessmentStatus,
    Block,
    CreditLine,
    CreditLineState,
    Customer,
    CustomerFeatures,
    personal_hashes,
    reason_description,
)

CORRECTABLE_FIELDS = ("name", "phone", "national_id", "city")
_MAX_LENGTHS = {"name": 100, "phone": 20, "national_id": 30, "city": 64}
EXPLANATION_LANGUAGES = ("en", "zh-hans")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


class ScoringPersonalData(PersonalDataSource):
    name = "scoring"

    # --- access and copy --------------------------------------------------------------------

    def export(self, customer_id: int) -> dict[str, Any]:
        from scoring.scorecards.explain import customer_explanation

        customer = Customer.objects.get(pk=customer_id)
        lines = list(
            CreditLine.objects.filter(customer_id=customer_id)
            .prefetch_related("blocks")
            .order_by("opened_at", "pk")
        )
        assessments = list(
            Assessment.objects.filter(customer_id=customer_id)
            .select_related("scorecard")
            .order_by("queued_at", "pk")
        )
        features = CustomerFeatures.objects.filter(customer_id=customer_id).first()
        return {
            "profile": {
                "customer_number": customer.external_id,
                "name": customer.name,
                "phone": customer.phone,
                "national_id": customer.national_id,
                "city": customer.city,
                "consent_financial_info": customer.consent_financial_info,
                "consent_version": customer.consent_version,
                "consent_given_at": _iso(customer.consent_at),
                "consent_withdrawn_at": _iso(customer.consent_withdrawn_at),
                "created_at": _iso(customer.created_at),
            },
            "features": (
                {
                    field.name: (
                        str(getattr(features, field.attname))
                        if getattr(features, field.attname) is not None
                        else None
                    )
                    for field in CustomerFeatures._meta.concrete_fields
                    if field.name != "customer"
                }
                if features is not None
                else None
            ),
            "credit_lines": [
                {
                    "id": line.pk,
                    "product": line.product,
                    "state": line.state,
                    "granted_limit": _money(line.granted_limit),
                    "usable_limit": _money(line.usable_limit),
                    "currency": line.currency,
                    "opened_at": _iso(line.opened_at),
                    "blocks": [
                        {
                            "reason_code": block.reason_code,
                            "reason": reason_description(block.reason_code),
                            "source": block.source,
                            "raised_at": _iso(block.raised_at),
                            "lifted_at": _iso(block.lifted_at),
                        }
                        for block in sorted(line.blocks.all(), key=lambda b: (b.raised_at, b.pk))
                    ],
                }
                for line in lines
            ],
            "assessments": [
                {
                    "id": a.pk,
                    "status": a.status,
                    "trigger": a.trigger,
                    "scorecard_version": a.scorecard.version,
                    "queued_at": _iso(a.queued_at),
                    "finished_at": _iso(a.finished_at),
                    "score": a.score,
                    "cutoff": a.cutoff,
                    "recommended_limit": _money(a.recommended_limit),
                    "reason_codes": [str(r.get("code", "")) for r in a.reason_codes or []],
                    "features": a.features,
                    "explanation": (
                        {
                            language: customer_explanation(a, language=language)
                            for language in EXPLANATION_LANGUAGES
                        }
                        if a.status == AssessmentStatus.SUCCEEDED
                        else None
                    ),
                }
                for a in assessments
            ],
        }

    # --- erasure ----------------------------------------------------------------------------

    def personal_values(self, customer_id: int) -> PersonalValues:
        customer = Customer.objects.get(pk=customer_id)
        return PersonalValues(
            name=customer.name or "",
            phone=customer.phone or "",
            national_id=customer.national_id or "",
            name_hash=customer.name_hash,
            phone_hash=customer.phone_hash,
            national_id_hash=customer.national_id_hash,
        )

    def erase(
        self,
        *,
        customer_id: int,
        pseudonym: str,
        actor: User | SystemActor,
        values: PersonalValues,
    ) -> int:
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        customer.name = pseudonym
        customer.phone = None
        customer.national_id = None
        # History only: the erasure's audit entry is written once, by the erasure service.
        save_with_history(
            customer,
            actor=actor,
            reason=change_reason(AuditAction.CUSTOMER_ERASED, actor),
            fields=["name", "phone", "national_id", "updated_at"],
        )
        # Every earlier version too: the history model has no save() that recomputes hashes,
        # so the scrubbed values and their hashes are written by one UPDATE.
        scrubbed = personal_hashes(name=pseudonym, phone=None, national_id=None)
        history = Customer.history.filter(id=customer_id).update(
            name=pseudonym, phone=None, national_id=None, **scrubbed
        )
        # Officers' words about the line (block notes, lift reasons) keep their meaning but
        # lose any copy of the person's values.
        line_ids = CreditLine.objects.filter(customer_id=customer_id).values("pk")
        needles = values.needles()
        redacted = redact_text(
            Block.objects.filter(credit_line_id__in=line_ids), ["note", "lift_reason"], needles
        ) + redact_text(
            Block.history.filter(credit_line_id__in=line_ids),
            ["note", "lift_reason"],
            needles,
        )
        return 1 + history + redacted

    # --- explanation, correction, consent -----------------------------------------------------

    def explain(self, customer_id: int) -> dict[str, Any]:
        from scoring.scorecards.explain import customer_explanation

        assessment = (
            Assessment.objects.filter(customer_id=customer_id, status=AssessmentStatus.SUCCEEDED)
            .order_by("-finished_at", "-pk")
            .first()
        )
        if assessment is None:
            raise ValidationError(
                _("There is no completed automated assessment of this customer to explain."),
                code="no_assessment",
            )
        return {
            "assessment": assessment.pk,
            "decided_at": _iso(assessment.finished_at),
            "reason_codes": [str(r.get("code", "")) for r in assessment.reason_codes or []],
            "text": {
                language: customer_explanation(assessment, language=language)
                for language in EXPLANATION_LANGUAGES
            },
        }

    def correct(
        self,
        *,
        customer_id: int,
        changes: Mapping[str, str],
        actor: User | SystemActor,
        reason: str,
    ) -> list[str]:
        cleaned = _clean_corrections(changes)
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        changed = [f for f, value in cleaned.items() if getattr(customer, f) != value]
        if not changed:
            raise ValidationError(
                {"corrections": [_("These values are already on file; nothing to correct.")]}
            )
        for field in changed:
            setattr(customer, field, cleaned[field])
        record_change(
            customer,
            actor=actor,
            action=AuditAction.CUSTOMER_CORRECTED,
            detail=reason,
            update_fields=[*changed, "updated_at"],
            data={"fields": sorted(changed), "detail": reason},
        )
        return sorted(changed)

    def withdraw_consent(self, *, customer_id: int, actor: User | SystemActor, reason: str) -> bool:
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        if customer.consent_withdrawn_at is not None:
            return False
        customer.consent_withdrawn_at = timezone.now()
        record_change(
            customer,
            actor=actor,
            action=AuditAction.CUSTOMER_CONSENT_WITHDRAWN,
            detail=reason,
            update_fields=["consent_withdrawn_at", "updated_at"],
            data={"detail": reason},
        )
        return True

    # --- retention ----------------------------------------------------------------------------

    def retention_keep_customer_ids(self, *, cutoff: datetime) -> list[QuerySet[Any]]:
        """Customers with a live line (active or frozen), a line or assessment touched after
        ``cutoff``: their data still serves its purpose."""
        lines = CreditLine.objects.filter(
            Q(state__in=[CreditLineState.ACTIVE, CreditLineState.FROZEN])
            | Q(updated_at__gte=cutoff)
        ).values_list("customer_id", flat=True)
        recent = Assessment.objects.filter(queued_at__gte=cutoff).values_list(
            "customer_id", flat=True
        )
        return [lines, recent]

    def retention_quiet_customer_ids(
        self, *, cutoff: datetime, keep: Sequence[QuerySet[Any]], limit: int
    ) -> list[int]:
        queryset = Customer.objects.filter(created_at__lt=cutoff).exclude(
            phone__isnull=True, national_id__isnull=True
        )
        for kept in keep:
            queryset = queryset.exclude(pk__in=kept)
        return list(queryset.order_by("pk").values_list("pk", flat=True)[:limit])


def _clean_corrections(changes: Mapping[str, str]) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for field, raw in (changes or {}).items():
        if field not in CORRECTABLE_FIELDS:
            errors.setdefault("corrections", []).append(
                _("Only the name, mobile number, ID number and city can be corrected.")
            )
            continue
        value = " ".join(str(raw or "").split())
        if not value:
            continue
        if len(value) > _MAX_LENGTHS[field]:
            errors[field] = [_("This value is too long.")]
            continue
        if field == "phone" and not any(ch.isdigit() for ch in value):
            errors[field] = [_("Enter a mobile number.")]
            continue
        cleaned[field] = value.upper() if field == "national_id" else value
    if errors:
        raise ValidationError(errors)
    if not cleaned:
        raise ValidationError({"corrections": [_("Enter at least one corrected value.")]})
    return cleaned
