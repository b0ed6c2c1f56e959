"""The OpenAPI schema and its docs pages (drf-spectacular, drf-spectacular-sidecar)."""

from __future__ import annotations

from typing import Any

SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Risk-operations portal API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs pages are for signed-in staff (session or token); the docs
    # pages also send anonymous visitors to the sign-in page (portal.urls).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI and ReDoc from the installed drf-spectacular-sidecar: no CDN, and the
    # version is the locked one.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models name a field "status" or "reason_code" with different choices: give
    # each choice set one stable name in the schema instead of a hashed one.
    "ENUM_NAME_OVERRIDES": {
        "BlockReasonCodeEnum": "scoring.models.ReasonCode",
        "DecisionReasonCodeEnum": "cases.models.DecisionReason",
        "AssessmentStatusEnum": "scoring.models.AssessmentStatus",
        "BulkJobStatusEnum": "scoring.models.BulkJobStatus",
        "CaseStatusEnum": "cases.models.CaseStatus",
        "DecisionStateEnum": "cases.models.DecisionState",
        "DecisionKindEnum": "cases.models.DecisionKind",
        "SignalKindEnum": "intake.models.SignalKind",
        "SignalStatusEnum": "intake.models.SignalStatus",
        "PrivacyRequestKindEnum": "compliance.models.RequestKind",
        "PrivacyRequestStatusEnum": "compliance.models.RequestStatus",
        "CaseSourceEnum": "cases.models.CaseSource",
        "AccessSourceEnum": "scoring.customers.access.AccessSource",
        "PersonalFieldEnum": "scoring.customers.access.PersonalField",
        "FeedbackKindEnum": "intake.models.FeedbackKind",
    },
}
