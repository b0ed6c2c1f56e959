"""Every write to cases, one module per sub-domain.

Each service runs in one transaction that writes the change, its history row (acting user
and change reason), its audit entry and its timeline event together.

- ``primitives``: the timeline row, the versioned save, the stale-form check, the row lock
- ``opening``: ``case_open_or_attach``, the one way cases are created
- ``claiming``: ``case_claim_next`` and its ORM path; ``claim_pg``: the PostgreSQL fast path
- ``release``: ``cases_release_stale``; ``reassign``: ``case_reassign``
- ``sla``: ``cases_sla_sweep``; ``notes``: ``note_add``; ``reassess``: ``case_reassess``
- ``detection``: ``cases_detect_unusable``

Import services from their module (``from cases.services import claiming``).
"""
