"""API serializers for cases, notes and decisions: shapes only, no workflow.

Personal fields leave masked (``Customer.masked_*``); timeline events carry ids, codes and
amounts; the justification and comment are shown to staff who may read the case.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cases.decisions.policy import approval_reason_label
from cases.models import (
    Case,
    CaseEvent,
    Decision,
    DecisionKind,
    DecisionReason,
    Note,
)
from scoring.models import Assessment, Block, CreditLine, reason_description


class CaseCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField(source="masked_name", help_text="Masked, e.g. 张*伟.")
    phone = serializers.CharField(source="masked_phone", help_text="Masked, e.g. 138****5678.")


class CaseCreditLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditLine
        fields = ["id", "product", "state", "granted_limit", "usable_limit", "currency"]
        read_only_fields = fields


class CaseBlockSerializer(serializers.ModelSerializer):
    description = serializers.SerializerMethodField()

    class Meta:
        model = Block
        fields = ["id", "reason_code", "description", "source", "raised_at"]
        read_only_fields = fields

    def get_description(self, block: Block) -> str:
        return reason_description(block.reason_code)


class CaseAssessmentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assessment
        fields = ["id", "status", "score", "recommended_limit", "finished_at"]
        read_only_fields = fields


class CaseEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")

    class Meta:
        model = CaseEvent
        fields = ["id", "kind", "at", "actor", "data"]
        read_only_fields = fields


class CaseListSerializer(serializers.ModelSerializer):
    """A queue row: the case and its customer's pseudonymous id, nothing personal."""

    customer = serializers.CharField(source="customer.external_id")
    credit_line = serializers.IntegerField(source="credit_line_id", allow_null=True)
    assignee = serializers.CharField(source="assignee.get_username", allow_null=True, default=None)

    class Meta:
        model = Case
        fields = [
            "id",
            "customer",
            "credit_line",
            "category",
            "source",
            "reason_code",
            "status",
            "priority",
            "sla_due_at",
            "assignee",
            "opened_at",
            "version",
        ]
        read_only_fields = fields


class CaseListPageSerializer(serializers.Serializer):
    """A page of the case list (its shape, for the schema): rows and keyset links."""

    results = CaseListSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class CaseDetailSerializer(CaseListSerializer):
    """A case with its customer (masked), credit line, active blocks, the latest
    assessment and the timeline (built by the view: ``blocks``, ``latest_assessment`` and
    ``timeline`` are passed in the context)."""

    customer = CaseCustomerSerializer()  # type: ignore[assignment]
    credit_line = CaseCreditLineSerializer(allow_null=True)  # type: ignore[assignment]
    blocks = serializers.SerializerMethodField()
    latest_assessment = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "closed_at",
            "blocks",
            "latest_assessment",
            "timeline",
        ]
        read_only_fields = fields

    def get_blocks(self, case: Case) -> list[dict[str, Any]]:
        return CaseBlockSerializer(self.context["blocks"], many=True).data  # type: ignore[return-value]

    def get_latest_assessment(self, case: Case) -> dict[str, Any] | None:
        assessment = self.context["latest_assessment"]
        return CaseAssessmentRefSerializer(assessment).data if assessment else None

    def get_timeline(self, case: Case) -> list[dict[str, Any]]:
        return CaseEventSerializer(self.context["timeline"], many=True).data  # type: ignore[return-value]


class NoteCreateSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
    version = serializers.IntegerField(min_value=1)


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_username")

    class Meta:
        model = Note
        fields = ["id", "case", "author", "body", "created_at"]
        read_only_fields = fields


class DecisionCreateSerializer(serializers.Serializer):
    """What an officer decides. The service checks everything against the case."""

    kind = serializers.ChoiceField(choices=DecisionKind.choices)
    reason_code = serializers.ChoiceField(choices=DecisionReason.choices)
    justification = serializers.CharField(allow_blank=True, max_length=4000)
    usable_limit = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="For override_limit: the new usable limit (0 to the granted limit).",
    )
    blocks = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_empty=True,
        help_text="For lift_block and keep_block: ids of active blocks of the case's line.",
    )
    version = serializers.IntegerField(
        min_value=1, help_text="The case's version the decision was made on."
    )


class DecisionSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id")
    proposed_by = serializers.CharField(source="proposed_by.get_username")
    approver = serializers.CharField(source="approver.get_username", allow_null=True, default=None)
    approval_reason_text = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "case",
            "kind",
            "reason_code",
            "justification",
            "usable_limit",
            "usable_limit_before",
            "blocks",
            "state",
            "requires_approval",
            "approval_reason",
            "approval_reason_text",
            "proposed_by",
            "proposed_at",
            "approver",
            "decided_at",
            "approver_comment",
            "applied_at",
        ]
        read_only_fields = fields

    def get_approval_reason_text(self, decision: Decision) -> str:
        return approval_reason_label(decision.approval_reason)


class DecisionCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=4000,
        help_text="Required when rejecting.",
    )


class AssessmentQueuedSerializer(serializers.Serializer):
    assessment = serializers.IntegerField()
    status = serializers.CharField()
