"""Who may do what with the audit log, the auditor's workspace and personal-data rights
(data-subject requests, erasure, legal holds, retention).

Every rule asks ``portal.permissions.has_perm``. ``system=True`` marks the rules a job or a
command meets without a person: running retention and the erasures it makes
(``retention_run``, the nightly task). A channel meets none of them. Verifying the audit
chain is the audit layer's rule (``audit.permissions.can_verify_audit_chain``, people and the
nightly check); it is named here too, for the auditor's pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.permissions import has_perm

if TYPE_CHECKING:
    from compliance.exports.kinds import ExportKind

# --- audit log and the auditor's workspace ----------------------------------------------------


def can_view_audit_log(user: Any) -> bool:
    return has_perm(user, "audit.view_auditentry")


def can_use_auditor_workspace(user: Any) -> bool:
    """The auditor's workspace (history, personal-data access log, exports): read-only, for
    whoever may read the personal-data access log."""
    return has_perm(user, "scoring.view_personaldataaccess")


def can_browse_history(user: Any) -> bool:
    return can_use_auditor_workspace(user)


def can_view_access_log(user: Any) -> bool:
    """Who revealed which personal fields of whom: auditors
    (``scoring.view_personaldataaccess``)."""
    return has_perm(user, "scoring.view_personaldataaccess")


# --- exports ----------------------------------------------------------------------------------


def can_view_exports(user: Any) -> bool:
    """The list of exports and their manifests: auditors (``compliance.view_exportrecord``)."""
    return has_perm(user, "compliance.view_exportrecord")


def can_export(user: Any, kind: ExportKind) -> bool:
    """Export one view: who may view exports and may read that view (its permission)."""
    return can_view_exports(user) and has_perm(user, kind.permission)


# --- data-subject requests --------------------------------------------------------------------


def can_view_requests(user: Any) -> bool:
    return has_perm(user, "compliance.view_datasubjectrequest")


def can_add_requests(user: Any) -> bool:
    return has_perm(user, "compliance.add_datasubjectrequest")


def can_fulfil_requests(user: Any) -> bool:
    """Fulfil or refuse a request: privacy officers."""
    return has_perm(user, "compliance.fulfil_datasubjectrequest")


def can_download_exports(user: Any) -> bool:
    """Download a person's data (plain values): who fulfils requests and may reveal."""
    return can_fulfil_requests(user) and has_perm(user, "scoring.reveal_personal_data")


# --- erasure and legal holds ------------------------------------------------------------------


def can_erase(actor: Any) -> bool:
    """Erase a customer's personal data: privacy officers, and the retention run."""
    return has_perm(actor, "compliance.fulfil_datasubjectrequest", system=True)


def can_view_legal_holds(user: Any) -> bool:
    return has_perm(user, "compliance.view_legalhold")


def can_manage_legal_holds(user: Any) -> bool:
    """Place or release a legal hold: privacy officers (no job places or releases one)."""
    return has_perm(user, "compliance.add_legalhold") and has_perm(
        user, "compliance.change_legalhold"
    )


# --- retention --------------------------------------------------------------------------------


def can_run_retention(actor: Any) -> bool:
    """Apply the retention policies (or dry-run them): privacy officers, and the system
    (``retention_run``, the nightly task)."""
    return has_perm(actor, "compliance.change_retentionpolicy", system=True)


def can_change_retention_policies(user: Any) -> bool:
    """Change how long records are kept: privacy officers, never the system."""
    return has_perm(user, "compliance.change_retentionpolicy")


def can_view_retention(user: Any) -> bool:
    return has_perm(user, "compliance.view_retentionpolicy") and has_perm(
        user, "compliance.view_retentionrun"
    )
