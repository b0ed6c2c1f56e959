"""Who may do what with the audit log."""

from __future__ import annotations

from typing import Any


def can_view_audit_log(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.has_perm("audit.view_auditentry")
    )


def can_verify_audit_chain(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.has_perm("audit.verify_audit_chain")
    )


def can_use_auditor_workspace(user: Any) -> bool:
    """The auditor's workspace (history, personal-data access log, exports): read-only, for
    whoever may read the personal-data access log."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.has_perm("scoring.view_personaldataaccess")
    )


def can_browse_history(user: Any) -> bool:
    return can_use_auditor_workspace(user)
