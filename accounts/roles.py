"""The five staff roles. Each is a ``Group``; its permissions are granted by data migrations
(each app grants its own models' permissions, see ``accounts.roles.grant``)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    RISK_OFFICER = "risk_officer"
    SUPERVISOR = "supervisor"
    COMPLIANCE_AUDITOR = "compliance_auditor"
    PRIVACY_OFFICER = "privacy_officer"
    ADMIN = "admin"
