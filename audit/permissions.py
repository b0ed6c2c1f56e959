"""Who may do what with the audit log itself, as small functions.

Every rule asks ``portal.permissions.has_perm``; ``system=True`` marks the rules a job meets
without a person. The auditor's pages (compliance) name these rules too.
"""

from __future__ import annotations

from typing import Any

from portal.permissions import has_perm


def can_verify_audit_chain(actor: Any) -> bool:
    """Auditors may walk the chain on demand; the nightly job may too."""
    return has_perm(actor, "audit.verify_audit_chain", system=True)
