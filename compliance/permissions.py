"""Who may do what with the audit log."""

from __future__ import annotations

from typing import Any


def can_view_audit_log(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.has_perm("compliance.view_auditentry")
    )


def can_verify_audit_chain(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.has_perm("compliance.verify_audit_chain")
    )
