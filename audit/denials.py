"""Refused writes in the audit log (PIPL Art. 51: attempts to act beyond one's rights)."""

from __future__ import annotations

from typing import Any

from audit.actions import AuditAction
from audit.log import audit_record
from portal.permissions import is_person

# Refused writes are audited; refused reads are not (every page's links would flood the log).
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def access_denied_record(user: Any, method: str, path: str) -> None:
    """Audit a signed-in person's refused write: method and path only (no query string,
    which could carry what they typed; paths hold ids, never personal data)."""
    if method.upper() not in WRITE_METHODS or not is_person(user):
        return
    audit_record(
        actor=user,
        action=AuditAction.ACCESS_DENIED,
        target=None,
        data={"method": method.upper(), "path": path[:300], "status": 403},
    )
