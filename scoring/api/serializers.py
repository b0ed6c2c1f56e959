"""API serializers for assessments and bulk re-assessments: shapes only, no workflow.

Personal fields leave masked (the customer's name through ``Customer.masked_name``); the
rest of an assessment is derived numbers, codes and ids.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from portal.api.fields import BoundedDateField
from scoring.models import (
    Assessment,
    BlockSource,
    BulkJobStatus,
    Product,
    ReasonCode,
    reason_description,
)


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="masked_name", help_text="Masked, e.g. 张*伟.")


class ScorecardRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()


class ContributionSerializer(serializers.Serializer):
    characteristic = serializers.CharField(help_text='"base" for the base points.')
    feature = serializers.CharField(required=False)
    value = serializers.JSONField(required=False, help_text="The value read; null when missing.")
    bin = serializers.CharField(required=False, help_text='The bin\'s label, or "missing".')
    points = serializers.IntegerField()
    max_points = serializers.IntegerField(required=False)


class RuleHitSerializer(serializers.Serializer):
    # A plain string here: the one enum of reason codes is the request's ``reason_code``.
    code = serializers.CharField(help_text="A reason code (ReasonCodeEnum).")
    feature = serializers.CharField()
    op = serializers.CharField()
    value = serializers.JSONField()
    observed = serializers.JSONField()


class ReasonSerializer(serializers.Serializer):
    # A plain string here: the one enum of reason codes is the request's ``reason_code``.
    code = serializers.CharField(help_text="A reason code (ReasonCodeEnum).")
    cost = serializers.IntegerField(help_text="Points lost against the best bins.")
    blocking = serializers.BooleanField(help_text="Stops the line whatever else is true.")
    description = serializers.SerializerMethodField()

    def get_description(self, reason: dict[str, Any]) -> str:
        return reason_description(str(reason.get("code", "")))


class AssessmentSerializer(serializers.ModelSerializer):
    """``contributions`` (base included) sum to ``score``; ``reason_codes`` are ranked."""

    customer = CustomerRefSerializer()
    scorecard = ScorecardRefSerializer()
    credit_line = serializers.IntegerField(source="credit_line_id", allow_null=True)
    bulk_job = serializers.IntegerField(source="bulk_job_id", allow_null=True)
    recommended_limit = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, coerce_to_string=True
    )
    contributions = ContributionSerializer(many=True)
    rule_hits = RuleHitSerializer(many=True)
    reason_codes = ReasonSerializer(many=True)
    features = serializers.DictField(help_text="The feature snapshot the assessment read.")
    requested_by = serializers.CharField(source="requested_by_label")
    duration_ms = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "status",
            "trigger",
            "customer",
            "credit_line",
            "scorecard",
            "bulk_job",
            "score",
            "cutoff",
            "recommended_limit",
            "contributions",
            "rule_hits",
            "reason_codes",
            "features",
            "requested_by",
            "attempts",
            "queued_at",
            "started_at",
            "finished_at",
            "duration_ms",
            "error",
        ]
        read_only_fields = fields

    def get_duration_ms(self, assessment: Assessment) -> int | None:
        if assessment.started_at is None or assessment.finished_at is None:
            return None
        return int((assessment.finished_at - assessment.started_at).total_seconds() * 1000)


class BulkJobCreateSerializer(serializers.Serializer):
    """A bulk re-assessment's filter (every field optional; all given must match)."""

    reason_code = serializers.ChoiceField(
        choices=ReasonCode.choices, required=False, allow_blank=True
    )
    block_source = serializers.ChoiceField(
        choices=BlockSource.choices, required=False, allow_blank=True
    )
    city = serializers.CharField(max_length=64, required=False, allow_blank=True)
    product = serializers.ChoiceField(choices=Product.choices, required=False, allow_blank=True)
    scorecard_version = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="Customers whose latest assessment used this version.",
    )
    assessed_before = BoundedDateField(
        required=False,
        allow_null=True,
        help_text="Customers not assessed since this day (never assessed included).",
    )
    scorecard = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Id of the active scorecard to score with; the champion when empty.",
    )

    def filters(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        data.pop("scorecard", None)
        return data


class BulkJobAcceptedSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    status = serializers.CharField()


class BulkJobFailureSerializer(serializers.Serializer):
    assessment = serializers.IntegerField(source="assessment_id")
    customer = serializers.IntegerField(source="customer_id")
    error = serializers.CharField()


class BulkJobProgressSerializer(serializers.Serializer):
    """Progress of a bulk job; ``failures`` lists the first failed assessments."""

    id = serializers.IntegerField(source="job.id")
    status = serializers.ChoiceField(source="job.status", choices=BulkJobStatus.choices)
    filters = serializers.DictField(source="job.filters")
    scorecard = ScorecardRefSerializer(source="job.scorecard", allow_null=True)
    requested_by = serializers.CharField(source="job.requested_by.username")
    total = serializers.IntegerField(source="job.total")
    done = serializers.IntegerField(source="job.done", help_text="Processed, failed included.")
    failed = serializers.IntegerField(source="job.failed")
    percent = serializers.IntegerField()
    created_at = serializers.DateTimeField(source="job.created_at", read_only=True)
    started_at = serializers.DateTimeField(source="job.started_at", allow_null=True, read_only=True)
    finished_at = serializers.DateTimeField(
        source="job.finished_at", allow_null=True, read_only=True
    )
    cancelled_at = serializers.DateTimeField(
        source="job.cancelled_at", allow_null=True, read_only=True
    )
    updated_at = serializers.DateTimeField(source="job.updated_at", read_only=True)
    failures = BulkJobFailureSerializer(many=True)


# --- revealing personal fields --------------------------------------------------------------
#
# Both serializers have a field named "fields", which as a class attribute would hide
# ``Serializer.fields``; they are declared in ``get_fields`` instead (as
# ``portal.api.errors.ErrorsSerializer`` does).


class RevealAllowanceRequestSerializer(serializers.Serializer):
    """A supervisor's grant of extra reveals for today; the rules are the service's."""

    user = serializers.IntegerField(min_value=1, help_text="Who gets the extra reveals.")
    extra = serializers.IntegerField(help_text="How many extra reveals, for today (1 to 100).")
    reason = serializers.CharField(
        allow_blank=True, max_length=2000, help_text="Why (5 to 500 characters); audited."
    )


class RevealAllowanceSerializer(serializers.Serializer):
    """A grant, as answered (never input)."""

    id = serializers.IntegerField(read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True)
    day = serializers.DateField(read_only=True)
    extra = serializers.IntegerField(read_only=True)
    reason = serializers.CharField(read_only=True)
    granted_by = serializers.IntegerField(source="granted_by_id", read_only=True)
    granted_at = serializers.DateTimeField(read_only=True)


class RevealRequestSerializer(serializers.Serializer):
    """The shape of a reveal request; what may be revealed, and why, is the service's call."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "fields": serializers.ListField(
                child=serializers.CharField(max_length=32),
                allow_empty=True,
                max_length=10,
                help_text='Personal fields to reveal: "name", "phone", "national_id".',
            ),
            "purpose_code": serializers.CharField(
                required=False,
                default="other",
                max_length=64,
                help_text=(
                    "Why the plain values are needed, from the list: "
                    '"verify_identity", "call_back", "investigate_mismatch", '
                    '"data_subject_request" (with a request), "other" (the default; needs '
                    "`purpose`)."
                ),
            ),
            "purpose": serializers.CharField(
                required=False,
                default="",
                allow_blank=True,
                max_length=2000,
                help_text=(
                    'Free text (up to 500 characters): at least 5 for "other", an optional '
                    "note otherwise; logged."
                ),
            ),
            "case": serializers.IntegerField(
                required=False,
                allow_null=True,
                min_value=1,
                help_text=(
                    "The case the reveal serves: this customer's, open, and assigned to you "
                    "(any open case for a supervisor). Give a case or a request."
                ),
            ),
            "request": serializers.IntegerField(
                required=False,
                allow_null=True,
                min_value=1,
                help_text=(
                    "The data-subject request the reveal serves (privacy officers): this "
                    "customer's and open."
                ),
            ),
        }


class RevealResponseSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "customer": serializers.IntegerField(),
            "fields": serializers.DictField(
                child=serializers.CharField(allow_blank=True),
                help_text='Plain values by field; "" when nothing is on file (erased).',
            ),
            "access": serializers.IntegerField(help_text="The personal-data access-log row."),
            "empty_fields": serializers.ListField(
                child=serializers.CharField(),
                help_text="Requested fields with nothing on file (erased or never recorded).",
            ),
        }
